/// The swift backend's float32 ops: one function per ``FusedOp`` case, each running its kernels on
/// the prepared constants and the plan's buffers.
extension SwiftBackend {
    func stem(_ p: StemParameters, _ weights: PackedPointwiseWeights, _ norm: NormVectors, _ buffers: ExecutionBuffers,
              scratch: UnsafeMutableRawPointer) {
        let g = graph!, y = nhwc(p.output), out = buffers.float(p.output)
        let patches = scratch.assumingMemoryBound(to: Float.self)
        Patchify.nchwImage(buffers.float(p.input), height: g.inputHeight, width: g.inputWidth, patch: 4, into: patches, runner: runner)
        gemm(patches, rows: y.h * y.w, weights, .none, nil, out)
        layerNorm(out, rows: y.h * y.w, y.c, norm, out)
    }

    /// Depthwise 7x7 + LayerNorm into `output` (float32): one parallel round, each worker
    /// normalising the pixels of the rows it convolved, then `finish` on them (the int8 op
    /// quantizes). `finish` is not optional: an optional closure parameter escapes, and its context
    /// would be allocated on every call.
    func depthwiseConvLN(_ p: DepthwiseConvLNParameters, _ weights: PackedDepthwiseWeights, _ norm: NormVectors,
                         _ buffers: ExecutionBuffers, output out: UnsafeMutablePointer<Float>? = nil,
                         finish: (Range<Int>) -> Void = { _ in }) {
        let x = nhwc(p.input), input = buffers.float(p.input), out = out ?? buffers.float(p.output)
        let gamma = UnsafePointer(norm.gamma.base), beta = UnsafePointer(norm.beta.base), eps = norm.epsilon
        runner.forEachChunk(x.h) { rows in
            f32DWConv7x7(input: input, height: x.h, width: x.w, weights: weights, outputRows: rows, output: out)
            let pixels = (rows.lowerBound * x.w)..<(rows.upperBound * x.w)
            f32LayerNorm(input: out, rows: pixels, channels: x.c, gamma: gamma, beta: beta, eps: eps, output: out)
            finish(pixels)
        }
    }

    func pointwiseGELU(_ p: PointwiseGELUParameters, _ weights: PackedPointwiseWeights, _ buffers: ExecutionBuffers,
                       scratch: UnsafeMutableRawPointer) {
        let y = nhwc(p.output), out = buffers.float(p.output)
        gemm(buffers.float(p.input), rows: y.h * y.w, weights, .gelu, nil, out)
        FusedOpMath.channelSumOfSquares(out, pixels: y.h * y.w, channels: y.c, partials: scratch.assumingMemoryBound(to: Double.self),
                                        into: buffers.double(p.sumOfSquares), runner: runner)
    }

    func grn(_ p: GRNParameters, _ gamma: AlignedFloatBuffer, _ beta: AlignedFloatBuffer, _ buffers: ExecutionBuffers,
             scratch: UnsafeMutableRawPointer) {
        let x = nhwc(p.input), c = x.c, scale = scratch.assumingMemoryBound(to: Float.self)
        FusedOpMath.grnScale(sums: buffers.double(p.sumOfSquares), gamma: gamma.base, channels: c, scale: scale)
        let data = buffers.float(p.input), out = buffers.float(p.output), bias = UnsafePointer(beta.base)
        if out != data { out.update(from: data, count: graph![p.input].elementCount) }
        runner.forEachChunk(x.h * x.w, granularity: 8) { r in
            f32ScaleBias(data: out, rows: r, channels: c, scale: scale, bias: bias)
        }
    }

    func pointwise(_ p: PointwiseParameters, _ weights: PackedPointwiseWeights, _ buffers: ExecutionBuffers) {
        pointwise(p.input, p.output, p.residual, weights, buffers)
    }

    /// A float 1x1 into `output`, accumulating onto `residual` where there is one.
    private func pointwise(_ input: TensorID, _ output: TensorID, _ residual: TensorID?, _ weights: PackedPointwiseWeights,
                           _ buffers: ExecutionBuffers) {
        let y = nhwc(output), out = buffers.float(output)
        copyResidual(residual, to: output, buffers)
        gemm(buffers.float(input), rows: y.h * y.w, weights, residual == nil ? .none : .residual, residual == nil ? nil : out, out)
    }

    /// GRN's scale `σ` from the sums, the weights `W·diag(σ)` into the folded copy (row `k` of every
    /// `[k][16]` panel times `σ[k]`), then the plain 1x1 on them.
    func grnPointwise(_ p: GRNPointwiseParameters, _ packed: PackedPointwiseWeights, _ folded: FoldedGRN, _ buffers: ExecutionBuffers,
                      scratch: UnsafeMutableRawPointer) {
        let k = packed.inputChannels, scale = scratch.assumingMemoryBound(to: Float.self)
        FusedOpMath.grnScale(sums: buffers.double(p.grn.sumOfSquares), gamma: folded.gamma.base, channels: k, scale: scale)
        FusedOpMath.scaleInputRows(panels: UnsafePointer(packed.panels.base), panelCount: packed.panelCount, inputChannels: k,
                                   by: scale, into: folded.scaledPanels.base)
        pointwise(p.input, p.output, p.residual, folded.scaled, buffers)
    }

    func downsample(_ p: DownsampleParameters, _ norm: NormVectors, _ weights: PackedPointwiseWeights, _ buffers: ExecutionBuffers,
                    scratch: UnsafeMutableRawPointer) {
        let x = nhwc(p.input), n = graph![p.input].elementCount
        let normed = scratch.assumingMemoryBound(to: Float.self)
        let patches = (scratch + MemoryPlanner.align(n * 4)).assumingMemoryBound(to: Float.self)
        layerNorm(buffers.float(p.input), rows: x.h * x.w, x.c, norm, normed)
        Patchify.nhwc(normed, height: x.h, width: x.w, channels: x.c, into: patches, runner: runner)
        gemm(patches, rows: (x.h / 2) * (x.w / 2), weights, .none, nil, buffers.float(p.output))
    }

    func head(_ p: HeadParameters, _ norm: NormVectors, _ weights: PackedPointwiseWeights, _ buffers: ExecutionBuffers,
              scratch: UnsafeMutableRawPointer) {
        let x = nhwc(p.input), pooled = scratch.assumingMemoryBound(to: Float.self)
        FusedOpMath.averagePool(buffers.float(p.input), pixels: x.h * x.w, channels: x.c, into: pooled)
        layerNorm(pooled, rows: 1, x.c, norm, pooled)
        f32PWConv(input: pooled, rows: 0..<1, weights: weights, epilogue: .none, residual: nil, output: buffers.float(p.output))
    }
}
