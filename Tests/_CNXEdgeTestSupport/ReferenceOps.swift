import CNXEdge
import Foundation

/// Naive float64 definitions of the kernel ops, the oracle for the kernel tests.
///
/// Every function takes the kernel's source layouts (PyTorch weight layouts, NHWC activations),
/// computes in `Double` in the textbook order, and returns `Double`s so rounding in the kernel is
/// measured, not shared.
public enum ReferenceOps {
    /// Exact GELU, `0.5 x (1 + erf(x / √2))`, with libm's double `erf`.
    public static func gelu(_ x: Double) -> Double {
        0.5 * x * (1 + erf(x / 2.0.squareRoot()))
    }

    /// `epilogue(bias[n] + Σ_k input[r, k] · weights[n, k])` for every row of `input` (`[rows, k]`),
    /// `weights` `[n, k]` row-major. `residual` (`[rows, n]`) is needed for `.residual`.
    public static func pointwise(
        input: [Float], rows: Int, inputChannels k: Int, weights: [Float], bias: [Float], outputChannels n: Int,
        epilogue: PointwiseEpilogue, residual: [Float]? = nil
    ) -> [Double] {
        var out = linear(input.map(Double.init), rows: rows, k: k, weights.map(Double.init), bias.map(Double.init), n: n)
        for i in out.indices {
            switch epilogue {
            case .none: break
            case .gelu: out[i] = gelu(out[i])
            case .residual: out[i] += Double(residual![i])
            }
        }
        return out
    }

    /// `bias[n] + Σ_k x[r, k] · w[n, k]` for every row of `x` (`[rows, k]`), in double.
    public static func linear(_ x: [Double], rows: Int, k: Int, _ w: [Double], _ bias: [Double], n: Int) -> [Double] {
        var out = [Double](repeating: 0, count: rows * n)
        for r in 0..<rows {
            for j in 0..<n {
                var acc = bias[j]
                for i in 0..<k { acc += x[r * k + i] * w[j * k + i] }
                out[r * n + j] = acc
            }
        }
        return out
    }

    /// Depthwise 7x7, stride 1, zero padding 3, NHWC `[height, width, channels]`; `weights` `[channels, 1, 7, 7]`.
    public static func depthwise7x7(
        input: [Float], height: Int, width: Int, channels c: Int, weights: [Float], bias: [Float]
    ) -> [Double] {
        depthwise7x7(input.map(Double.init), height: height, width: width, channels: c, weights: weights.map(Double.init),
                     bias: bias.map(Double.init))
    }

    /// ``depthwise7x7(input:height:width:channels:weights:bias:)`` on values already in double.
    public static func depthwise7x7(_ input: [Double], height: Int, width: Int, channels c: Int, weights: [Double],
                                    bias: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: height * width * c)
        for y in 0..<height {
            for x in 0..<width {
                for ch in 0..<c {
                    var acc = bias[ch]
                    for ky in 0..<7 {
                        for kx in 0..<7 {
                            let iy = y + ky - 3, ix = x + kx - 3
                            guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                            acc += input[(iy * width + ix) * c + ch] * weights[ch * 49 + ky * 7 + kx]
                        }
                    }
                    out[(y * width + x) * c + ch] = acc
                }
            }
        }
        return out
    }

    /// LayerNorm over the last axis of `[rows, channels]`, biased variance.
    public static func layerNorm(
        input: [Float], rows: Int, channels c: Int, gamma: [Float], beta: [Float], eps: Float
    ) -> [Double] {
        layerNorm(input.map(Double.init), rows: rows, channels: c, gamma: gamma.map(Double.init), beta: beta.map(Double.init),
                  eps: Double(eps))
    }

    /// ``layerNorm(input:rows:channels:gamma:beta:eps:)`` on values already in double.
    public static func layerNorm(_ input: [Double], rows: Int, channels c: Int, gamma: [Double], beta: [Double], eps: Double) -> [Double] {
        var out = [Double](repeating: 0, count: rows * c)
        for r in 0..<rows {
            let x = input[(r * c)..<((r + 1) * c)]
            let mean = x.reduce(0, +) / Double(c)
            let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
            let inv = 1 / (variance + eps).squareRoot()
            for i in 0..<c { out[r * c + i] = (input[r * c + i] - mean) * inv * gamma[i] + beta[i] }
        }
        return out
    }

    /// `Σ_p x[p, c]²` per channel of `[pixels, channels]`, exact products.
    public static func channelSumOfSquares(input: [Float], pixels: Int, channels c: Int) -> [Double] {
        var sums = [Double](repeating: 0, count: c)
        for p in 0..<pixels {
            for i in 0..<c { sums[i] += Double(input[p * c + i]) * Double(input[p * c + i]) }
        }
        return sums
    }

    /// `x[r, c] · scale[c] + bias[c]` over `[rows, channels]`.
    public static func channelScaleBias(
        data: [Float], rows: Int, channels c: Int, scale: [Float], bias: [Float]
    ) -> [Double] {
        var out = [Double](repeating: 0, count: rows * c)
        for r in 0..<rows {
            for i in 0..<c { out[r * c + i] = Double(data[r * c + i]) * Double(scale[i]) + Double(bias[i]) }
        }
        return out
    }

    /// `‖out − ref‖₂ / ‖ref‖₂` (or the absolute norm when the reference is all zeros).
    public static func normalizedError(_ out: [Float], _ ref: [Double]) -> Double {
        precondition(out.count == ref.count, "normalizedError: \(out.count) vs \(ref.count) elements")
        var num = 0.0, den = 0.0
        for i in out.indices {
            let d = Double(out[i]) - ref[i]
            num += d * d
            den += ref[i] * ref[i]
        }
        return den > 0 ? (num / den).squareRoot() : num.squareRoot()
    }
}

/// The library's deterministic generator, so kernel tests are reproducible.
public typealias SeededGenerator = SplitMix64

extension SplitMix64 {
    /// `count` floats uniform in `range`.
    public mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }
}
