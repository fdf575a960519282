/// `f32-layernorm__swift`: LayerNorm over the channels of each NHWC pixel in `rows`:
/// `out = (x − mean) · (1 / sqrt(var + eps)) · gamma + beta`, biased variance, two-pass statistics
/// (mean first, then the mean of squared deviations, so no cancellation). `output` may equal
/// `input` (each row is read completely before it is written); otherwise they must not overlap.
///
/// Numerics: float accumulation in eight lane-wise partial sums combined in a fixed order, then the
/// `channels % 8` rest in order; rows are independent, so the result does not depend on how rows
/// are split. Relative error ~1e-6 against a float64 reference. Never allocates.
public func f32LayerNorm(
    input: UnsafePointer<Float>, rows: Range<Int>, channels c: Int,
    gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float,
    output: UnsafeMutablePointer<Float>
) {
    let vectorEnd = c & ~7
    let count = Float(c)
    for r in rows {
        let x = input + r * c
        let o = output + r * c

        var sumV = SIMD8<Float>()
        var i = 0
        while i < vectorEnd { sumV += load8(x + i); i &+= 8 }
        var sum = horizontalSum(sumV)
        while i < c { sum += x[i]; i &+= 1 }
        let mean = sum / count
        let meanV = splat(mean)

        var sqV = SIMD8<Float>()
        i = 0
        while i < vectorEnd { let d = load8(x + i) - meanV; sqV = multiplyAdd(sqV, d, d); i &+= 8 }
        var sq = horizontalSum(sqV)
        while i < c { let d = x[i] - mean; sq = multiplyAdd(sq, d, d); i &+= 1 }
        let inv = 1 / (sq / count + eps).squareRoot()
        let invV = splat(inv)

        i = 0
        while i < vectorEnd {
            store8(multiplyAdd(load8(beta + i), (load8(x + i) - meanV) * invV, load8(gamma + i)), o + i)
            i &+= 8
        }
        while i < c { o[i] = multiplyAdd(beta[i], (x[i] - mean) * inv, gamma[i]); i &+= 1 }
    }
}
