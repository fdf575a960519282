#if Native
import CCNXKernels

extension NativeBackend {
    /// Gives every op its constants in the C kernels' layouts, which are the ones a `.cnx` file
    /// stores (``ConstantLayout``): constants from a file (``Graph/packedConstants``) are borrowed in
    /// place, the mapped file kept alive by the buffers; plain values (``Graph/constants``) are
    /// packed into buffers this backend owns.
    /// - Throws: ``GraphError`` if `graph` does not verify.
    public func prepare(_ graph: Graph) throws {
        try graph.verify()
        func values(_ t: TensorID) -> [Float] { graph.constants[t]! }
        /// `t` read in place where a file stores it in `layout`.
        func stored(_ t: TensorID, _ layout: ConstantLayout) -> AlignedFloatBuffer? {
            guard let c = graph.packedConstants[t], c.layout == layout else { return nil }
            return AlignedFloatBuffer(borrowing: c.base, count: c.floatCount, owner: c.owner)
        }
        func buffer(_ t: TensorID) -> AlignedFloatBuffer {
            if let b = stored(t, .raw) { return b }
            let v = values(t)
            return AlignedFloatBuffer(count: v.count) { p in for i in v.indices { p[i] = v[i] } }
        }
        func norm(_ n: LayerNormAffine, _ c: Int) -> Norm {
            // The C LayerNorm applies an affine only when it has both vectors.
            guard !n.constants.isEmpty else { return Norm(gamma: nil, beta: nil, epsilon: n.epsilon) }
            return Norm(gamma: n.gamma.map(buffer) ?? AlignedFloatBuffer(count: c) { $0.update(repeating: 1, count: c) },
                        beta: n.beta.map(buffer) ?? AlignedFloatBuffer(count: c) { _ in }, epsilon: n.epsilon)
        }
        func pointwise(_ w: TensorID, _ b: TensorID, _ storage: WeightStorage) -> Pointwise {
            let s = graph[w].shape, n = s[0], k = s.dropFirst().reduce(1, *)
            if case let .int8(weightOnly) = storage {
                // A second plane runs as a second pass that adds onto the first (zero bias).
                let residual = weightOnly.residualWeight.map { plane in
                    Pointwise(weights: ConstantPacking.packed(graph, plane, .int8FloatPanels),
                              bias: AlignedFloatBuffer(count: cnx_f32_pwconv_packed_bias_size(n) / 4) { _ in },
                              outputChannels: n, inputChannels: k,
                              weightScale: ConstantPacking.packed(graph, weightOnly.residualScale!, .bias16))
                }
                return Pointwise(weights: ConstantPacking.packed(graph, w, .int8FloatPanels),
                                 bias: ConstantPacking.packed(graph, b, .bias16), outputChannels: n, inputChannels: k,
                                 weightScale: ConstantPacking.packed(graph, weightOnly.weightScale, .bias16),
                                 residualPlane: residual.map { [$0] } ?? [])
            }
            if let weights = stored(w, .pointwisePanels), let bias = stored(b, .bias16) {
                return Pointwise(weights: weights, bias: bias, outputChannels: n, inputChannels: k)
            }
            let weights = values(w), bias = values(b)
            let packedBias = AlignedFloatBuffer(count: cnx_f32_pwconv_packed_bias_size(n) / 4) { _ in }
            let packed = AlignedFloatBuffer(count: cnx_f32_pwconv_packed_weights_size(n, k) / 4) { p in
                cnx_f32_pwconv_pack(n, k, weights, bias, p, packedBias.base)
            }
            return Pointwise(weights: packed, bias: packedBias, outputChannels: n, inputChannels: k)
        }
        func depthwise(_ p: DepthwiseConvLNParameters) -> Depthwise {
            let w = p.weight, b = p.bias
            if case let .int8(weightOnly) = p.weightStorage {
                // int8 taps expanded to float taps, once (the file keeps a quarter of the bytes).
                let c = graph[b].shape[0], weights = ConstantPacking.dequantized(graph, w, weightOnly.weightScale, layout: .int8Raw, stepsLayout: .raw)
                let bias = ConstantPacking.packed(graph, b, .bias8)
                let taps = AlignedFloatBuffer(count: cnx_f32_dwconv7x7_packed_weights_size(c) / 4) { p in
                    let scratch = AlignedFloatBuffer(count: cnx_f32_dwconv7x7_packed_bias_size(c) / 4) { _ in }
                    cnx_f32_dwconv7x7_pack(c, weights, bias.base, p, scratch.base)
                }
                return Depthwise(taps: taps, bias: bias)
            }
            if let taps = stored(w, .depthwiseTaps), let bias = stored(b, .bias8) {
                return Depthwise(taps: taps, bias: bias)
            }
            let c = graph[b].shape[0], weights = values(w), bias = values(b)
            let packedBias = AlignedFloatBuffer(count: cnx_f32_dwconv7x7_packed_bias_size(c) / 4) { _ in }
            let taps = AlignedFloatBuffer(count: cnx_f32_dwconv7x7_packed_weights_size(c) / 4) { p in
                cnx_f32_dwconv7x7_pack(c, weights, bias, p, packedBias.base)
            }
            return Depthwise(taps: taps, bias: packedBias)
        }
        func channels(_ t: TensorID) -> Int { graph[t].shape[3] }
        prepared = graph.ops.map { op -> PreparedOp in
            switch op {
            case let .stem(p): .stem(p, pointwise(p.weight, p.bias, .float32), norm(p.norm, graph[p.bias].shape[0]))
            case let .depthwiseConvLN(p): .depthwiseConvLN(p, depthwise(p), norm(p.norm, channels(p.input)))
            case let .pointwiseGELU(p): .pointwiseGELU(p, pointwise(p.weight, p.bias, p.weightStorage))
            case let .grn(p): .grn(p, gamma: buffer(p.gamma), beta: buffer(p.beta))
            case let .pointwise(p): .pointwise(p, pointwise(p.weight, p.bias, p.weightStorage))
            case let .grnPointwise(p):
                .grnPointwise(p, pointwise(p.weight, p.bias, .float32), FoldedGRN(
                    gamma: buffer(p.grn.gamma),
                    scaled: AlignedFloatBuffer(count: cnx_f32_pwconv_packed_weights_size(graph[p.weight].shape[0], channels(p.input)) / 4) { _ in }))
            case let .downsample(p): .downsample(p, norm(p.norm, channels(p.input)), pointwise(p.weight, p.bias, p.weightStorage))
            case let .head(p): .head(p, norm(p.norm, channels(p.input)), pointwise(p.weight, p.bias, p.weightStorage))
            case let .qu8DepthwiseConvLN(p): .qu8DepthwiseConvLN(p, depthwise(p), norm(p.norm, channels(p.input)))
            case let .qu8PointwiseGELU(p):
                {
                    let (conv, table) = Int8Conv.pointwiseGELU(p, in: graph)
                    return .qu8PointwiseGELU(p, conv, table: table)
                }()
            case let .qu8GRN(p): .qu8GRN(p, gamma: buffer(p.gamma), beta: buffer(p.beta))
            case let .qu8Pointwise(p): .qu8Pointwise(p, Int8Conv.pointwise(p, in: graph))
            case let .qu8GRNPointwise(p): .qu8GRNPointwise(p, FoldedInt8Conv(p, in: graph, int16Pairs: false))
            case let .qu8Downsample(p): .qu8Downsample(p, norm(p.norm, channels(p.input)), Int8Conv.downsample(p, in: graph))
            }
        }
        self.graph = graph
    }
}
#endif
