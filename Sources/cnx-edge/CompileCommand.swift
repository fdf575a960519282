import ArgumentParser
import CNXEdge
import Foundation

/// `--precision`: the arithmetic the compiled model runs in.
enum Precision: String, ExpressibleByArgument, CaseIterable {
    /// float32 everywhere.
    case fp32
    /// int8 1x1 convolutions on uint8 activations, calibrated on sample images.
    case int8
}

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

    /// The calibration method when `--method` is not given.
    static let defaultMethod = "minmax"

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

    @Option(help: "fp32, or int8 (calibrated on sample images).")
    var precision: Precision = .fp32

    @Option(help: "int8: a folder of calibration images (flat, or one subfolder per synset); default: the verified default set.")
    var calibration: String?

    @Option(help: "int8: use at most this many calibration images (the first in sorted order).")
    var calibrationLimit: Int?

    @Option(help: "int8: how activation ranges are chosen: minmax, percentile[:P], mse or entropy (default \(CompileCommand.defaultMethod)).")
    var method: String = CompileCommand.defaultMethod

    @Option(help: "int8: weight bits, 8 (default) or 7 (±63).")
    var weightBits: Int = 8

    @Option(help: "int8: threads running the fp32 calibration passes (statistics do not depend on it).")
    var threads: Int = 1

    @Option(name: .shortAndLong, help: "Where to write the .cnx model.")
    var output: String

    func validate() throws {
        if precision == .fp32 {
            guard calibration == nil, calibrationLimit == nil, method == Self.defaultMethod else {
                throw ValidationError("--calibration, --calibration-limit and --method need --precision int8")
            }
        } else {
            if foldGRN { throw ValidationError("--fold-grn is fp32 only") }
            do { _ = try CalibrationSpec(parsing: method) } catch let error as CalibrationError { throw ValidationError("--method: \(error)") }
            if let calibrationLimit, calibrationLimit < 1 { throw ValidationError("--calibration-limit must be at least 1") }
            if weightBits != 7 && weightBits != 8 { throw ValidationError("--weight-bits must be 7 or 8") }
        }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
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
            var note = weights == nil ? ", synthetic weights" : ""
            if precision == .int8 {
                let (quantized, summary) = try quantize(graph)
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
