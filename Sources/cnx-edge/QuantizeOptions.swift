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

/// `--precision` and the int8 calibration options, shared by `compile` and `inspect`.
struct QuantizeOptions: ParsableArguments {
    /// The calibration method when `--method` is not given.
    static let defaultMethod = "minmax"

    @Option(help: "fp32, or int8 (calibrated on sample images).")
    var precision: Precision = .fp32

    @Option(help: "int8: a folder of calibration images (flat, or one subfolder per synset); default: the verified default set.")
    var calibration: String?

    @Option(help: "int8: use at most this many calibration images (the first in sorted order).")
    var calibrationLimit: Int?

    @Option(help: "int8: how activation ranges are chosen: minmax, percentile[:P], mse or entropy (default \(QuantizeOptions.defaultMethod)).")
    var method: String = QuantizeOptions.defaultMethod

    @Option(help: "int8: weight bits, 8 (default) or 7 (±63).")
    var weightBits: Int = 8

    @Option(help: "Threads: of the int8 calibration passes (statistics do not depend on it); inspect: whose stored placement to show.")
    var threads: Int = 1

    func validate() throws {
        if precision == .fp32 {
            guard calibration == nil, calibrationLimit == nil, method == Self.defaultMethod else {
                throw ValidationError("--calibration, --calibration-limit and --method need --precision int8")
            }
        } else {
            do { _ = try CalibrationSpec(parsing: method) } catch let error as CalibrationError { throw ValidationError("--method: \(error)") }
            if let calibrationLimit, calibrationLimit < 1 { throw ValidationError("--calibration-limit must be at least 1") }
            if weightBits != 7 && weightBits != 8 { throw ValidationError("--weight-bits must be 7 or 8") }
        }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
    }

    /// Calibrates the fp32 `graph` on the chosen images with the fastest fp32 backend built in,
    /// printing progress on standard error, and returns the int8 graph and a one-line summary.
    /// - Parameter observe: called with each quantizer pass's name and result (`inspect --after`).
    func quantize(_ graph: Graph, observe: ((String, Graph) -> Void)? = nil) throws -> (Graph, String) {
        let spec = try CalibrationSpec(parsing: method)
        let set: CalibrationSet
        if let calibration {
            set = try CalibrationSet(path: calibration, limit: calibrationLimit)
        } else {
            set = try CalibrationSet.defaultSet(limit: calibrationLimit)
        }
        let total = set.items.count
        let backend = BackendChoice.defaultChoice.makeBackend(ExecutionOptions(threads: threads))
        let inputs = CalibrationInputs(set: set, preprocessor: ImagePreprocessor(height: graph.inputHeight, width: graph.inputWidth))
        let stderr = FileHandle.standardError
        stderr.write(Data("calibrating on \(total) images from \(set.directory.path) (\(backend.name) backend, \(spec))\n".utf8))
        let statistics = try Quantizer.calibrate(graph, backend: backend, inputs: inputs) { done in
            if done % 10 == 0 || done == total { stderr.write(Data("  \(done)/\(total) images\n".utf8)) }
        }
        if let error = inputs.failure.error { throw error }
        // Blocks whose int8 costs most (measured on the first calibration images) stay float.
        var options = QuantizationOptions(calibration: spec, weightCodeLimit: weightBits == 7 ? 63 : 127)
        var probe: [[Float]] = []
        for input in CalibrationInputs(set: set, preprocessor: inputs.preprocessor) {
            probe.append(input)
            if probe.count == Quantizer.sensitivityProbeImages { break }
        }
        let sensitive = try Quantizer.sensitiveOps(graph, statistics: statistics, options: options, inputs: probe) {
            BackendChoice.defaultChoice.makeBackend(ExecutionOptions(threads: threads))
        }
        options.floatOps = sensitive.ops
        if !sensitive.ops.isEmpty {
            let names = sensitive.ops.sorted().map { "op \($0) (+\(String(format: "%.1f", sensitive.gains[$0] ?? 0)) dB)" }
            stderr.write(Data("  left in float32: \(names.joined(separator: ", "))\n".utf8))
        }
        let quantized = try Quantizer.quantize(graph, statistics: statistics, options: options, observe: observe)
        return (quantized, "\(spec), \(statistics.imageCount) calibration images, \(sensitive.ops.count) \(sensitive.ops.count == 1 ? "block" : "blocks") float")
    }
}

/// A calibration set's images as model inputs, decoded one at a time as they are consumed; the
/// first decoding error ends the sequence and is kept in ``failure``.
struct CalibrationInputs: Sequence {
    final class Failure { var error: Error? }

    let set: CalibrationSet
    let preprocessor: ImagePreprocessor
    let failure = Failure()

    struct Iterator: IteratorProtocol {
        var items: IndexingIterator<[CalibrationSet.Item]>
        let preprocessor: ImagePreprocessor
        let failure: Failure

        mutating func next() -> [Float]? {
            guard failure.error == nil, let item = items.next() else { return nil }
            do {
                return try preprocessor.tensor(from: ImageDecoder.decode(path: item.url.path))
            } catch {
                failure.error = error
                return nil
            }
        }
    }

    func makeIterator() -> Iterator { Iterator(items: set.items.makeIterator(), preprocessor: preprocessor, failure: failure) }
}
