/// Depthwise 7x7 weights packed as `[tap][channel]` (tap = ky * 7 + kx) so a pixel's channels are contiguous.
public struct PackedDepthwiseWeights: Sendable {
    public let channels: Int
    let taps: [Float]
    let bias: [Float]

    /// - Parameter weights: PyTorch layout `[C, 1, 7, 7]`.
    public init(weights: [Float], bias: [Float], channels: Int) {
        precondition(weights.count == channels * 49 && bias.count == channels)
        var t = [Float](repeating: 0, count: weights.count)
        for c in 0..<channels {
            for tap in 0..<49 { t[tap * channels + c] = weights[c * 49 + tap] }
        }
        self.channels = channels
        self.taps = t
        self.bias = bias
    }
}

/// `f32-dwconv7x7__swift`: depthwise 7x7 convolution, stride 1, zero padding 3, NHWC, for the output
/// rows `outputRows`. `input` and `output` are `[height, width, channels]` and must not overlap.
public func f32DepthwiseConv7x7(
    input: UnsafePointer<Float>, height: Int, width: Int, weights: PackedDepthwiseWeights,
    outputRows: Range<Int>, output: UnsafeMutablePointer<Float>
) {
    let c = weights.channels
    weights.taps.withUnsafeBufferPointer { taps in
        weights.bias.withUnsafeBufferPointer { bias in
            for y in outputRows {
                for x in 0..<width {
                    let o = output + (y * width + x) * c
                    for ch in 0..<c { o[ch] = bias[ch] }
                    for ky in 0..<7 {
                        let iy = y + ky - 3
                        if iy < 0 || iy >= height { continue }
                        for kx in 0..<7 {
                            let ix = x + kx - 3
                            if ix < 0 || ix >= width { continue }
                            let i = input + (iy * width + ix) * c
                            let t = taps.baseAddress! + (ky * 7 + kx) * c
                            for ch in 0..<c { o[ch] += i[ch] * t[ch] }
                        }
                    }
                }
            }
        }
    }
}
