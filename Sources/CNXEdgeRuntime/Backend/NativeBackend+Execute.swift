#if Native
import CCNXKernels

extension NativeBackend {
    /// Runs op `index` of the prepared graph on the C kernels; never allocates.
    public func execute(op index: Int, _ buffers: ExecutionBuffers) {
        let g = graph!
        func nhwc(_ t: TensorID) -> (h: Int, w: Int, c: Int) { (g[t].shape[1], g[t].shape[2], g[t].shape[3]) }
        let scratch = buffers.scratch(index)
        switch prepared[index] {
        case let .stem(p, weights, norm):
            let y = nhwc(p.output), out = buffers.float(p.output)
            let patches = scratch.assumingMemoryBound(to: Float.self)
            let image = UnsafePointer(buffers.float(p.input)), h = g.inputHeight, w = g.inputWidth
            forEachPatchRow(h / 4) { rows in
                Patchify.nchwImage(image, height: h, width: w, patch: 4, into: patches, rows: rows)
            }
            pwconv(patches, rows: y.h * y.w, weights, cnx_epilogue_none, nil, out)
            layerNorm(out, rows: y.h * y.w, y.c, norm, out)
        case let .depthwiseConvLN(p, weights, norm) where g[p.output].dataType == .uint8:
            let x = nhwc(p.input), q = g[p.output].quantization!, floats = scratch.assumingMemoryBound(to: Float.self)
            var params = cnx_f32_dwconv7x7_ln_params(
                input: buffers.float(p.input), packed_weights: weights.taps.base, bias: weights.bias.base,
                gamma: norm.gammaPointer, beta: norm.betaPointer, output: floats, height: x.h, width: x.w, channels: x.c,
                eps: norm.epsilon, affine: norm.gamma != nil, output_u8: buffers.bytes(p.output),
                inverse_scale: q.inverseScale, zero_point: q.zeroPoint)
            cnx_f32_dwconv7x7_ln_parallel(pool, isa, &params)
        case let .int8(.pointwiseGELU(p, conv, table)):
            let y = nhwc(p.output), rows = y.h * y.w, out = buffers.bytes(p.output), q = g[p.output].quantization!
            table.withUnsafeBufferPointer { table in
                int8GEMM(buffers.bytes(p.input), rows: rows, conv, cnx_qu8_epilogue_u8_table, output: out,
                         zeroPoint: p.geluInput!.zeroPoint, table: table.baseAddress)
            }
            let isa = isa, blocks = FusedOpMath.sumOfSquaresBlocks(pixels: rows)
            let partials = scratch.assumingMemoryBound(to: Int64.self), exact = partials + blocks * y.c
            FusedOpMath.blockSums(pixels: rows, channels: y.c, partials: partials, into: exact,
                                  parallel: { forEachTile($0, tile: 1, $1) }) { r, partial in
                cnx_u8_sumsq(isa, out, y.c, r.lowerBound, r.upperBound, q.zeroPoint, partial)
            }
            Int8Math.realSums(exact, channels: y.c, scale: q.scale, into: buffers.double(p.sumOfSquares))
        case let .grn(p, gamma, beta) where g[p.input].dataType == .uint8:
            let x = nhwc(p.input), c = x.c, input = g[p.input].quantization!
            let (multiplier, offset) = Int8Math.grnAffine(
                sums: buffers.double(p.sumOfSquares), gamma: gamma.base, beta: beta.base, channels: c, input: input,
                output: g[p.output].quantization!, scratch: scratch.assumingMemoryBound(to: Float.self))
            let data = buffers.bytes(p.input), out = buffers.bytes(p.output), isa = isa
            forEachRowTile(x.h * x.w) { r in
                cnx_u8_channel_affine(isa, data, out, c, r.lowerBound, r.upperBound, input.zeroPoint,
                                      multiplier, offset)
            }
        case let .int8(.pointwise(p, conv)):
            int8Pointwise(p, conv, buffers)
        case let .int8(.foldedPointwise(p, folded)):
            let conv = folded.requantize(sums: buffers.double(p.inputScale!.sumOfSquares), input: g[p.input].quantization!,
                                         scratch: scratch) { panels, body in forEachTile(panels, tile: 1, body) }
            int8Pointwise(p, conv, buffers)
        case let .int8(.downsample(p, norm, conv)):
            let x = nhwc(p.input), q = p.normQuantization!, n = g[p.input].elementCount
            let normed = scratch.assumingMemoryBound(to: Float.self)
            let codes = (scratch + MemoryPlanner.align(n * 4)).assumingMemoryBound(to: UInt8.self)
            let patches = (scratch + MemoryPlanner.align(n * 4) + MemoryPlanner.align(n)).assumingMemoryBound(to: UInt8.self)
            layerNorm(buffers.float(p.input), rows: x.h * x.w, x.c, norm, normed)
            quantize(normed, count: n, q, into: codes)
            forEachPatchRow(x.h / 2) { rows in
                Patchify.nhwc(UnsafePointer(codes), height: x.h, width: x.w, channels: x.c, into: patches, rows: rows)
            }
            int8GEMM(patches, rows: (x.h / 2) * (x.w / 2), conv, cnx_qu8_epilogue_f32, output: buffers.float(p.output))
        case let .depthwiseConvLN(p, weights, norm):
            let x = nhwc(p.input)
            var params = cnx_f32_dwconv7x7_ln_params(
                input: buffers.float(p.input), packed_weights: weights.taps.base, bias: weights.bias.base,
                gamma: norm.gammaPointer,
                beta: norm.betaPointer, output: buffers.float(p.output), height: x.h, width: x.w, channels: x.c,
                eps: norm.epsilon, affine: norm.gamma != nil, output_u8: nil, inverse_scale: 0, zero_point: 0)
            cnx_f32_dwconv7x7_ln_parallel(pool, isa, &params)
        case let .pointwiseGELU(p, weights):
            let y = nhwc(p.output), out = buffers.float(p.output), sums = buffers.double(p.sumOfSquares)
            pwconv(buffers.float(p.input), rows: y.h * y.w, weights, cnx_epilogue_gelu, nil, out)
            sumOfSquares(out, pixels: y.h * y.w, y.c, partials: scratch.assumingMemoryBound(to: Double.self), into: sums)
        case let .grn(p, gamma, beta):
            let x = nhwc(p.input), scale = scratch.assumingMemoryBound(to: Float.self)
            FusedOpMath.grnScale(sums: buffers.double(p.sumOfSquares), gamma: gamma.base, channels: x.c, scale: scale)
            let data = buffers.float(p.input), out = buffers.float(p.output)
            if out != data { out.update(from: data, count: g[p.input].elementCount) }
            scaleBias(out, rows: x.h * x.w, x.c, scale, beta.base)
        case let .pointwise(p, packed, folded):
            let y = nhwc(p.output), out = buffers.float(p.output)
            var weights = packed
            if let folded, let inputScale = p.inputScale {
                let scale = scratch.assumingMemoryBound(to: Float.self)
                FusedOpMath.grnScale(sums: buffers.double(inputScale.sumOfSquares), gamma: folded.gamma.base,
                                     channels: packed.inputChannels, scale: scale)
                Self.scaleInputRows(of: packed, by: scale, into: folded.scaled)
                weights = Pointwise(weights: folded.scaled, bias: packed.bias, outputChannels: packed.outputChannels,
                                    inputChannels: packed.inputChannels)
            }
            if let r = p.residual {
                let residual = buffers.float(r)
                if residual != out { out.update(from: residual, count: g[p.output].elementCount) }
                pwconv(buffers.float(p.input), rows: y.h * y.w, weights, cnx_epilogue_residual, out, out)
            } else {
                pwconv(buffers.float(p.input), rows: y.h * y.w, weights, cnx_epilogue_none, nil, out)
            }
        case let .downsample(p, norm, weights):
            let x = nhwc(p.input)
            let normed = scratch.assumingMemoryBound(to: Float.self)
            let patches = (scratch + MemoryPlanner.align(g[p.input].elementCount * 4)).assumingMemoryBound(to: Float.self)
            layerNorm(buffers.float(p.input), rows: x.h * x.w, x.c, norm, normed)
            forEachPatchRow(x.h / 2) { rows in
                Patchify.nhwc(UnsafePointer(normed), height: x.h, width: x.w, channels: x.c, into: patches, rows: rows)
            }
            pwconv(patches, rows: (x.h / 2) * (x.w / 2), weights, cnx_epilogue_none, nil, buffers.float(p.output))
        case let .head(p, norm, weights):
            let x = nhwc(p.input), pooled = scratch.assumingMemoryBound(to: Float.self)
            FusedOpMath.averagePool(buffers.float(p.input), pixels: x.h * x.w, channels: x.c, into: pooled)
            cnx_f32_layernorm(isa, pooled, pooled, x.c, norm.gammaPointer, norm.betaPointer, norm.epsilon, 0, 1)
            let logits = buffers.float(p.output)
            pwconv(pooled, rows: 1, weights, cnx_epilogue_none, nil, logits)
            for plane in weights.residualPlane { pwconv(pooled, rows: 1, plane, cnx_epilogue_residual, logits, logits) }
        }
    }

    /// An int8 1x1 into float32 rows, adding the residual in place where it has one.
    private func int8Pointwise(_ p: PointwiseParameters, _ conv: Int8Conv, _ buffers: ExecutionBuffers) {
        let g = graph!, out = buffers.float(p.output), rows = g[p.output].shape[1] * g[p.output].shape[2]
        if let r = p.residual {
            let residual = buffers.float(r)
            if residual != out { out.update(from: residual, count: g[p.output].elementCount) }
        }
        int8GEMM(buffers.bytes(p.input), rows: rows, conv,
                 p.residual == nil ? cnx_qu8_epilogue_f32 : cnx_qu8_epilogue_f32_residual, output: out)
    }

    /// `W·diag(scale)`: row `k` of every `[Cin][16]` panel of `packed` times `scale[k]`, written
    /// to `scaled` (the bias is separate and unscaled).
    static func scaleInputRows(of packed: Pointwise, by scale: UnsafePointer<Float>, into scaled: AlignedFloatBuffer) {
        let k = packed.inputChannels, panels = (packed.outputChannels + 15) / 16
        let src = UnsafePointer(packed.weights.base), dst = scaled.base
        for panel in 0..<panels {
            let base = panel * k * 16
            for row in 0..<k {
                let s = scale[row], o = base + row * 16
                for j in 0..<16 { dst[o + j] = src[o + j] * s }
            }
        }
    }

    /// `cnx_f32_quantize_u8` over `count` floats in tiles on the pool.
    private func quantize(_ x: UnsafePointer<Float>, count: Int, _ q: TensorQuantization, into out: UnsafeMutablePointer<UInt8>) {
        let isa = isa, inverse = q.inverseScale
        forEachTile(count, tile: max(4096, (count + 4 * threads - 1) / (4 * threads))) { r in
            cnx_f32_quantize_u8(isa, x + r.lowerBound, r.count, inverse, q.zeroPoint, out + r.lowerBound)
        }
    }

    /// The int8 1x1 GEMM on the pool: uint8 `input` rows of the weights' K, `epilogue` into
    /// float32 or uint8 rows of N.
    private func int8GEMM(_ input: UnsafePointer<UInt8>, rows: Int, _ conv: Int8Conv, _ epilogue: cnx_qu8_epilogue,
                          output: UnsafeMutableRawPointer, zeroPoint: Int32 = 0, table: UnsafePointer<UInt8>? = nil) {
        let isFloat = epilogue == cnx_qu8_epilogue_f32 || epilogue == cnx_qu8_epilogue_f32_residual
        var params = cnx_qu8_pwconv_params(
            input: input, input_stride: conv.weights.inputChannels,
            packed_weights: UnsafeRawPointer(conv.weights.panels.base).assumingMemoryBound(to: Int8.self),
            bias: UnsafeRawPointer(conv.weights.bias.base).assumingMemoryBound(to: Int32.self),
            scale: conv.multipliers.base,
            residual: epilogue == cnx_qu8_epilogue_f32_residual ? UnsafePointer(output.assumingMemoryBound(to: Float.self)) : nil,
            output_f32: isFloat ? output.assumingMemoryBound(to: Float.self) : nil,
            output_u8: isFloat ? nil : output.assumingMemoryBound(to: UInt8.self),
            output_zero_point: zeroPoint, table: table,
            input_channels: conv.weights.inputChannels, output_channels: conv.weights.outputChannels, output_stride: 0,
            epilogue: epilogue)
        cnx_qu8_pwconv_parallel(pool, isa, &params, rows)
    }

    private func pwconv(_ input: UnsafePointer<Float>, rows: Int, _ w: Pointwise, _ epilogue: cnx_epilogue,
                        _ residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>) {
        let scale = w.weightScale.map { UnsafePointer($0.base) }
        var params = cnx_f32_pwconv_params(
            input: input, packed_weights: scale == nil ? w.weights.base : nil, bias: w.bias.base, residual: residual,
            output: out, input_channels: w.inputChannels, output_channels: w.outputChannels, epilogue: epilogue,
            weight_scale: scale,
            packed_weights_i8: scale == nil ? nil : UnsafeRawPointer(w.weights.base).assumingMemoryBound(to: Int8.self))
        cnx_f32_pwconv_parallel(pool, isa, &params, rows)
    }
}
#endif
