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
        func pointwise(_ w: TensorID, _ b: TensorID, _ weightOnly: WeightOnlyInt8? = nil) -> Pointwise {
            let s = graph[w].shape, n = s[0], k = s.dropFirst().reduce(1, *)
            if let weightOnly {
                // A second plane runs as a second pass that adds onto the first (zero bias).
                let residual = weightOnly.residualWeight.map { plane in
                    Pointwise(weights: SwiftBackend.packedConstant(graph, plane, .int8FloatPanels),
                              bias: AlignedFloatBuffer(count: cnx_f32_pwconv_packed_bias_size(n) / 4) { _ in },
                              outputChannels: n, inputChannels: k,
                              weightScale: SwiftBackend.packedConstant(graph, weightOnly.residualScale!, .bias16))
                }
                return Pointwise(weights: SwiftBackend.packedConstant(graph, w, .int8FloatPanels),
                                 bias: SwiftBackend.packedConstant(graph, b, .bias16), outputChannels: n, inputChannels: k,
                                 weightScale: SwiftBackend.packedConstant(graph, weightOnly.weightScale, .bias16),
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
        func depthwise(_ w: TensorID, _ b: TensorID, _ weightOnly: WeightOnlyInt8?) -> Depthwise {
            if let weightOnly {
                // int8 taps expanded to float taps, once (the file keeps a quarter of the bytes).
                let c = graph[b].shape[0], weights = SwiftBackend.dequantized(graph, w, weightOnly.weightScale, layout: .int8Raw, stepsLayout: .raw)
                let bias = SwiftBackend.packedConstant(graph, b, .bias8)
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
        prepared = graph.ops.map { op in
            if let int8 = Int8Op.of(op, in: graph, int16Pairs: false, norm: norm) { return .int8(int8) }
            return switch op {
            case let .stem(p): .stem(p, pointwise(p.weight, p.bias), norm(p.norm, graph[p.bias].shape[0]))
            case let .depthwiseConvLN(p):
                .depthwiseConvLN(p, depthwise(p.weight, p.bias, p.weightOnly), norm(p.norm, graph[p.bias].shape[0]))
            case let .pointwiseGELU(p): .pointwiseGELU(p, pointwise(p.weight, p.bias, p.weightOnly))
            case let .grn(p): .grn(p, gamma: buffer(p.gamma), beta: buffer(p.beta))
            case let .pointwise(p):
                .pointwise(p, pointwise(p.weight, p.bias, p.weightOnly), p.inputScale.map { scale in
                    let n = graph[p.weight].shape[0], k = graph[p.input].shape[3]
                    let count = cnx_f32_pwconv_packed_weights_size(n, k) / 4
                    return FoldedGRN(gamma: buffer(scale.gamma), scaled: AlignedFloatBuffer(count: count) { _ in })
                })
            case let .downsample(p): .downsample(p, norm(p.norm, graph[p.input].shape[3]), pointwise(p.weight, p.bias, p.weightOnly))
            case let .head(p): .head(p, norm(p.norm, graph[p.input].shape[3]), pointwise(p.weight, p.bias, p.weightOnly))
            }
        }
        self.graph = graph
    }
}
#endif
