#if Native
import CCNXKernels

/// The native backend's int8 ops: one function per `qu8` ``FusedOp`` case.
extension NativeBackend {
    /// `f32-dwconv7x7-ln` into scratch, quantized to the output's codes in the same pass.
    func qu8DepthwiseConvLN(_ p: DepthwiseConvLNParameters, _ weights: Depthwise, _ norm: Norm, _ buffers: ExecutionBuffers,
                            scratch: UnsafeMutableRawPointer) {
        depthwiseConvLN(p, weights, norm, buffers, output: scratch.assumingMemoryBound(to: Float.self), codes: buffers.bytes(p.output),
                        quantization: graph![p.output].quantization!)
    }

    func qu8PointwiseGELU(_ p: QU8PointwiseGELUParameters, _ conv: Int8Conv, _ table: [UInt8], _ buffers: ExecutionBuffers,
                          scratch: UnsafeMutableRawPointer) {
        let y = nhwc(p.output), rows = y.h * y.w, out = buffers.bytes(p.output)
        table.withUnsafeBufferPointer { table in
            int8GEMM(buffers.bytes(p.input), rows: rows, conv, cnx_qu8_epilogue_u8_table, output: out,
                     zeroPoint: p.geluInput.zeroPoint, table: table.baseAddress)
        }
        geluSums(p, buffers, scratch: scratch)
    }

    /// GRN's per-channel sums of squares of a 1x1 + GELU's output codes (`u8-sumsq`), exactly in
    /// integers over fixed pixel blocks, then in real values; partials in `scratch`.
    func geluSums(_ p: QU8PointwiseGELUParameters, _ buffers: ExecutionBuffers, scratch: UnsafeMutableRawPointer) {
        let y = nhwc(p.output), rows = y.h * y.w, out = buffers.bytes(p.output), q = graph![p.output].quantization!
        let isa = isa, blocks = FusedOpMath.sumOfSquaresBlocks(pixels: rows)
        let partials = scratch.assumingMemoryBound(to: Int64.self), exact = partials + blocks * y.c
        forEachTile(blocks, tile: 1) { r in
            for b in r {
                let (range, partial) = FusedOpMath.sumBlock(b, pixels: rows, channels: y.c, partials: partials)
                cnx_u8_sumsq(isa, out, y.c, range.lowerBound, range.upperBound, q.zeroPoint, partial)
            }
        }
        FusedOpMath.addPartials(blocks: blocks, channels: y.c, partials: partials, into: exact)
        Int8Math.realSums(exact, channels: y.c, scale: q.scale, into: buffers.double(p.sumOfSquares))
    }

    func qu8GRN(_ p: GRNParameters, _ gamma: AlignedFloatBuffer, _ beta: AlignedFloatBuffer, _ buffers: ExecutionBuffers,
                scratch: UnsafeMutableRawPointer) {
        let g = graph!, x = nhwc(p.input), c = x.c, input = g[p.input].quantization!
        let (multiplier, offset) = Int8Math.grnAffine(
            sums: buffers.double(p.sumOfSquares), gamma: gamma.base, beta: beta.base, channels: c, input: input,
            output: g[p.output].quantization!, scratch: scratch.assumingMemoryBound(to: Float.self))
        let data = buffers.bytes(p.input), out = buffers.bytes(p.output), isa = isa
        forEachRowTile(x.h * x.w) { r in
            cnx_u8_channel_affine(isa, data, out, c, r.lowerBound, r.upperBound, input.zeroPoint, multiplier, offset)
        }
    }

    /// An int8 1x1 into float32 rows, accumulating onto the residual where it has one.
    func qu8Pointwise(_ input: TensorID, _ output: TensorID, _ residual: TensorID?, _ conv: Int8Conv, _ buffers: ExecutionBuffers) {
        let y = nhwc(output)
        copyResidual(residual, to: output, buffers)
        int8GEMM(buffers.bytes(input), rows: y.h * y.w, conv, residual == nil ? cnx_qu8_epilogue_f32 : cnx_qu8_epilogue_f32_residual,
                 output: buffers.float(output))
    }

    /// This image's weights requantized into scratch (``FoldedInt8Conv``), then the int8 1x1 on them.
    func qu8GRNPointwise(_ p: QU8GRNPointwiseParameters, _ folded: FoldedInt8Conv, _ buffers: ExecutionBuffers,
                         scratch: UnsafeMutableRawPointer) {
        let conv = folded.requantize(sums: buffers.double(p.grn.sumOfSquares), input: graph![p.input].quantization!,
                                     scratch: scratch) { panels, body in forEachTile(panels, tile: 1, body) }
        qu8Pointwise(p.input, p.output, p.residual, conv, buffers)
    }

    /// LayerNorm into scratch, quantized to the norm's codes, gathered into 2x2 patches, then the int8 GEMM.
    func qu8Downsample(_ p: QU8DownsampleParameters, _ norm: Norm, _ conv: Int8Conv, _ buffers: ExecutionBuffers,
                       scratch: UnsafeMutableRawPointer) {
        let x = nhwc(p.input), n = graph![p.input].elementCount
        let normed = scratch.assumingMemoryBound(to: Float.self)
        let codes = (scratch + MemoryPlanner.align(n * 4)).assumingMemoryBound(to: UInt8.self)
        let patches = (scratch + MemoryPlanner.align(n * 4) + MemoryPlanner.align(n)).assumingMemoryBound(to: UInt8.self)
        layerNorm(buffers.float(p.input), rows: x.h * x.w, x.c, norm, normed)
        quantize(normed, count: n, p.normQuantization, into: codes)
        forEachPatchRow(x.h / 2) { rows in
            Patchify.nhwc(UnsafePointer(codes), height: x.h, width: x.w, channels: x.c, into: patches, rows: rows)
        }
        int8GEMM(patches, rows: (x.h / 2) * (x.w / 2), conv, cnx_qu8_epilogue_f32, output: buffers.float(p.output))
    }
}
#endif
