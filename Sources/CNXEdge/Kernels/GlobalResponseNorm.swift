/// `f32-sumsq__swift`: per-channel sum of squares over `pixels` NHWC pixels, accumulated into `sums`
/// (which the caller zeroes). Accumulates in `Double` so the GRN norm is exact to float precision.
public func f32ChannelSumOfSquares(
    input: UnsafePointer<Float>, pixels: Range<Int>, channels c: Int, sums: UnsafeMutablePointer<Double>
) {
    for p in pixels {
        let x = input + p * c
        for i in 0..<c { sums[i] += Double(x[i] * x[i]) }
    }
}

/// `f32-scalebias__swift`: `data[r, c] = data[r, c] · scale[c] + bias[c]` in place for `rows`.
/// GRN reduces to this once its global norm is known: scale `1 + γ·N`, bias `β`.
public func f32ChannelScaleBias(
    data: UnsafeMutablePointer<Float>, rows: Range<Int>, channels c: Int,
    scale: UnsafePointer<Float>, bias: UnsafePointer<Float>
) {
    for r in rows {
        let x = data + r * c
        for i in 0..<c { x[i] = x[i] * scale[i] + bias[i] }
    }
}
