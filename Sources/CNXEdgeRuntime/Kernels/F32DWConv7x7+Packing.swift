/// Depthwise 7x7 weights packed for ``f32DWConv7x7(input:height:width:weights:outputRows:output:)``.
///
/// Packed layout (kernel-private): `[tap][paddedChannels]` with `tap = ky · 7 + kx`, so the weights
/// of one tap for eight consecutive channels are one vector load; channels are padded with zeros
/// to a multiple of 8, and the storage is 64-byte aligned. The bias is padded the same way.
public struct PackedDepthwiseWeights: Sendable {
    public let channels: Int
    /// `channels` rounded up to a multiple of 8.
    let paddedChannels: Int
    /// `49 × paddedChannels` floats.
    let taps: AlignedFloatBuffer
    /// `paddedChannels` floats.
    let bias: AlignedFloatBuffer

    /// Wraps taps and bias already in the packed layout (from a `.cnx` file).
    init(channels: Int, taps: AlignedFloatBuffer, bias: AlignedFloatBuffer) {
        let padded = (channels + 7) / 8 * 8
        precondition(taps.count == 49 * padded && bias.count == padded, "packed depthwise weights: wrong sizes")
        self.channels = channels
        paddedChannels = padded
        self.taps = taps
        self.bias = bias
    }

    /// - Parameters:
    ///   - weights: PyTorch layout `[channels, 1, 7, 7]`.
    ///   - bias: `[channels]`.
    public init(weights: [Float], bias: [Float], channels: Int) {
        precondition(channels > 0, "depthwise weights need at least one channel")
        precondition(weights.count == channels * 49 && bias.count == channels,
                     "depthwise 7x7: \(weights.count) weights and \(bias.count) biases for \(channels) channels")
        let padded = (channels + 7) / 8 * 8
        self.channels = channels
        paddedChannels = padded
        taps = AlignedFloatBuffer(count: 49 * padded) { t in
            for c in 0..<channels {
                for tap in 0..<49 { t[tap * padded + c] = weights[c * 49 + tap] }
            }
        }
        self.bias = AlignedFloatBuffer(count: padded) { b in
            for c in 0..<channels { b[c] = bias[c] }
        }
    }
}
