/// `f32-layernorm__swift`: LayerNorm over the channels of each NHWC pixel in `rows`:
/// `out = (x − mean) / sqrt(var + eps) · gamma + beta`, biased variance, two-pass statistics.
/// `output` may equal `input`.
public func f32LayerNorm(
    input: UnsafePointer<Float>, rows: Range<Int>, channels c: Int,
    gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float,
    output: UnsafeMutablePointer<Float>
) {
    for r in rows {
        let x = input + r * c
        let o = output + r * c
        var sum: Float = 0
        for i in 0..<c { sum += x[i] }
        let mean = sum / Float(c)
        var sq: Float = 0
        for i in 0..<c { let d = x[i] - mean; sq += d * d }
        let inv = 1 / (sq / Float(c) + eps).squareRoot()
        for i in 0..<c { o[i] = (x[i] - mean) * inv * gamma[i] + beta[i] }
    }
}
