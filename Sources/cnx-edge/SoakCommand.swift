import ArgumentParser
import CNXEdge
import Foundation

struct SoakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Run a model many times in one process and check that memory, files and maps stay flat.",
        discussion: """
            Classifies a fixed input --inferences times after --warmup runs: resident memory must \
            grow by at most --max-growth-mb after the warm-up, and every result must equal the \
            first bit for bit. Then opens and closes the model --opens times: open file \
            descriptors and memory maps must return to their count before. Exits 1 when a bound \
            is broken.
            """
    )

    @Argument(help: "A compiled .cnx model (or a checkpoint, compiled in memory at 224x224).")
    var path: String

    @Option(help: "Inferences after the warm-up.")
    var inferences = 10_000

    @Option(help: "Inferences before resident memory is first measured.")
    var warmup = 200

    @Option(help: "Times the model is opened and closed.")
    var opens = 10_000

    @Option(help: "Worker threads per inference.")
    var threads = 1

    @Option(help: "Largest resident memory growth accepted after the warm-up, in MB.")
    var maxGrowthMb = 1.0

    @Flag(help: "Print the measurements as JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let options = Classifier.Options(threads: threads)
            var input = [Float]()
            var rssWarm = 0.0, rssEnd = 0.0, mismatches = 0
            var inferenceSeconds = 0.0
            do {
                let classifier = try Classifier(contentsOf: path, options: options)
                let session = try classifier.makeSession()
                input = (0..<(3 * classifier.inputHeight * classifier.inputWidth)).map { Float($0 % 251) / 125 - 1 }
                var first = [Float](repeating: 0, count: classifier.classCount), logits = first
                try input.withUnsafeBufferPointer { x in
                    try first.withUnsafeMutableBufferPointer { try session.logits(x, into: $0) }
                    for _ in 0..<warmup { try logits.withUnsafeMutableBufferPointer { try session.logits(x, into: $0) } }
                    rssWarm = ProcessStats.residentMB()
                    let start = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<inferences {
                        try logits.withUnsafeMutableBufferPointer { try session.logits(x, into: $0) }
                        if logits != first { mismatches += 1 }
                    }
                    inferenceSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                }
                rssEnd = ProcessStats.residentMB()
            }
            // Opening and closing: the first few opens fill caches (cpuinfo, the kernel tables).
            for _ in 0..<min(opens, 20) { _ = try Classifier(contentsOf: path, options: options) }
            let fdsBefore = ProcessStats.openFiles(), mapsBefore = ProcessStats.mappings(), rssBeforeOpens = ProcessStats.residentMB()
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<opens { _ = try Classifier(contentsOf: path, options: options) }
            let openSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let fdsAfter = ProcessStats.openFiles(), mapsAfter = ProcessStats.mappings(), rssAfterOpens = ProcessStats.residentMB()

            let growth = rssEnd - rssWarm
            let passed = growth <= maxGrowthMb && mismatches == 0 && fdsAfter == fdsBefore && mapsAfter == mapsBefore
            if json {
                let object: [String: Any] = [
                    "model": path, "threads": threads, "warmup": warmup, "inferences": inferences,
                    "rssAfterWarmupMB": rssWarm, "rssEndMB": rssEnd, "rssGrowthMB": growth, "mismatches": mismatches,
                    "inferenceMs": inferences > 0 ? 1000 * inferenceSeconds / Double(inferences) : 0,
                    "opens": opens, "openMs": opens > 0 ? 1000 * openSeconds / Double(opens) : 0,
                    "fdsBefore": fdsBefore, "fdsAfter": fdsAfter, "mapsBefore": mapsBefore, "mapsAfter": mapsAfter,
                    "rssBeforeOpensMB": rssBeforeOpens, "rssAfterOpensMB": rssAfterOpens, "passed": passed,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(String(format: "%d inferences after %d warm-up (%.2f ms each): resident %.2f -> %.2f MB (growth %.3f MB, bound %.2f); %d results differ from the first",
                             inferences, warmup, inferences > 0 ? 1000 * inferenceSeconds / Double(inferences) : 0, rssWarm, rssEnd, growth, maxGrowthMb, mismatches))
                print(String(format: "%d opens and closes (%.2f ms each): open files %d -> %d, memory maps %d -> %d, resident %.2f -> %.2f MB",
                             opens, opens > 0 ? 1000 * openSeconds / Double(opens) : 0, fdsBefore, fdsAfter, mapsBefore, mapsAfter, rssBeforeOpens, rssAfterOpens))
                print(passed ? "soak passed" : "soak FAILED")
            }
            if !passed { throw ExitCode(1) }
        }
    }
}

/// This process's resident memory, open files and memory maps, from /proc.
enum ProcessStats {
    static func residentMB() -> Double {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    static func openFiles() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1 }

    static func mappings() -> Int {
        guard let maps = try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8) else { return -1 }
        return maps.split(separator: "\n").count
    }
}
