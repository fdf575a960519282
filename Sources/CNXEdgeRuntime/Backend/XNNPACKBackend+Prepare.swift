#if Native
import CCNXKernels
import CXNNPACK

extension XNNPACKBackend {
    /// Prepares ``native`` for `graph`, then creates XNNPACK's operators for every op it supports.
    /// - Throws: ``GraphError`` if `graph` does not verify; ``ExecutionError/providerFailed(provider:op:kind:reason:)``
    ///   where XNNPACK refuses an operator.
    public func prepare(_ graph: Graph) throws {
        try native.prepare(graph)
        try prepareOperators(graph, ops: graph.ops.indices.filter { supports(graph.ops[$0]) })
    }

    /// Creates XNNPACK's operators for ops `ops` of `graph` (each one it supports); ``native``
    /// must already be prepared for `graph` (its LayerNorm vectors are shared).
    func prepareOperators(_ graph: Graph, ops: [Int]) throws {
        prepared = Array(repeating: nil, count: graph.ops.count)
        self.graph = graph
        for i in ops {
            let op = graph.ops[i]
            if let reason = unsupportedReason(for: op) {
                throw ExecutionError.providerFailed(provider: name, op: i, kind: op.kind, reason: reason)
            }
            do {
                prepared[i] = try make(i, op, graph)
            } catch let failure as Failure {
                throw ExecutionError.providerFailed(provider: name, op: i, kind: op.kind, reason: failure.reason)
            }
        }
    }

    private func make(_ i: Int, _ op: FusedOp, _ g: Graph) throws -> PreparedOp {
        func channels(_ t: TensorID) -> Int { g[t].shape[3] }
        /// The LayerNorm vectors the native backend prepared for op `i`.
        func norm() -> NativeBackend.Norm {
            switch native.prepared[i] {
            case let .downsample(_, n, _), let .head(_, n, _), let .qu8Downsample(_, n, _): return n
            default: preconditionFailure("op \(i) has no LayerNorm before its convolution")
            }
        }
        switch op {
        case let .pointwiseGELU(p):
            return .pointwiseGELU(p, try Self.f32Convolution(g, p.weight, p.bias, kernel: 1))
        case let .pointwise(p):
            let add = try p.residual.map { _ in try Operator("xnn_create_add_nd_f32") { xnn_create_add_nd_f32(-.infinity, .infinity, 0, $0) } }
            return .pointwise(p, try Self.f32Convolution(g, p.weight, p.bias, kernel: 1), add: add)
        case let .downsample(p):
            return .downsample(p, norm(), try Self.f32Convolution(g, p.weight, p.bias, kernel: 2))
        case let .head(p):
            let weights = ConstantPacking.rowMajorFloats(g, p.weight), bias = ConstantPacking.rowMajorFloats(g, p.bias)
            let n = g[p.weight].shape[0], k = g[p.weight].elementCount / n
            let fc = try Operator("xnn_create_fully_connected_nc_f32") {
                xnn_create_fully_connected_nc_f32(k, n, k, n, weights, bias, -.infinity, .infinity, 0, $0)
            }
            return .head(p, norm(), fc)
        case let .qu8PointwiseGELU(p):
            let steps = ConstantPacking.rowMajorFloats(g, p.weightScale)
            let conv = try Self.qc8Convolution(g, p.weight, p.bias, kernel: 1, input: g[p.input].quantization!, kernelScales: steps,
                                               outputZeroPoint: Int8(p.geluInput.zeroPoint - 128), outputScale: p.geluInput.scale)
            // Indexed by the int8 code's bits: int8 code b is uint8 code b ^ 0x80.
            let table = Int8Math.geluTable(input: p.geluInput, output: g[p.output].quantization!)
            return .qu8PointwiseGELU(p, conv, table: (0..<256).map { table[$0 ^ 0x80] },
                                     codesOffset: MemoryPlanner.align(native.scratchBytes(for: op, in: g)))
        case let .qu8Downsample(p):
            let outputSteps = ConstantPacking.rowMajorFloats(g, p.outputSteps!), steps = ConstantPacking.rowMajorFloats(g, p.weightScale)
            // Output scale 1 and each channel's kernel scale divided by its output step: the
            // per-channel multiplier `S_in · S_w[n] / step[n]` that qc8's per-tensor output scale lacks.
            let conv = try Self.qc8Convolution(g, p.weight, p.bias, kernel: 2, input: p.normQuantization,
                                               kernelScales: zip(steps, outputSteps).map { $0 / $1 },
                                               outputZeroPoint: 0, outputScale: 1, outputMin: -127)
            return .qu8Downsample(p, norm(), conv, steps: AlignedFloatBuffer(count: outputSteps.count) { b in
                for c in outputSteps.indices { b[c] = outputSteps[c] }
            })
        case .stem, .depthwiseConvLN, .grn, .grnPointwise, .qu8DepthwiseConvLN, .qu8GRN, .qu8Pointwise, .qu8GRNPointwise:
            preconditionFailure("op \(i) (\(op.kind)): \(unsupportedReason(for: op) ?? "")")
        }
    }

    /// A `[N, Cin, k, k]` weight (PyTorch order) as XNNPACK's `[N][k][k][Cin]`.
    static func ohwi<T>(_ w: [T], outputs n: Int, inputs c: Int, kernel k: Int) -> [T] {
        guard k > 1 else { return w }
        var out = w
        for o in 0..<n {
            for ch in 0..<c {
                for ky in 0..<k {
                    for kx in 0..<k { out[((o * k + ky) * k + kx) * c + ch] = w[((o * c + ch) * k + ky) * k + kx] }
                }
            }
        }
        return out
    }

    /// A float32 `k`x`k` stride-`k` convolution of weight `w` and bias `b` of `g`, no padding.
    static func f32Convolution(_ g: Graph, _ w: TensorID, _ b: TensorID, kernel k: Int) throws -> Operator {
        let n = g[w].shape[0], c = g[w].elementCount / n / (k * k)
        let weights = ohwi(ConstantPacking.rowMajorFloats(g, w), outputs: n, inputs: c, kernel: k), bias = ConstantPacking.rowMajorFloats(g, b)
        let size = UInt32(k)
        return try Operator("xnn_create_convolution2d_nhwc_f32") {
            xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, size, size, size, size, 1, 1, 1, c, n, c, n, weights, bias,
                                              -.infinity, .infinity, 0, $0)
        }
    }

    /// A qc8 `k`x`k` stride-`k` convolution of int8 weight `w` and int32 start `b` of `g` on
    /// uint8 codes quantized as `input` (read as int8 codes of zero point `z − 128`). The stored
    /// start already holds `−z·Σ codes[n]` for our kernels, which multiply the codes as they
    /// are; XNNPACK subtracts the zero point itself, so it gets the start back without it.
    static func qc8Convolution(_ g: Graph, _ w: TensorID, _ b: TensorID, kernel k: Int, input: TensorQuantization,
                               kernelScales: [Float], outputZeroPoint: Int8, outputScale: Float, outputMin: Int8 = -128) throws -> Operator {
        let n = g[w].shape[0], c = g[w].elementCount / n / (k * k)
        let codes = ConstantPacking.rowMajorInt8(g, w), starts = ConstantPacking.rowMajorInt32(g, b), rowLength = c * k * k
        let bias = try codes.withUnsafeBufferPointer { q in
            try (0..<n).map { row -> Int32 in
                var sum = 0
                for j in (row * rowLength)..<((row + 1) * rowLength) { sum += Int(q[j]) }
                guard let start = Int32(exactly: Int64(starts[row]) + Int64(input.zeroPoint) * Int64(sum)) else {
                    throw Failure(reason: "channel \(row)'s accumulator start does not fit int32 without the zero point's share")
                }
                return start
            }
        }
        let kernel = ohwi(codes, outputs: n, inputs: c, kernel: k), size = UInt32(k)
        return try Operator("xnn_create_convolution2d_nhwc_qc8") {
            xnn_create_convolution2d_nhwc_qc8(0, 0, 0, 0, size, size, size, size, 1, 1, 1, c, n, c, n,
                                              Int8(input.zeroPoint - 128), input.scale, kernelScales, kernel, bias,
                                              outputZeroPoint, outputScale, outputMin, 127, 0, $0)
        }
    }
}
#endif
