extension SwiftBackend {
    public func execute(op index: Int, _ buffers: ExecutionBuffers) {
        let g = graph!
        func nhwc(_ t: TensorID) -> (h: Int, w: Int, c: Int) { (g[t].shape[1], g[t].shape[2], g[t].shape[3]) }
        let scratch = buffers.scratch(index)
        switch prepared[index] {
        case let .stem(p, weights, norm):
            let y = nhwc(p.output), out = buffers.float(p.output)
            let patches = scratch.assumingMemoryBound(to: Float.self)
            Patchify.nchwImage(buffers.float(p.input), height: g.inputHeight, width: g.inputWidth, patch: 4,
                               into: patches, runner: runner)
            gemm(patches, rows: y.h * y.w, weights, .none, nil, out)
            layerNorm(out, rows: y.h * y.w, y.c, norm, out)
        case let .depthwiseConvLN(p, weights, norm):
            let x = nhwc(p.input), input = buffers.float(p.input)
            let quantization = g[p.output].quantization
            // int8: the float result goes to scratch, then to the output's codes.
            let out = quantization == nil ? buffers.float(p.output) : scratch.assumingMemoryBound(to: Float.self)
            let codes = quantization == nil ? nil : Optional(buffers.bytes(p.output))
            let inverse = quantization?.inverseScale ?? 1, zeroPoint = quantization?.zeroPoint ?? 0
            // One parallel round: each worker normalises (and quantizes) the pixels of the rows it convolved.
            let gamma = UnsafePointer(norm.gamma.base), beta = UnsafePointer(norm.beta.base), eps = norm.epsilon
            runner.forEachChunk(x.h) { rows in
                f32DepthwiseConv7x7(input: input, height: x.h, width: x.w, weights: weights, outputRows: rows, output: out)
                let pixels = (rows.lowerBound * x.w)..<(rows.upperBound * x.w)
                f32LayerNorm(input: out, rows: pixels, channels: x.c, gamma: gamma, beta: beta, eps: eps, output: out)
                if let codes {
                    f32QuantizeU8(out, range: (pixels.lowerBound * x.c)..<(pixels.upperBound * x.c), inverseScale: inverse,
                                  zeroPoint: zeroPoint, output: codes)
                }
            }
        case let .int8(.pointwiseGELU(p, conv, table)):
            let y = nhwc(p.output), rows = y.h * y.w, input = buffers.bytes(p.input), out = buffers.bytes(p.output)
            let multipliers = UnsafePointer(conv.multipliers.base), zeroPoint = p.geluInput!.zeroPoint
            table.withUnsafeBufferPointer { table in
                runner.forEachChunk(rows, granularity: 2) { r in
                    u8PointwiseGEMM(input: input, inputStride: g[p.input].shape[3], rows: r, weights: conv.weights,
                                    epilogue: .codes(scale: multipliers, zeroPoint: zeroPoint, table: table.baseAddress!, output: out))
                }
            }
            let q = g[p.output].quantization!, blocks = FusedOpMath.sumOfSquaresBlocks(pixels: rows)
            let partials = scratch.assumingMemoryBound(to: Int64.self), exact = partials + blocks * y.c
            Int8Math.sumOfSquares(out, pixels: rows, channels: y.c, zeroPoint: q.zeroPoint, partials: partials, into: exact,
                                  runner: runner)
            Int8Math.realSums(exact, channels: y.c, scale: q.scale, into: buffers.double(p.sumOfSquares))
        case let .int8(.pointwise(p, conv)):
            int8Pointwise(p, conv, buffers)
        case let .int8(.foldedPointwise(p, folded)):
            let runner = runner
            let conv = folded.requantize(sums: buffers.double(p.inputScale!.sumOfSquares), input: g[p.input].quantization!,
                                         scratch: scratch) { panels, body in runner.forEachChunk(panels, body) }
            int8Pointwise(p, conv, buffers)
        case let .int8(.downsample(p, norm, conv)):
            let x = nhwc(p.input), q = p.normQuantization!
            let normed = scratch.assumingMemoryBound(to: Float.self)
            let codes = (scratch + MemoryPlanner.align(g[p.input].elementCount * 4)).assumingMemoryBound(to: UInt8.self)
            let patches = (scratch + MemoryPlanner.align(g[p.input].elementCount * 4) + MemoryPlanner.align(g[p.input].elementCount))
                .assumingMemoryBound(to: UInt8.self)
            layerNorm(buffers.float(p.input), rows: x.h * x.w, x.c, norm, normed)
            let inverse = q.inverseScale
            runner.forEachChunk(g[p.input].elementCount, granularity: 64) { r in
                f32QuantizeU8(normed, range: r, inverseScale: inverse, zeroPoint: q.zeroPoint, output: codes)
            }
            Patchify.nhwc(UnsafePointer(codes), height: x.h, width: x.w, channels: x.c, into: patches, runner: runner)
            let out = buffers.float(p.output), multipliers = UnsafePointer(conv.multipliers.base)
            runner.forEachChunk((x.h / 2) * (x.w / 2), granularity: 2) { r in
                u8PointwiseGEMM(input: patches, inputStride: 4 * x.c, rows: r, weights: conv.weights,
                                epilogue: .float(scale: multipliers, output: out))
            }
        case let .pointwiseGELU(p, weights):
            let y = nhwc(p.output), out = buffers.float(p.output), sums = buffers.double(p.sumOfSquares)
            gemm(buffers.float(p.input), rows: y.h * y.w, weights, .gelu, nil, out)
            FusedOpMath.channelSumOfSquares(out, pixels: y.h * y.w, channels: y.c,
                                            partials: scratch.assumingMemoryBound(to: Double.self), into: sums, runner: runner)
        case let .grn(p, gamma, beta) where g[p.input].dataType == .uint8:
            let x = nhwc(p.input), c = x.c, input = g[p.input].quantization!
            let (multiplier, offset) = Int8Math.grnAffine(
                sums: buffers.double(p.sumOfSquares), gamma: gamma.base, beta: beta.base, channels: c, input: input,
                output: g[p.output].quantization!, scratch: scratch.assumingMemoryBound(to: Float.self))
            let data = buffers.bytes(p.input), out = buffers.bytes(p.output)
            runner.forEachChunk(x.h * x.w, granularity: 8) { r in
                u8ChannelAffine(data, rows: r, channels: c, zeroPoint: input.zeroPoint, multiplier: multiplier,
                                offset: offset, output: out)
            }
        case let .grn(p, gamma, beta):
            let x = nhwc(p.input), c = x.c
            let scale = scratch.assumingMemoryBound(to: Float.self)
            grnScale(buffers.double(p.sumOfSquares), gamma, c, scale)
            let data = buffers.float(p.input), bias = UnsafePointer(beta.base)
            if buffers.float(p.output) != data {
                buffers.float(p.output).update(from: data, count: g[p.input].elementCount)
            }
            let out = buffers.float(p.output)
            runner.forEachChunk(x.h * x.w, granularity: 8) { r in
                f32ChannelScaleBias(data: out, rows: r, channels: c, scale: scale, bias: bias)
            }
        case let .pointwise(p, packed, folded):
            let y = nhwc(p.output), out = buffers.float(p.output)
            var weights = packed
            if let folded, let inputScale = p.inputScale {
                let k = packed.inputChannels, scale = scratch.assumingMemoryBound(to: Float.self)
                grnScale(buffers.double(inputScale.sumOfSquares), folded.gamma, k, scale)
                // Row k of every [k][16] panel scales by scale[k]: W·diag(s).
                let src = UnsafePointer(packed.panels.base), dst = folded.scaledPanels.base
                for panel in 0..<packed.panelCount {
                    let base = panel * k * 16
                    for row in 0..<k {
                        let s = scale[row], o = base + row * 16
                        for j in 0..<16 { dst[o + j] = src[o + j] * s }
                    }
                }
                weights = folded.scaled
            }
            if let r = p.residual {
                let residual = buffers.float(r)
                if residual != out { out.update(from: residual, count: g[p.output].elementCount) }
                gemm(buffers.float(p.input), rows: y.h * y.w, weights, .residual, out, out)
            } else {
                gemm(buffers.float(p.input), rows: y.h * y.w, weights, .none, nil, out)
            }
        case let .downsample(p, norm, weights):
            let x = nhwc(p.input)
            let normed = scratch.assumingMemoryBound(to: Float.self)
            let patches = (scratch + MemoryPlanner.align(g[p.input].elementCount * 4)).assumingMemoryBound(to: Float.self)
            layerNorm(buffers.float(p.input), rows: x.h * x.w, x.c, norm, normed)
            Patchify.nhwc(normed, height: x.h, width: x.w, channels: x.c, into: patches, runner: runner)
            gemm(patches, rows: (x.h / 2) * (x.w / 2), weights, .none, nil, buffers.float(p.output))
        case let .head(p, norm, weights):
            let x = nhwc(p.input), input = buffers.float(p.input), pixels = x.h * x.w
            let pooled = scratch.assumingMemoryBound(to: Float.self)
            FusedOpMath.averagePool(input, pixels: pixels, channels: x.c, into: pooled)
            layerNorm(pooled, rows: 1, x.c, norm, pooled)
            f32PointwiseGEMM(input: pooled, rows: 0..<1, weights: weights, epilogue: .none, residual: nil,
                             output: buffers.float(p.output))
        }
    }

    /// An int8 1x1 into float32 rows, adding the residual in place where it has one.
    private func int8Pointwise(_ p: PointwiseParameters, _ conv: Int8Conv, _ buffers: ExecutionBuffers) {
        let g = graph!, out = buffers.float(p.output), input = buffers.bytes(p.input)
        let multipliers = UnsafePointer(conv.multipliers.base)
        if let r = p.residual {
            let residual = buffers.float(r)
            if residual != out { out.update(from: residual, count: g[p.output].elementCount) }
        }
        let epilogue: Int8Epilogue = p.residual == nil ? .float(scale: multipliers, output: out)
                                                       : .floatResidual(scale: multipliers, output: out)
        runner.forEachChunk(g[p.output].shape[1] * g[p.output].shape[2], granularity: 2) { r in
            u8PointwiseGEMM(input: input, inputStride: g[p.input].shape[3], rows: r, weights: conv.weights, epilogue: epilogue)
        }
    }

    /// GRN's per-channel scale `1 + γ_c · N_c`, `N_c = ‖x_c‖ / (mean ‖x‖ + 1e-6)`, from the sums of
    /// squares, summed in channel order (as ``SwiftFP32Model`` does).
    private func grnScale(_ sums: UnsafePointer<Double>, _ gamma: AlignedFloatBuffer, _ c: Int, _ scale: UnsafeMutablePointer<Float>) {
        FusedOpMath.grnScale(sums: sums, gamma: gamma.base, channels: c, scale: scale)
    }

    private func gemm(_ a: UnsafePointer<Float>, rows: Int, _ w: PackedPointwiseWeights, _ epilogue: PointwiseEpilogue,
                      _ residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>) {
        // Chunks on whole row tiles, so only the last chunk can have a partial (redundant) tile.
        runner.forEachChunk(rows, granularity: pointwiseRowTile) { r in
            f32PointwiseGEMM(input: a, rows: r, weights: w, epilogue: epilogue, residual: residual, output: out)
        }
    }

    private func layerNorm(_ a: UnsafePointer<Float>, rows: Int, _ c: Int, _ norm: NormVectors,
                           _ out: UnsafeMutablePointer<Float>) {
        let gamma = UnsafePointer(norm.gamma.base), beta = UnsafePointer(norm.beta.base), eps = norm.epsilon
        runner.forEachChunk(rows, granularity: 8) { r in
            f32LayerNorm(input: a, rows: r, channels: c, gamma: gamma, beta: beta, eps: eps, output: out)
        }
    }
}
