import ArgumentParser
import CNXEdge
import Foundation


struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile a checkpoint into a .cnx model for one input size.",
        discussion: """
            Lowers the network to fused ops, folds the LayerNorm affines that precede a linear map, \
            verifies the graph, and writes it with every weight packed for its kernel. Without \
            --weights it compiles deterministic synthetic weights of --model's size (atto for auto). \
            --precision int8 first runs the fp32 graph over the calibration images (--calibration, \
            or the default set in calibration/default) to choose each activation's range by --method.
            """
    )

    @Option(help: "Model size; 'auto' infers it from --weights (atto without --weights).")
    var model: ModelChoice = .auto

    @Option(help: "Checkpoint: safetensors or an official PyTorch .pt; synthetic weights without it.")
    var weights: String?

    @Option(help: "Input size, H or HxW, multiples of 32.")
    var size: InputSize = InputSize(height: 224, width: 224)

    @Flag(help: "Keep the LayerNorm affines unfolded.")
    var noFold = false

    @Flag(help: "Fold each GRN into the following 1x1 convolution (measured no faster on Atto; off by default; fp32 only).")
    var foldGRN = false

    @OptionGroup var quantization: QuantizeOptions

    @Option(help: "Class names to store in the model: one per line, or a Hugging Face config.json (id2label). Default: the config.json beside --weights, if it has id2label.")
    var labels: String?

    @Option(name: .shortAndLong, help: "Where to write the .cnx model.")
    var output: String

    func validate() throws {
        if quantization.precision == .int8, foldGRN { throw ValidationError("--fold-grn is fp32 only") }
    }

    func run() throws {
        try reportingErrors {
            let start = DispatchTime.now().uptimeNanoseconds
            let w: ConvNeXtV2Weights
            if let weights {
                w = try WeightLoader.load(path: weights, expected: model.size)
            } else {
                w = .synthetic(config: ModelConfig(model.size ?? .atto))
            }
            var graph = try Compiler.compile(w, height: size.height, width: size.width,
                                             options: CompilerOptions(foldNormAffines: !noFold, foldGRN: foldGRN, verifyEachPass: true))
            if let labels {
                graph.labels = try ClassLabels.read(path: labels, classes: graph.classCount)
            } else if let weights {
                graph.labels = try ClassLabels.beside(checkpoint: weights)
                if let names = graph.labels { try Graph.checkLabels(names, classes: graph.classCount) }
            }
            var note = weights == nil ? ", synthetic weights" : ""
            if let names = graph.labels { note += ", \(names.count) labels" }
            if quantization.precision == .int8 {
                let (quantized, summary) = try quantization.quantize(graph)
                graph = quantized
                note += ", int8 (\(summary))"
            }
            do { try ModelFileWriter.write(graph, to: output) } catch let error as GraphError { throw error } catch {
                throw ValidationError("cannot write \(output): \((error as NSError).localizedDescription)")
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print("\(w.config) \(size)\(note): \(graph.ops.count) ops, \(String(format: "%.3f", Double(graph.macs) / 1e9)) GMAC "
                  + "-> \(output) (\(bytes) bytes, \(String(format: "%.1f", seconds)) s)")
        }
    }
}
