import Benchmark
import BenchmarkSupport
import CNXEdge

// LayerNorm and the two halves of GRN at their largest Atto shapes (stage 0, 56x56 = 3136 pixels).
// These do a few flops per byte, so the rows report time and iterations per second, not MAC/s.

/// Buffers for the channel-wise kernels: `rows x channels` activations and per-channel parameters.
final class ChannelwiseState: @unchecked Sendable {
    let rows: Int
    let channels: Int
    let input: FloatBuffer
    let output: FloatBuffer
    let gamma: FloatBuffer
    let beta: FloatBuffer
    let sums: UnsafeMutablePointer<Double>

    init(rows: Int, channels: Int) {
        self.rows = rows
        self.channels = channels
        input = FloatBuffer(count: rows * channels, seed: 8)
        output = FloatBuffer(count: rows * channels, seed: 9)
        gamma = FloatBuffer(count: channels, repeating: 1)
        beta = FloatBuffer(count: channels, std: 0.01, seed: 10)
        sums = .allocate(capacity: channels)
        sums.initialize(repeating: 0, count: channels)
    }

    deinit { sums.deallocate() }
}

func registerNormalizationBenchmarks() {
    // LayerNorm after each stage-0 depthwise conv: 3136 pixels x 40 channels.
    Benchmark("f32-layernorm__swift/3136x40", configuration: .kernel(metrics: memoryBoundMetrics)) { _, s in
        f32LayerNorm(input: s.input.pointer, rows: 0..<s.rows, channels: s.channels, gamma: s.gamma.pointer,
                     beta: s.beta.pointer, eps: 1e-6, output: s.output.pointer)
        blackHole(s.output.pointer)
    } setup: {
        ChannelwiseState(rows: 3136, channels: 40)
    }

    // GRN's statistics pass over stage 0's hidden activation: 3136 pixels x 160 channels.
    // Zeroing the 160 sums is part of the row, as the model does it before every call.
    Benchmark("f32-sumsq__swift/3136x160", configuration: .kernel(metrics: memoryBoundMetrics)) { _, s in
        s.sums.update(repeating: 0, count: s.channels)
        f32SumSq(input: s.input.pointer, pixels: 0..<s.rows, channels: s.channels, sums: s.sums)
        blackHole(s.sums)
    } setup: {
        ChannelwiseState(rows: 3136, channels: 160)
    }

    // GRN's in-place scale and bias on the same activation. Scale 1 and a small zero-mean bias
    // keep the values bounded however many times it runs (no drift into infinities or denormals).
    Benchmark("f32-scalebias__swift/3136x160", configuration: .kernel(metrics: memoryBoundMetrics)) { _, s in
        f32ScaleBias(data: s.output.pointer, rows: 0..<s.rows, channels: s.channels,
                            scale: s.gamma.pointer, bias: s.beta.pointer)
        blackHole(s.output.pointer)
    } setup: {
        ChannelwiseState(rows: 3136, channels: 160)
    }
}
