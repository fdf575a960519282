/// What a pointwise kernel applies after `bias + input · weightsᵀ`.
public enum PointwiseEpilogue: Sendable {
    /// Bias only.
    case none
    /// Exact GELU, `x · Φ(x)` (see ``geluExact(_:)``).
    case gelu
    /// Adds `residual[r, n]`; `residual` may be the output buffer itself.
    case residual
}

/// Bytes of packed weights the GEMM keeps hot while it sweeps a row range: panels are processed
/// in groups of about this size, all rows per group, so a large weight matrix (320x1280 is 1.6 MB)
/// is read from L3 once per group rather than once per row tile. Fits a 512 KB L2 with the rows.
let pointwiseWeightBlockBytes = 192 * 1024

/// `f32-pwconv-{none,gelu,residual}__swift`:
/// `output[r, n] = epilogue(bias[n] + Σ_k input[r, k] · W[n, k])` for `r` in `rows`.
///
/// NHWC rows: row `r` of the input starts at `input + r * inputChannels`, of the output and residual
/// at `+ r * outputChannels`. `input` must not overlap `output`; `residual` may be `output`.
///
/// Numerics: each output element starts from its bias and adds the products in increasing `k`, one
/// rounding per multiply and add (one per fused multiply-add on arm64 or `CNX_FMA` builds), then
/// applies the epilogue. The order is the same for every element whatever tile or row range covers
/// it, so the result does not depend on how rows are split across threads (split on multiples of
/// ``pointwiseRowTile`` for the least redundant work). Never allocates.
///
/// Work is done by the register-blocked tiles `f32PWConvTile14x16` and `f32PWConvTile7x16`
/// (`CNX_AVX512` builds, the latter for remainders of 3 to 7 rows), `f32PWConvTile6x16` (other
/// fused builds) and
/// `f32PWConvTile2x16` (other builds, and one- or two-row remainders): rows in tiles, columns in
/// 16-wide panels, panels in groups of about ``pointwiseWeightBlockBytes``.
public func f32PWConv(
    input: UnsafePointer<Float>, rows: Range<Int>, weights: PackedPointwiseWeights,
    epilogue: PointwiseEpilogue, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>
) {
    if case .residual = epilogue {
        precondition(residual != nil, "f32PWConv: the residual epilogue needs a residual buffer")
    }
    let n = weights.outputChannels, k = weights.inputChannels
    let width = PackedPointwiseWeights.panelWidth
    let panelFloats = k * width
    let panelCount = weights.panelCount
    let groupPanels = max(1, pointwiseWeightBlockBytes / (panelFloats * 4))
    let panels = UnsafePointer(weights.panels.base), bias = UnsafePointer(weights.bias.base)
    let tileRows = pointwiseRowTile

    var firstPanel = 0
    while firstPanel < panelCount {
        let endPanel = min(panelCount, firstPanel + groupPanels)
        var r = rows.lowerBound
        while r < rows.upperBound {
            let m = min(tileRows, rows.upperBound - r)
            let a = input + r * k
            // The largest tile of this build that covers the m rows; a remainder of one or two rows
            // takes the 2-row tile: same operations per element, a third of the 6-row tile's time.
            let tile = if tileRows == 14 && m > 7 {
                f32PWConvTile14x16
            } else if tileRows == 14 && m > 2 {
                f32PWConvTile7x16
            } else if tileRows == 6 && m > 2 {
                f32PWConvTile6x16
            } else {
                f32PWConvTile2x16
            }
            for p in firstPanel..<endPanel {
                let col = p * width
                let offset = r * n + col
                tile(a, k, m, panels + p * panelFloats, bias + col, epilogue, residual.map { $0 + offset },
                     output + offset, n, min(width, n - col))
            }
            r += tileRows
        }
        firstPanel = endPanel
    }
}
