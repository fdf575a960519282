#if Native
import CCNXKernels
import CXNNPACK

extension XNNPACKBackend {
    /// Runs op `index`, which ``prepare(_:)`` gave an XNNPACK operator: the operator on the
    /// native backend's pool, the steps around it on the native kernels. Never allocates.
    public func execute(op index: Int, _ buffers: ExecutionBuffers) {
        let s = buffers.scratch(index), pool = native.pool
        guard let op = prepared[index] else { preconditionFailure("op \(index) was not prepared for xnnpack") }
        switch op {
        case let .pointwiseGELU(p, conv):
            let y = nhwc(p.output), x = buffers.float(p.input), out = buffers.float(p.output)
            conv.run(pool, x, out) { xnn_setup_convolution2d_nhwc_f32(conv.op, 1, y.h, y.w, x, out, pool) }
            gelu(out, count: y.h * y.w * y.c)
            native.sumOfSquares(out, pixels: y.h * y.w, y.c, partials: s.assumingMemoryBound(to: Double.self),
                                into: buffers.double(p.sumOfSquares))
        case let .pointwise(p, conv, add):
            let y = nhwc(p.output), x = buffers.float(p.input), out = buffers.float(p.output)
            guard let add, let residual = p.residual.map(buffers.float) else {
                conv.run(pool, x, out) { xnn_setup_convolution2d_nhwc_f32(conv.op, 1, y.h, y.w, x, out, pool) }
                return
            }
            let product = s.assumingMemoryBound(to: Float.self)
            conv.run(pool, x, product) { xnn_setup_convolution2d_nhwc_f32(conv.op, 1, y.h, y.w, x, product, pool) }
            add.run(pool, product, residual, out) {
                var shape = y.h * y.w * y.c
                return xnn_setup_add_nd_f32(add.op, 1, &shape, 1, &shape, product, residual, out, pool)
            }
        case let .downsample(p, norm, conv):
            let x = nhwc(p.input), normed = s.assumingMemoryBound(to: Float.self), out = buffers.float(p.output)
            native.layerNorm(buffers.float(p.input), rows: x.h * x.w, x.c, norm, normed)
            conv.run(pool, normed, out) { xnn_setup_convolution2d_nhwc_f32(conv.op, 1, x.h, x.w, normed, out, pool) }
        case let .head(p, norm, fc):
            let x = nhwc(p.input), pooled = s.assumingMemoryBound(to: Float.self), logits = buffers.float(p.output)
            FusedOpMath.averagePool(buffers.float(p.input), pixels: x.h * x.w, channels: x.c, into: pooled)
            cnx_f32_layernorm(native.isa, pooled, pooled, x.c, norm.gammaPointer, norm.betaPointer, norm.epsilon, 0, 1)
            fc.run(pool, pooled, logits) { xnn_setup_fully_connected_nc_f32(fc.op, 1, pooled, logits, pool) }
        case let .qu8PointwiseGELU(p, conv, table, codesOffset):
            let x = nhwc(p.input), out = buffers.bytes(p.output), codes = (s + codesOffset).assumingMemoryBound(to: UInt8.self)
            flipTopBits(buffers.bytes(p.input), into: codes, count: x.h * x.w * x.c)
            let input = UnsafeRawPointer(codes).assumingMemoryBound(to: Int8.self)
            let result = UnsafeMutableRawPointer(out).assumingMemoryBound(to: Int8.self)
            conv.run(pool, input, result) { xnn_setup_convolution2d_nhwc_qc8(conv.op, 1, x.h, x.w, input, result, pool) }
            lookUp(out, count: graph![p.output].elementCount, table)
            native.geluSums(p, buffers, scratch: s)
        case let .qu8Downsample(p, norm, conv, steps):
            let x = nhwc(p.input), y = nhwc(p.output), n = x.h * x.w * x.c, a = MemoryPlanner.align
            let normed = s.assumingMemoryBound(to: Float.self)
            let codes = (s + a(n * 4)).assumingMemoryBound(to: UInt8.self)
            let result = (s + a(n * 4) + a(n)).assumingMemoryBound(to: Int8.self)
            native.layerNorm(buffers.float(p.input), rows: x.h * x.w, x.c, norm, normed)
            native.quantize(normed, count: n, p.normQuantization, into: codes)
            flipTopBits(codes, into: codes, count: n)
            let input = UnsafeRawPointer(codes).assumingMemoryBound(to: Int8.self)
            conv.run(pool, input, result) { xnn_setup_convolution2d_nhwc_qc8(conv.op, 1, x.h, x.w, input, result, pool) }
            let out = buffers.float(p.output), step = UnsafePointer(steps.base)
            native.forEachRowTile(y.h * y.w) { r in
                for pixel in r {
                    for c in 0..<y.c { out[pixel * y.c + c] = Float(result[pixel * y.c + c]) * step[c] }
                }
            }
        }
    }

    /// `f32-gelu` in place over `count` floats, in tiles on the pool.
    func gelu(_ data: UnsafeMutablePointer<Float>, count: Int) {
        let isa = native.isa
        native.forEachElementTile(count) { r in
            cnx_f32_gelu(isa, data + r.lowerBound, r.count)
        }
    }

    /// uint8 codes as int8 codes (`u ^ 0x80`, the same as `u − 128`), eight at a time; `into`
    /// may be `codes`.
    func flipTopBits(_ codes: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<UInt8>, count: Int) {
        native.forEachElementTile(count) { r in
            var i = r.lowerBound
            let from = UnsafeRawPointer(codes), to = UnsafeMutableRawPointer(out)
            while i + 8 <= r.upperBound {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ 0x8080_8080_8080_8080, toByteOffset: i, as: UInt64.self)
                i += 8
            }
            while i < r.upperBound { out[i] = codes[i] ^ 0x80; i += 1 }
        }
    }

    /// `data[i] = table[data[i]]` over `count` bytes, in tiles on the pool.
    func lookUp(_ data: UnsafeMutablePointer<UInt8>, count: Int, _ table: [UInt8]) {
        table.withUnsafeBufferPointer { t in
            let t = t.baseAddress!
            native.forEachElementTile(count) { r in
                for i in r { data[i] = t[Int(data[i])] }
            }
        }
    }
}
#endif
