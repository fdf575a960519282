import Benchmark
import BenchmarkSupport
import CNXEdge

/// One pointwise (1x1 conv / linear) GEMM of ConvNeXt V2 Atto at 224x224.
struct PointwiseShape {
    /// Pixels (rows of the NHWC activation).
    let rows: Int
    /// Input channels.
    let k: Int
    /// Output channels.
    let n: Int
    let epilogue: PointwiseEpilogue

    /// MACs of one call: rows · K · N (the epilogue is not counted).
    var macs: Int { rows * k * n }

    /// `f32-pwconv-{none,gelu,residual}__swift/ROWSxKxN`, the kernel's name as its doc comment gives it.
    var name: String {
        let kernel = switch epilogue {
        case .none: "f32-pwconv-none__swift"
        case .gelu: "f32-pwconv-gelu__swift"
        case .residual: "f32-pwconv-residual__swift"
        }
        return "\(kernel)/\(rows)x\(k)x\(n)"
    }

    /// fc1 (C → 4C, GELU) and fc2 (4C → C, residual add) of each stage, the stem's 4x4 patch GEMM
    /// (3·4·4 = 48 → 40) and the classifier head (320 → 1000 on the pooled vector).
    static let atto: [PointwiseShape] = [
        .init(rows: 3136, k: 40, n: 160, epilogue: .gelu),     //  20.1 MMAC, stage 0 fc1
        .init(rows: 3136, k: 160, n: 40, epilogue: .residual), //  20.1 MMAC, stage 0 fc2
        .init(rows: 784, k: 80, n: 320, epilogue: .gelu),      //  20.1 MMAC, stage 1 fc1
        .init(rows: 784, k: 320, n: 80, epilogue: .residual),  //  20.1 MMAC, stage 1 fc2
        .init(rows: 196, k: 160, n: 640, epilogue: .gelu),     //  20.1 MMAC, stage 2 fc1
        .init(rows: 196, k: 640, n: 160, epilogue: .residual), //  20.1 MMAC, stage 2 fc2
        .init(rows: 49, k: 320, n: 1280, epilogue: .gelu),     //  20.1 MMAC, stage 3 fc1
        .init(rows: 49, k: 1280, n: 320, epilogue: .residual), //  20.1 MMAC, stage 3 fc2
        .init(rows: 3136, k: 48, n: 40, epilogue: .none),      //   6.0 MMAC, stem
        .init(rows: 1, k: 320, n: 1000, epilogue: .none),      //   0.3 MMAC, head
    ]
}

/// Buffers of one pointwise row. The residual is its own buffer (the model passes the output
/// itself) so repeated iterations do not keep adding into the same values.
final class PointwiseState: @unchecked Sendable {
    let weights: PackedPointwiseWeights
    let input: FloatBuffer
    let residual: FloatBuffer?
    let output: FloatBuffer

    init(_ s: PointwiseShape) {
        weights = PackedPointwiseWeights(
            weights: gaussianArray(s.n * s.k, std: 0.02, seed: 1), bias: gaussianArray(s.n, std: 0.02, seed: 2),
            outputChannels: s.n, inputChannels: s.k)
        input = FloatBuffer(count: s.rows * s.k, seed: 3)
        if case .residual = s.epilogue { residual = FloatBuffer(count: s.rows * s.n, seed: 4) } else { residual = nil }
        output = FloatBuffer(count: s.rows * s.n, repeating: 0)
    }
}

func registerPointwiseBenchmarks() {
    for shape in PointwiseShape.atto {
        Benchmark(shape.name, configuration: .kernel(metrics: computeMetrics)) { benchmark, state in
            benchmark.measuringMACs(shape.macs) {
                f32PWConv(input: state.input.pointer, rows: 0..<shape.rows, weights: state.weights,
                                 epilogue: shape.epilogue, residual: state.residual?.pointer,
                                 output: state.output.pointer)
            }
            blackHole(state.output.pointer)
        } setup: {
            PointwiseState(shape)
        }
    }
}
