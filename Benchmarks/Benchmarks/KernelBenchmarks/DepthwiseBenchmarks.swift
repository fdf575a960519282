import Benchmark
import BenchmarkSupport
import CNXEdge

/// The depthwise 7x7 layer of each ConvNeXt V2 Atto stage at 224x224 (NHWC `height x width x channels`).
struct DepthwiseShape {
    let height: Int
    let width: Int
    let channels: Int

    /// MACs of one call counted as the model counts them: 49 per output value, borders included.
    var macs: Int { height * width * channels * 49 }

    var name: String { "f32-dwconv7x7__swift/\(height)x\(width)x\(channels)" }

    static let atto: [DepthwiseShape] = [
        .init(height: 56, width: 56, channels: 40),  // 6.1 MMAC
        .init(height: 28, width: 28, channels: 80),  // 3.1 MMAC
        .init(height: 14, width: 14, channels: 160), // 1.5 MMAC
        .init(height: 7, width: 7, channels: 320),   // 0.8 MMAC
    ]
}

final class DepthwiseState: @unchecked Sendable {
    let weights: PackedDepthwiseWeights
    let input: FloatBuffer
    let output: FloatBuffer

    init(_ s: DepthwiseShape) {
        weights = PackedDepthwiseWeights(
            weights: gaussianArray(s.channels * 49, std: 0.02, seed: 5), bias: gaussianArray(s.channels, std: 0.02, seed: 6),
            channels: s.channels)
        input = FloatBuffer(count: s.height * s.width * s.channels, seed: 7)
        output = FloatBuffer(count: s.height * s.width * s.channels, repeating: 0)
    }
}

func registerDepthwiseBenchmarks() {
    for shape in DepthwiseShape.atto {
        Benchmark(shape.name, configuration: .kernel(metrics: computeMetrics)) { benchmark, state in
            benchmark.measuringMACs(shape.macs) {
                f32DWConv7x7(input: state.input.pointer, height: shape.height, width: shape.width,
                                    weights: state.weights, outputRows: 0..<shape.height, output: state.output.pointer)
            }
            blackHole(state.output.pointer)
        } setup: {
            DepthwiseState(shape)
        }
    }
}
