/// Weights and bias of a 1x1 convolution or linear layer, packed once at load time for
/// ``f32PointwiseGEMM(input:rows:weights:epilogue:residual:output:)``.
///
/// Source layout: `weights[n * inputChannels + k]`, PyTorch's `[out, in]` (or `[out, in, 1, 1]`).
public struct PackedPointwiseWeights: Sendable {
    public let outputChannels: Int
    public let inputChannels: Int
    /// Kernel-private layout.
    let packed: [Float]
    let bias: [Float]

    public init(weights: [Float], bias: [Float], outputChannels: Int, inputChannels: Int) {
        precondition(weights.count == outputChannels * inputChannels && bias.count == outputChannels)
        self.outputChannels = outputChannels
        self.inputChannels = inputChannels
        // Transposed to [in][out] so the inner loop runs over contiguous output channels.
        var t = [Float](repeating: 0, count: weights.count)
        for n in 0..<outputChannels {
            for k in 0..<inputChannels { t[k * outputChannels + n] = weights[n * inputChannels + k] }
        }
        self.packed = t
        self.bias = bias
    }
}

/// What a pointwise kernel applies after `bias + input · weightsᵀ`.
public enum PointwiseEpilogue: Sendable {
    /// Bias only.
    case none
    /// Exact GELU, `x · Φ(x)`.
    case gelu
    /// Adds `residual[r, n]`; `residual` may be the output buffer itself.
    case residual
}

/// `f32-pwconv__swift`: `output[r, n] = epilogue(bias[n] + Σ_k input[r, k] · W[n, k])` for `r` in `rows`.
///
/// NHWC rows: row `r` of the input starts at `input + r * inputChannels`, of the output and residual
/// at `+ r * outputChannels`. Each output element's accumulation order over `k` is fixed, so the
/// result does not depend on how rows are split across threads. Never allocates.
public func f32PointwiseGEMM(
    input: UnsafePointer<Float>, rows: Range<Int>, weights: PackedPointwiseWeights,
    epilogue: PointwiseEpilogue, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
) {
    let n = weights.outputChannels, k = weights.inputChannels
    weights.packed.withUnsafeBufferPointer { w in
        weights.bias.withUnsafeBufferPointer { b in
            for r in rows {
                let o = output + r * n
                // The residual may alias the output: read it before the output is written.
                if case .residual = epilogue {
                    let res = residual! + r * n
                    for j in 0..<n { o[j] = b[j] + res[j] }
                } else {
                    for j in 0..<n { o[j] = b[j] }
                }
                let a = input + r * k
                for kk in 0..<k {
                    let av = a[kk]
                    let wr = w.baseAddress! + kk * n
                    for j in 0..<n { o[j] += av * wr[j] }
                }
                switch epilogue {
                case .none: break
                case .gelu: for j in 0..<n { o[j] = geluExact(o[j]) }
                case .residual: break
                }
            }
        }
    }
}
