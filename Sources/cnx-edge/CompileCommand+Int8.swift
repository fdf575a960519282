import ArgumentParser
import CNXEdge
import Foundation

extension CompileCommand {
    /// Calibrates the fp32 `graph` on the chosen images with the fastest fp32 backend built in,
    /// printing progress on standard error, and returns the int8 graph and a one-line summary.
    func quantize(_ graph: Graph) throws -> (Graph, String) {
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
        let quantized = try Quantizer.quantize(graph, statistics: statistics, options: options)
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
