/// The swift backend's int8 ops: one function per `qu8` ``FusedOp`` case.
extension SwiftBackend {
    /// The float depthwise 7x7 + LayerNorm into scratch, each worker quantizing its pixels to the output's codes.
    func qu8DepthwiseConvLN(_ p: DepthwiseConvLNParameters, _ weights: PackedDepthwiseWeights, _ norm: NormVectors,
                            _ buffers: ExecutionBuffers, scratch: UnsafeMutableRawPointer) {
        let c = nhwc(p.input).c, q = graph![p.output].quantization!, inverse = q.inverseScale
        let floats = scratch.assumingMemoryBound(to: Float.self), codes = buffers.bytes(p.output)
        depthwiseConvLN(p, weights, norm, buffers, output: floats) { pixels in
            f32QuantizeU8(floats, range: (pixels.lowerBound * c)..<(pixels.upperBound * c), inverseScale: inverse,
                          zeroPoint: q.zeroPoint, output: codes)
        }
    }

    func qu8PointwiseGELU(_ p: QU8PointwiseGELUParameters, _ conv: Int8Conv, _ table: [UInt8], _ buffers: ExecutionBuffers,
                          scratch: UnsafeMutableRawPointer) {
        let g = graph!, y = nhwc(p.output), rows = y.h * y.w, input = buffers.bytes(p.input), out = buffers.bytes(p.output)
        let multipliers = UnsafePointer(conv.multipliers.base), zeroPoint = p.geluInput.zeroPoint
        table.withUnsafeBufferPointer { table in
            runner.forEachChunk(rows, granularity: 2) { r in
                qu8PWConv(input: input, inputStride: g[p.input].shape[3], rows: r, weights: conv.weights,
                                epilogue: .codes(scale: multipliers, zeroPoint: zeroPoint, table: table.baseAddress!, output: out))
            }
        }
        let q = g[p.output].quantization!, blocks = FusedOpMath.sumOfSquaresBlocks(pixels: rows)
        let partials = scratch.assumingMemoryBound(to: Int64.self), exact = partials + blocks * y.c
        Int8Math.sumOfSquares(out, pixels: rows, channels: y.c, zeroPoint: q.zeroPoint, partials: partials, into: exact, runner: runner)
        Int8Math.realSums(exact, channels: y.c, scale: q.scale, into: buffers.double(p.sumOfSquares))
    }

    func qu8GRN(_ p: GRNParameters, _ gamma: AlignedFloatBuffer, _ beta: AlignedFloatBuffer, _ buffers: ExecutionBuffers,
                scratch: UnsafeMutableRawPointer) {
        let g = graph!, x = nhwc(p.input), c = x.c, input = g[p.input].quantization!
        let (multiplier, offset) = Int8Math.grnAffine(
            sums: buffers.double(p.sumOfSquares), gamma: gamma.base, beta: beta.base, channels: c, input: input,
            output: g[p.output].quantization!, scratch: scratch.assumingMemoryBound(to: Float.self))
        let data = buffers.bytes(p.input), out = buffers.bytes(p.output)
        runner.forEachChunk(x.h * x.w, granularity: 8) { r in
            u8ChannelAffine(data, rows: r, channels: c, zeroPoint: input.zeroPoint, multiplier: multiplier, offset: offset, output: out)
        }
    }

    /// An int8 1x1 into float32 rows, accumulating onto the residual where it has one.
    func qu8Pointwise(_ input: TensorID, _ output: TensorID, _ residual: TensorID?, _ conv: Int8Conv, _ buffers: ExecutionBuffers) {
        let codes = buffers.bytes(input), out = buffers.float(output), stride = nhwc(input).c, y = nhwc(output)
        let multipliers = UnsafePointer(conv.multipliers.base)
        copyResidual(residual, to: output, buffers)
        let epilogue: QU8PWConvEpilogue = residual == nil ? .float(scale: multipliers, output: out) : .floatResidual(scale: multipliers, output: out)
        runner.forEachChunk(y.h * y.w, granularity: 2) { r in
            qu8PWConv(input: codes, inputStride: stride, rows: r, weights: conv.weights, epilogue: epilogue)
        }
    }

    /// This image's weights requantized into scratch (``FoldedInt8Conv``), then the int8 1x1 on them.
    func qu8GRNPointwise(_ p: QU8GRNPointwiseParameters, _ folded: FoldedInt8Conv, _ buffers: ExecutionBuffers,
                         scratch: UnsafeMutableRawPointer) {
        let runner = runner
        let conv = folded.requantize(sums: buffers.double(p.grn.sumOfSquares), input: graph![p.input].quantization!,
                                     scratch: scratch) { panels, body in runner.forEachChunk(panels, body) }
        qu8Pointwise(p.input, p.output, p.residual, conv, buffers)
    }

    /// LayerNorm into scratch, quantized to the norm's codes, gathered into 2x2 patches, then the int8 GEMM.
    func qu8Downsample(_ p: QU8DownsampleParameters, _ norm: NormVectors, _ conv: Int8Conv, _ buffers: ExecutionBuffers,
                       scratch: UnsafeMutableRawPointer) {
        let x = nhwc(p.input), q = p.normQuantization, n = graph![p.input].elementCount
        let normed = scratch.assumingMemoryBound(to: Float.self)
        let codes = (scratch + MemoryPlanner.align(n * 4)).assumingMemoryBound(to: UInt8.self)
        let patches = (scratch + MemoryPlanner.align(n * 4) + MemoryPlanner.align(n)).assumingMemoryBound(to: UInt8.self)
        layerNorm(buffers.float(p.input), rows: x.h * x.w, x.c, norm, normed)
        let inverse = q.inverseScale
        runner.forEachChunk(n, granularity: 64) { r in
            f32QuantizeU8(normed, range: r, inverseScale: inverse, zeroPoint: q.zeroPoint, output: codes)
        }
        Patchify.nhwc(UnsafePointer(codes), height: x.h, width: x.w, channels: x.c, into: patches, runner: runner)
        let out = buffers.float(p.output), multipliers = UnsafePointer(conv.multipliers.base)
        runner.forEachChunk((x.h / 2) * (x.w / 2), granularity: 2) { r in
            qu8PWConv(input: patches, inputStride: 4 * x.c, rows: r, weights: conv.weights, epilogue: .float(scale: multipliers, output: out))
        }
    }
}
