#if Native
import CCNXKernels

extension NativeBackend {
    /// Runs op `index` of the prepared graph: one call per op into its function (float32 ops in
    /// `NativeBackend+Ops.swift`, int8 in `NativeBackend+Int8Ops.swift`); never allocates.
    public func execute(op index: Int, _ buffers: ExecutionBuffers) {
        let s = buffers.scratch(index)
        switch prepared[index] {
        case let .stem(p, w, norm): stem(p, w, norm, buffers, scratch: s)
        case let .depthwiseConvLN(p, w, norm): depthwiseConvLN(p, w, norm, buffers)
        case let .pointwiseGELU(p, w): pointwiseGELU(p, w, buffers, scratch: s)
        case let .grn(p, gamma, beta): grn(p, gamma, beta, buffers, scratch: s)
        case let .pointwise(p, w): pointwise(p.input, p.output, p.residual, w, buffers)
        case let .grnPointwise(p, w, folded): grnPointwise(p, w, folded, buffers, scratch: s)
        case let .downsample(p, norm, w): downsample(p, norm, w, buffers, scratch: s)
        case let .head(p, norm, w): head(p, norm, w, buffers, scratch: s)
        case let .qu8DepthwiseConvLN(p, w, norm): qu8DepthwiseConvLN(p, w, norm, buffers, scratch: s)
        case let .qu8PointwiseGELU(p, conv, table): qu8PointwiseGELU(p, conv, table, buffers, scratch: s)
        case let .qu8GRN(p, gamma, beta): qu8GRN(p, gamma, beta, buffers, scratch: s)
        case let .qu8Pointwise(p, conv): qu8Pointwise(p.input, p.output, p.residual, conv, buffers)
        case let .qu8GRNPointwise(p, folded): qu8GRNPointwise(p, folded, buffers, scratch: s)
        case let .qu8Downsample(p, norm, conv): qu8Downsample(p, norm, conv, buffers, scratch: s)
        }
    }

    /// The float 1x1 GEMM (`f32-pwconv`) on the pool; weight-only int8 weights where `w` has steps.
    func pwconv(_ input: UnsafePointer<Float>, rows: Int, _ w: Pointwise, _ epilogue: cnx_epilogue,
                _ residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>) {
        let scale = w.weightScale.map { UnsafePointer($0.base) }
        var params = cnx_f32_pwconv_params(
            input: input, packed_weights: scale == nil ? w.weights.base : nil, bias: w.bias.base, residual: residual,
            output: out, input_channels: w.inputChannels, output_channels: w.outputChannels, epilogue: epilogue,
            weight_scale: scale,
            packed_weights_i8: scale == nil ? nil : UnsafeRawPointer(w.weights.base).assumingMemoryBound(to: Int8.self))
        cnx_f32_pwconv_parallel(pool, isa, &params, rows)
    }

    /// The int8 1x1 GEMM (`qu8-pwconv`) on the pool: uint8 `input` rows of the weights' K,
    /// `epilogue` into float32 or uint8 rows of N.
    func int8GEMM(_ input: UnsafePointer<UInt8>, rows: Int, _ conv: Int8Conv, _ epilogue: cnx_qu8_epilogue,
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

    /// `f32-quantize-u8` over `count` floats in tiles on the pool.
    func quantize(_ x: UnsafePointer<Float>, count: Int, _ q: TensorQuantization, into out: UnsafeMutablePointer<UInt8>) {
        let isa = isa, inverse = q.inverseScale
        forEachElementTile(count) { r in
            cnx_f32_quantize_u8(isa, x + r.lowerBound, r.count, inverse, q.zeroPoint, out + r.lowerBound)
        }
    }
}
#endif
