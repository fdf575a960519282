import CNXEdgeRuntime
import Foundation

/// Signal-to-quantization-noise ratio of one op's output: the int8 model's (dequantized) output
/// against the fp32 model's, both running end to end, so errors accumulate as in real use.
public struct OpSQNR: Sendable, Codable, Equatable {
    /// Position in the graph.
    public var op: Int
    /// The int8 graph's op kind (`qu8PointwiseGELU`, `pointwiseGELU`, ...).
    public var kind: String
    /// Its main output tensor's name.
    public var tensor: String
    /// Whether the int8 graph runs this op in int8 (``FusedOp/precision``; a `qu8Downsample`, float
    /// in and out, counts: its convolution is int8).
    public var int8: Bool
    /// `10·log10(Σ fp32² / Σ (fp32 − int8)²)` over every element of every image, in dB.
    public var decibels: Double
}

/// Comparisons of an int8 graph with the fp32 graph it was made from.
public enum QuantizationAnalysis {
    /// SQNR in dB of `test` against `reference`.
    public static func sqnr(_ reference: [Float], _ test: [Float]) -> Double {
        var signal = 0.0, noise = 0.0
        for i in reference.indices {
            let r = Double(reference[i]), d = r - Double(test[i])
            signal += r * r
            noise += d * d
        }
        return decibels(signal: signal, noise: noise)
    }

    static func decibels(signal: Double, noise: Double) -> Double {
        noise > 0 ? 10 * log10(signal / noise) : .infinity
    }

    /// Per-op SQNR of `int8` against `fp32` (the fp32 graph and the int8 one that
    /// ``Quantizer/quantize(_:statistics:options:)`` made of it) over `inputs`: one entry per op of
    /// the int8 graph, matched to the fp32 op with the same output tensor and numbered as in the
    /// fp32 graph (a GRN folded into its 1x1 has no entry of its own).
    public static func perOpSQNR(fp32: CompiledModel, int8: CompiledModel, inputs: some Sequence<[Float]>) throws -> [OpSQNR] {
        func output(_ op: FusedOp) -> TensorID { op.outputs[0] }
        var fp32Index: [String: Int] = [:]
        for (i, op) in fp32.graph.ops.enumerated() { fp32Index[fp32.graph[output(op)].name] = i }
        let matched = int8.graph.ops.map { op in fp32Index[int8.graph[output(op)].name] }
        precondition(!matched.contains(nil), "perOpSQNR: an int8 op's output is not an fp32 op's")
        let ops = int8.graph.ops.count
        var signal = [Double](repeating: 0, count: ops), noise = signal
        for input in inputs {
            var reference: [[Float]] = Array(repeating: [], count: fp32.graph.ops.count)
            _ = try fp32.predict(input) { i, after, buffers in
                guard after else { return }
                let t = output(fp32.graph.ops[i])
                reference[i] = Array(UnsafeBufferPointer(start: buffers.float(t), count: fp32.graph[t].elementCount))
            }
            _ = try int8.predict(input) { i, after, buffers in
                guard after else { return }
                let t = output(int8.graph.ops[i]), tensor = int8.graph[t], n = tensor.elementCount
                let r = reference[matched[i]!]
                if let q = tensor.quantization {
                    let codes = buffers.bytes(t)
                    for j in 0..<n {
                        let x = Double(r[j]), d = x - Double(q.scale) * Double(Int32(codes[j]) - q.zeroPoint)
                        signal[i] += x * x; noise[i] += d * d
                    }
                } else {
                    let values = buffers.float(t)
                    for j in 0..<n {
                        let x = Double(r[j]), d = x - Double(values[j])
                        signal[i] += x * x; noise[i] += d * d
                    }
                }
            }
        }
        return (0..<ops).map { i in
            let op = int8.graph.ops[i]
            return OpSQNR(op: matched[i]!, kind: op.kind, tensor: int8.graph[output(op)].name, int8: op.precision == .int8,
                          decibels: decibels(signal: signal[i], noise: noise[i]))
        }
    }
}
