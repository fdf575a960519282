#if Native
import CCNXKernels

/// The native backend's float32 ops: one function per ``FusedOp`` case, each running its C kernels
/// on the prepared constants and the plan's buffers.
extension NativeBackend {
    func stem(_ p: StemParameters, _ weights: Pointwise, _ norm: Norm, _ buffers: ExecutionBuffers, scratch: UnsafeMutableRawPointer) {
        let g = graph!, y = nhwc(p.output), out = buffers.float(p.output)
        let patches = scratch.assumingMemoryBound(to: Float.self)
        let image = UnsafePointer(buffers.float(p.input)), h = g.inputHeight, w = g.inputWidth
        forEachPatchRow(h / 4) { rows in
            Patchify.nchwImage(image, height: h, width: w, patch: 4, into: patches, rows: rows)
        }
        pwconv(patches, rows: y.h * y.w, weights, cnx_epilogue_none, nil, out)
        layerNorm(out, rows: y.h * y.w, y.c, norm, out)
    }

    /// `f32-dwconv7x7-ln` into `output` (the op's float32 output), each row tile quantized to
    /// `codes` in the same pass where given (the int8 op).
    func depthwiseConvLN(_ p: DepthwiseConvLNParameters, _ weights: Depthwise, _ norm: Norm, _ buffers: ExecutionBuffers,
                         output: UnsafeMutablePointer<Float>? = nil, codes: UnsafeMutablePointer<UInt8>? = nil,
                         quantization q: TensorQuantization? = nil) {
        let x = nhwc(p.input)
        var params = cnx_f32_dwconv7x7_ln_params(
            input: buffers.float(p.input), packed_weights: weights.taps.base, bias: weights.bias.base,
            gamma: norm.gammaPointer, beta: norm.betaPointer, output: output ?? buffers.float(p.output),
            height: x.h, width: x.w, channels: x.c, eps: norm.epsilon, affine: norm.gamma != nil, output_u8: codes,
            inverse_scale: q?.inverseScale ?? 0, zero_point: q?.zeroPoint ?? 0)
        cnx_f32_dwconv7x7_ln_parallel(pool, isa, &params)
    }

    func pointwiseGELU(_ p: PointwiseGELUParameters, _ weights: Pointwise, _ buffers: ExecutionBuffers, scratch: UnsafeMutableRawPointer) {
        let y = nhwc(p.output), out = buffers.float(p.output)
        pwconv(buffers.float(p.input), rows: y.h * y.w, weights, cnx_epilogue_gelu, nil, out)
        sumOfSquares(out, pixels: y.h * y.w, y.c, partials: scratch.assumingMemoryBound(to: Double.self),
                     into: buffers.double(p.sumOfSquares))
    }

    func grn(_ p: GRNParameters, _ gamma: AlignedFloatBuffer, _ beta: AlignedFloatBuffer, _ buffers: ExecutionBuffers,
             scratch: UnsafeMutableRawPointer) {
        let x = nhwc(p.input), scale = scratch.assumingMemoryBound(to: Float.self)
        FusedOpMath.grnScale(sums: buffers.double(p.sumOfSquares), gamma: gamma.base, channels: x.c, scale: scale)
        let data = buffers.float(p.input), out = buffers.float(p.output)
        if out != data { out.update(from: data, count: graph![p.input].elementCount) }
        scaleBias(out, rows: x.h * x.w, x.c, scale, beta.base)
    }

    /// A float 1x1 into `output`, accumulating onto `residual` where there is one.
    func pointwise(_ input: TensorID, _ output: TensorID, _ residual: TensorID?, _ weights: Pointwise, _ buffers: ExecutionBuffers) {
        let y = nhwc(output), out = buffers.float(output)
        copyResidual(residual, to: output, buffers)
        pwconv(buffers.float(input), rows: y.h * y.w, weights, residual == nil ? cnx_epilogue_none : cnx_epilogue_residual,
               residual == nil ? nil : out, out)
    }

    /// GRN's scale `σ` from the sums, the weights `W·diag(σ)` into the folded copy, then the plain 1x1 on them.
    func grnPointwise(_ p: GRNPointwiseParameters, _ packed: Pointwise, _ folded: FoldedGRN, _ buffers: ExecutionBuffers,
                      scratch: UnsafeMutableRawPointer) {
        let k = packed.inputChannels, scale = scratch.assumingMemoryBound(to: Float.self)
        FusedOpMath.grnScale(sums: buffers.double(p.grn.sumOfSquares), gamma: folded.gamma.base, channels: k, scale: scale)
        FusedOpMath.scaleInputRows(panels: UnsafePointer(packed.weights.base), panelCount: (packed.outputChannels + 15) / 16,
                                   inputChannels: k, by: scale, into: folded.scaled.base)
        let weights = Pointwise(weights: folded.scaled, bias: packed.bias, outputChannels: packed.outputChannels, inputChannels: k)
        pointwise(p.input, p.output, p.residual, weights, buffers)
    }

    func downsample(_ p: DownsampleParameters, _ norm: Norm, _ weights: Pointwise, _ buffers: ExecutionBuffers,
                    scratch: UnsafeMutableRawPointer) {
        let x = nhwc(p.input), n = graph![p.input].elementCount
        let normed = scratch.assumingMemoryBound(to: Float.self)
        let patches = (scratch + MemoryPlanner.align(n * 4)).assumingMemoryBound(to: Float.self)
        layerNorm(buffers.float(p.input), rows: x.h * x.w, x.c, norm, normed)
        forEachPatchRow(x.h / 2) { rows in
            Patchify.nhwc(UnsafePointer(normed), height: x.h, width: x.w, channels: x.c, into: patches, rows: rows)
        }
        pwconv(patches, rows: (x.h / 2) * (x.w / 2), weights, cnx_epilogue_none, nil, buffers.float(p.output))
    }

    func head(_ p: HeadParameters, _ norm: Norm, _ weights: Pointwise, _ buffers: ExecutionBuffers, scratch: UnsafeMutableRawPointer) {
        let x = nhwc(p.input), pooled = scratch.assumingMemoryBound(to: Float.self)
        FusedOpMath.averagePool(buffers.float(p.input), pixels: x.h * x.w, channels: x.c, into: pooled)
        cnx_f32_layernorm(isa, pooled, pooled, x.c, norm.gammaPointer, norm.betaPointer, norm.epsilon, 0, 1)
        let logits = buffers.float(p.output)
        pwconv(pooled, rows: 1, weights, cnx_epilogue_none, nil, logits)
        for plane in weights.residualPlane { pwconv(pooled, rows: 1, plane, cnx_epilogue_residual, logits, logits) }
    }
}
#endif
