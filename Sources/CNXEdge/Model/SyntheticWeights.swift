import Foundation

/// SplitMix64: a tiny, fast, well-distributed generator, so synthetic weights are identical on
/// every platform and Swift version (the standard library's generator makes no such promise).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (Box-Muller).
    public mutating func nextGaussian() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1p-53, 0x1p-60)
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

extension ConvNeXtV2Weights {
    /// Deterministic random weights for `config`, for benchmarking without a checkpoint: convolution
    /// and linear weights normal with std 0.02 (timm's init), LayerNorm and GRN perturbed away from
    /// identity so no op is a no-op. Same seed, same weights, everywhere. Not a trained model.
    public static func synthetic(config: ModelConfig, seed: UInt64 = 0) -> ConvNeXtV2Weights {
        var rng = SplitMix64(seed: seed)
        func normal(_ n: Int, std: Float, mean: Float = 0) -> [Float] {
            (0..<n).map { _ in mean + std * rng.nextGaussian() }
        }
        func norm(_ c: Int) -> LayerNormWeights {
            LayerNormWeights(gamma: normal(c, std: 0.1, mean: 1), beta: normal(c, std: 0.1))
        }
        let d = config.dims
        let stages = (0..<4).map { s in
            let c = d[s]
            let downsample = s == 0 ? nil : DownsampleWeights(
                norm: norm(d[s - 1]), convWeight: normal(c * d[s - 1] * 4, std: 0.02), convBias: normal(c, std: 0.02))
            let blocks = (0..<config.depths[s]).map { _ in
                BlockWeights(
                    dwconvWeight: normal(c * 49, std: 0.02), dwconvBias: normal(c, std: 0.02), norm: norm(c),
                    fc1Weight: normal(4 * c * c, std: 0.02), fc1Bias: normal(4 * c, std: 0.02),
                    grnGamma: normal(4 * c, std: 0.1), grnBeta: normal(4 * c, std: 0.1),
                    fc2Weight: normal(4 * c * c, std: 0.02), fc2Bias: normal(c, std: 0.02))
            }
            return StageWeights(downsample: downsample, blocks: blocks)
        }
        return ConvNeXtV2Weights(
            config: config, stemWeight: normal(d[0] * 48, std: 0.02), stemBias: normal(d[0], std: 0.02),
            stemNorm: norm(d[0]), stages: stages, headNorm: norm(d[3]),
            headWeight: normal(config.numClasses * d[3], std: 0.02), headBias: normal(config.numClasses, std: 0.02))
    }
}
