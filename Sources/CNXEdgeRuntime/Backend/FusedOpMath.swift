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
