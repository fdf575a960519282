/// The small per-op computations every backend does the same way, so that backends agree exactly
/// on them: GRN's per-channel scale from its sums and the head's average pool.
enum FusedOpMath {
    /// GRN's per-channel scale `1 + γ_c · N_c`, `N_c = √s_c / (mean_c √s_c + 1e-6)`, from the
    /// float64 sums of squares `s` (`[c]`), summed in channel order (as ``SwiftFP32Model`` does).
    /// Writes `c` floats to `scale`; never allocates.
    static func grnScale(sums: UnsafePointer<Double>, gamma: UnsafePointer<Float>, channels c: Int,
                         scale: UnsafeMutablePointer<Float>) {
        var meanNorm = 0.0
        for i in 0..<c { meanNorm += sums[i].squareRoot() }
        meanNorm /= Double(c)
        for i in 0..<c { scale[i] = 1 + gamma[i] * Float(sums[i].squareRoot() / (meanNorm + 1e-6)) }
    }

    /// Pixels per block of ``channelSumOfSquares(_:pixels:channels:partials:into:runner:)``
    /// (the native backend's blocks too).
    static let sumOfSquaresBlock = 256

    /// Blocks ``channelSumOfSquares(_:pixels:channels:partials:into:runner:)`` splits `pixels` into.
    static func sumOfSquaresBlocks(pixels: Int) -> Int { (pixels + sumOfSquaresBlock - 1) / sumOfSquaresBlock }

    /// GRN's `sums[c] = Σ_p x[p, c]²` in double: each fixed block of ``sumOfSquaresBlock`` pixels
    /// into its own row of `partials` (`[blocks][c]` doubles) on `runner`'s threads, then the
    /// blocks added in order on this thread. The same sums for any thread count. Never allocates.
    static func channelSumOfSquares(_ x: UnsafePointer<Float>, pixels: Int, channels c: Int,
                                    partials: UnsafeMutablePointer<Double>, into sums: UnsafeMutablePointer<Double>,
                                    runner: ParallelRunner) {
        let block = sumOfSquaresBlock, blocks = sumOfSquaresBlocks(pixels: pixels)
        runner.forEachChunk(blocks) { r in
            for b in r {
                let partial = partials + b * c
                partial.update(repeating: 0, count: c)
                f32ChannelSumOfSquares(input: x, pixels: (b * block)..<min(pixels, (b + 1) * block), channels: c, sums: partial)
            }
        }
        sums.update(repeating: 0, count: c)
        for b in 0..<blocks {
            let partial = partials + b * c
            for i in 0..<c { sums[i] += partial[i] }
        }
    }

    /// Global average pool of NHWC `[pixels][c]` into `pooled` (`[c]`), each channel summed in
    /// double in increasing pixel order. Never allocates.
    static func averagePool(_ input: UnsafePointer<Float>, pixels: Int, channels c: Int,
                            into pooled: UnsafeMutablePointer<Float>) {
        for ch in 0..<c {
            var sum = 0.0
            for q in 0..<pixels { sum += Double(input[q * c + ch]) }
            pooled[ch] = Float(sum / Double(pixels))
        }
    }
}
