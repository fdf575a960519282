/// Weights and bias of a 1x1 convolution or linear layer, packed once at load time for
/// ``f32PWConv(input:rows:weights:epilogue:residual:output:)``.
///
/// Source layout: `weights[n * inputChannels + k]`, PyTorch's `[out, in]` (or `[out, in, 1, 1]`).
///
/// Packed layout (kernel-private): output channels in panels of ``panelWidth`` (16). Panel `p`
/// holds columns `16p ..< 16p + 16` as `[k][16]`, so one step of the reduction reads one 64-byte
/// line; the last panel is zero-padded past `outputChannels`. Panels are contiguous and
/// 64-byte aligned. The bias is padded to the same width.
public struct PackedPointwiseWeights: Sendable {
    public let outputChannels: Int
    public let inputChannels: Int
    /// `ceil(outputChannels / 16)` panels of `inputChannels × 16` floats.
    let panels: AlignedFloatBuffer
    /// `16 · panelCount` floats, zero past `outputChannels`.
    let bias: AlignedFloatBuffer

    /// Output channels per packed panel, the column width of the GEMM microkernel.
    static let panelWidth = 16

    /// Number of column panels.
    var panelCount: Int { (outputChannels + Self.panelWidth - 1) / Self.panelWidth }

    /// Wraps panels and bias already in the packed layout (from a `.cnx` file).
    init(outputChannels: Int, inputChannels: Int, panels: AlignedFloatBuffer, bias: AlignedFloatBuffer) {
        precondition(panels.count == (outputChannels + 15) / 16 * 16 * inputChannels && bias.count == (outputChannels + 15) / 16 * 16,
                     "packed pointwise weights: wrong sizes")
        self.outputChannels = outputChannels
        self.inputChannels = inputChannels
        self.panels = panels
        self.bias = bias
    }

    /// - Parameters:
    ///   - weights: `[outputChannels, inputChannels]`, row-major.
    ///   - bias: `[outputChannels]`.
    public init(weights: [Float], bias: [Float], outputChannels: Int, inputChannels: Int) {
        precondition(outputChannels > 0 && inputChannels > 0, "pointwise weights need at least one channel")
        precondition(weights.count == outputChannels * inputChannels && bias.count == outputChannels,
                     "pointwise weights: \(weights.count) weights and \(bias.count) biases for \(outputChannels)x\(inputChannels)")
        self.outputChannels = outputChannels
        self.inputChannels = inputChannels
        let width = Self.panelWidth
        let panelCount = (outputChannels + width - 1) / width
        panels = AlignedFloatBuffer(count: panelCount * inputChannels * width) { packed in
            for n in 0..<outputChannels {
                let panel = packed + (n / width) * inputChannels * width + n % width
                for k in 0..<inputChannels { panel[k * width] = weights[n * inputChannels + k] }
            }
        }
        self.bias = AlignedFloatBuffer(count: panelCount * width) { packed in
            for n in 0..<outputChannels { packed[n] = bias[n] }
        }
    }
}
