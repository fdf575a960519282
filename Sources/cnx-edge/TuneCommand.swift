import ArgumentParser
import CNXEdge
import Foundation

struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune",
        abstract: "Measure which execution provider runs each op fastest here; store the placement beside the .cnx.",
        discussion: """
            Runs the model on every provider this build has (swift, native, xnnpack), each wherever it \
            supports an op, timing every op; gives each op to its fastest provider; then times that \
            placement against the default table's, alternating, and keeps it only where it is at \
            least 3% faster. Writes MODEL.cnx.placement, which later loads with --backend auto (the default) \
            reuse for the same model file, ISA and thread count. Prints each op's median time and \
            GMAC/s on every provider.
            """
    )

    @Argument(help: "A compiled .cnx model.")
    var path: String

    @Option(help: "Worker threads to tune for (a placement holds for one count).")
    var threads: Int = 1

    @Option(help: "The native kernels' instruction set (default: the best this CPU runs).")
    var isa: KernelISA?

    @Option(help: "Timed runs per provider and per placement in the final comparison.")
    var runs: Int = 20

    @Flag(help: "Measure and print, but write nothing.")
    var dryRun = false

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
        guard runs >= 3 && runs <= 10_000 else { throw ValidationError("--runs must be between 3 and 10000") }
        try BackendChoice.auto.validateOption(isa: isa)
    }

    func run() throws {
        try reportingErrors {
            let graph = try ModelFile.load(path: path)
            let options = ExecutionOptions(threads: threads, isa: isa)
            let result = try Tuner.tune(graph, options: options, runs: runs)
            let providers = Provider.available
            func cell(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
            print("\(path): \(graph.ops.count) ops, \(Tuner.isaName(options)), \(threads) thread(s); op medians over \(runs) runs, ms (GMAC/s)")
            print(cell("#", 3) + "  " + "op".padding(toLength: 18, withPad: " ", startingAt: 0) + cell("output", 16)
                  + providers.map { cell($0.rawValue, 18) }.joined() + "  placed")
            for (i, op) in graph.ops.enumerated() {
                let macs = Double(op.macs(in: graph)), out = graph[op.outputs[0]].shape.map(String.init).joined(separator: "x")
                let cells = providers.map { p -> String in
                    guard let ms = result.times[i][p] else { return cell("-", 18) }
                    return cell(macs > 0 ? String(format: "%.3f (%.1f)", ms, macs / ms / 1e6) : String(format: "%.3f", ms), 18)
                }
                print(cell("\(i)", 3) + "  " + op.kind.padding(toLength: 18, withPad: " ", startingAt: 0) + cell(out, 16)
                      + cells.joined() + "  " + result.placement.providers[i].rawValue)
            }
            print(String(format: "whole model, median of %d alternating runs: tuned %.3f ms, default table %.3f ms%@", runs,
                         result.tunedMilliseconds, result.tableMilliseconds,
                         result.keptTable ? " (tuned was not \(Int(Tuner.requiredGain * 100))% faster: the default table's placement is kept)" : ""))
            let (bytes, checksum) = try StoredPlacement.identity(of: path)
            let stored = StoredPlacement(modelBytes: bytes, modelChecksum: checksum, isa: Tuner.isaName(options), threads: threads,
                                         placement: result.placement, tunedMilliseconds: result.tunedMilliseconds,
                                         tableMilliseconds: result.tableMilliseconds)
            if !dryRun { try stored.save(beside: path) }
            print(String(format: "tuned in %.2f s%@", result.seconds, dryRun ? " (dry run: nothing written)" : "; wrote \(StoredPlacement.path(beside: path))"))
        }
    }
}
