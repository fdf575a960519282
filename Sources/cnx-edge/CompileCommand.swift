import ArgumentParser
import CNXEdge
import Foundation

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile a checkpoint into a .cnx model for one input size.",
        discussion: """
            Lowers the network to fused ops, folds the LayerNorm affines that precede a linear map, \
            verifies the graph, and writes it with every weight packed for its kernel.
            """
    )

    @Option(help: "Model size; 'auto' infers it from --weights.")
    var model: ModelChoice = .auto

    @Option(help: "Checkpoint: safetensors or an official PyTorch .pt.")
    var weights: String

    @Option(help: "Input size, H or HxW, multiples of 32.")
    var size: InputSize = InputSize(height: 224, width: 224)

    @Flag(help: "Keep the LayerNorm affines unfolded.")
    var noFold = false

    @Flag(help: "Fold each GRN into the following 1x1 convolution (measured no faster on Atto; off by default).")
    var foldGRN = false

    @Option(name: .shortAndLong, help: "Where to write the .cnx model.")
    var output: String

    func run() throws {
        try reportingErrors {
            let w = try WeightLoader.load(path: weights, expected: model.size)
            let graph = try Compiler.compile(w, height: size.height, width: size.width,
                                             options: CompilerOptions(foldNormAffines: !noFold, foldGRN: foldGRN, verifyEachPass: true))
            do { try ModelFileWriter.write(graph, to: output) } catch let error as GraphError { throw error } catch {
                throw ValidationError("cannot write \(output): \((error as NSError).localizedDescription)")
            }
            print("\(w.config) \(size): \(graph.ops.count) ops, \(String(format: "%.3f", Double(graph.macs) / 1e9)) GMAC -> \(output)")
        }
    }
}
