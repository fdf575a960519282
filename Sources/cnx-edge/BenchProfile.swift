import CNXEdge
import Foundation

/// `bench --profile`: each op's wall time averaged over a pass of separate runs, summed by op kind
/// and listed per op with the kernel that ran it.
struct BenchProfile: Encodable {
    /// One op: its average time and the throughput its MACs reach.
    struct Op: Encodable {
        var index: Int
        var kind: String
        /// NHWC output shape.
        var output: [Int]
        var kernel: String
        var ms: Double
        var gmacPerSecond: Double
    }

    /// All ops of one kind.
    struct Kind: Encodable {
        var kind: String
        var count: Int
        var ms: Double
        var percent: Double
    }

    /// Profiled runs the times are averaged over.
    var iterations: Int
    /// Sum of every op's average time (excludes input checks and copying out the logits).
    var totalMs: Double
    /// Kinds in the order they first appear in the graph.
    var kinds: [Kind]
    var ops: [Op]

    /// Runs `model` `iterations` times with a clock around each op.
    static func measure(_ model: CompiledModel, input: [Float], iterations: Int) throws -> BenchProfile {
        let g = model.graph
        var nanoseconds = [UInt64](repeating: 0, count: g.ops.count)
        for _ in 0..<iterations { _ = try model.predict(input, opNanoseconds: &nanoseconds) }
        let ops = g.ops.enumerated().map { i, op in
            let ms = Double(nanoseconds[i]) / Double(iterations) / 1e6
            return Op(index: i, kind: op.kind, output: g[op.outputs[0]].shape, kernel: model.backend.kernelName(for: op),
                      ms: ms, gmacPerSecond: ms > 0 ? Double(op.macs(in: g)) / (ms * 1e6) : 0)
        }
        let total = ops.reduce(0) { $0 + $1.ms }
        var kinds: [Kind] = []
        for op in ops {
            if let k = kinds.firstIndex(where: { $0.kind == op.kind }) {
                kinds[k].ms += op.ms
                kinds[k].count += 1
            } else {
                kinds.append(Kind(kind: op.kind, count: 1, ms: op.ms, percent: 0))
            }
        }
        for k in kinds.indices { kinds[k].percent = total > 0 ? 100 * kinds[k].ms / total : 0 }
        return BenchProfile(iterations: iterations, totalMs: total, kinds: kinds, ops: ops)
    }

    var text: String {
        func pad(_ s: String, _ w: Int) -> String {
            let p = String(repeating: " ", count: max(0, abs(w) - s.count))
            return w < 0 ? p + s : s + p
        }
        var lines = ["profile: \(iterations) runs timed op by op, \(String(format: "%.2f", totalMs)) ms per run in ops"]
        lines.append(pad("op kind", 16) + pad("count", -6) + pad("ms", -10) + pad("%", -7))
        for k in kinds {
            lines.append(pad(k.kind, 16) + pad("\(k.count)", -6) + pad(String(format: "%.3f", k.ms), -10)
                         + pad(String(format: "%.1f", k.percent), -7))
        }
        lines.append("")
        lines.append(pad("#", -4) + "  " + pad("op", 16) + pad("output", 16) + pad("ms", -9) + pad("GMAC/s", -9) + "  kernel")
        for op in ops {
            lines.append(pad("\(op.index)", -4) + "  " + pad(op.kind, 16) + pad(op.output.map(String.init).joined(separator: "x"), 16)
                         + pad(String(format: "%.3f", op.ms), -9) + pad(op.gmacPerSecond > 0 ? String(format: "%.1f", op.gmacPerSecond) : "-", -9)
                         + "  " + op.kernel)
        }
        return lines.joined(separator: "\n")
    }
}
