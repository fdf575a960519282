import Benchmark
import BenchmarkSupport
import CNXEdge

/// Weights of one int8 fc2 (4C → C) with a folded GRN, requantized for an image's GRN scales:
/// `qs8-grn-requantize__swift/NxK` (output x input channels), the work the int8 graph adds per
/// block and image in exchange for never quantizing GRN's output.
final class GRNRequantizeState: @unchecked Sendable {
    let n: Int, k: Int
    var codes: [Int8], output: [Int8], sigma: [Float], weightScale: [Float], bias: [Float]
    var starts: [Int32], multipliers: [Float]

    init(n: Int, k: Int) {
        self.n = n; self.k = k
        let w = gaussianArray(n * k, std: 40, seed: 11).map { Int32(max(-127, min(127, $0.rounded()))) }
        codes = PackedInt8PointwiseWeights(weights: w, bias: [Int32](repeating: 0, count: n), outputChannels: n, inputChannels: k).packedBytes
        output = codes
        sigma = gaussianArray(k, std: 0.3, seed: 12).map { 1 + $0 } + [Float](repeating: 0, count: (k + 3) / 4 * 4 - k)
        weightScale = [Float](repeating: 1e-3, count: n)
        bias = gaussianArray(n, std: 0.1, seed: 13)
        starts = [Int32](repeating: 0, count: (n + 15) / 16 * 16)
        multipliers = [Float](repeating: 0, count: (n + 15) / 16 * 16)
    }
}

func registerQS8GRNRequantizeBenchmarks() {
    // Atto's fc2 of each stage: N = C, K = 4C.
    for c in [40, 80, 160, 320] {
        let (n, k) = (c, 4 * c)
        Benchmark("qs8-grn-requantize__swift/\(n)x\(k)", configuration: .kernel(metrics: memoryBoundMetrics)) { _, s in
            s.codes.withUnsafeBytes { codes in
                s.output.withUnsafeMutableBytes { out in
                    let p = GRNRequantizeParameters(
                        codes: codes.baseAddress!, kGroups: (k + 3) / 4, outputChannels: n, inputScale: s.sigma,
                        weightScale: s.weightScale, bias: s.bias, input: TensorQuantization(scale: 0.02, zeroPoint: 10),
                        output: out.baseAddress!, accumulatorStart: &s.starts, multipliers: &s.multipliers)
                    qs8GRNRequantize(p, panels: 0..<((n + 15) / 16))
                }
            }
            blackHole(s.output)
        } setup: {
            GRNRequantizeState(n: n, k: k)
        }
    }
}
