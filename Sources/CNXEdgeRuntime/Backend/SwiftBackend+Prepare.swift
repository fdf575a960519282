extension SwiftBackend {
    /// Packs every op's constants for the Swift kernels: borrowed in place from a `.cnx` file's
    /// mapping where it stores them in the layout the kernels read (``ConstantPacking``), else
    /// packed from the graph's values. int8 GEMM weights are widened to int16 pairs once here
    /// where this build's GEMM reads them (``int16Pairs``).
    /// - Throws: ``GraphError`` if `graph` does not verify.
    public func prepare(_ graph: Graph) throws { try prepare(graph, only: nil) }

    /// Prepares ops `only` of `graph` (every op for `nil`), the others left ``PreparedOp/absent``:
    /// a ``PlacedBackend`` that gives this provider a few ops packs only theirs.
    func prepare(_ graph: Graph, only: Set<Int>?) throws {
        try graph.verify()
        func values(_ t: TensorID) -> [Float] { graph.constants[t]! }
        func buffer(_ t: TensorID) -> AlignedFloatBuffer {
            if let c = graph.packedConstants[t] { return ConstantPacking.borrowed(c) }
            let v = values(t)
            return AlignedFloatBuffer(count: v.count) { p in for i in v.indices { p[i] = v[i] } }
        }
        func norm(_ n: LayerNormAffine, _ c: Int) -> NormVectors {
            NormVectors(gamma: n.gamma.map(buffer) ?? AlignedFloatBuffer(count: c) { $0.update(repeating: 1, count: c) },
                        beta: n.beta.map(buffer) ?? AlignedFloatBuffer(count: c) { _ in }, epsilon: n.epsilon)
        }
        func pointwise(_ w: TensorID, _ b: TensorID, _ storage: WeightStorage) -> PackedPointwiseWeights {
            let s = graph[w].shape, inputs = s.dropFirst().reduce(1, *)
            switch storage {
            case let .int8(weightOnly):
                // Weight-only int8: the codes times their channel's step (plus the second plane's),
                // as float panels; the native kernels scale the integer-valued sums instead: equal
                // up to float rounding.
                var values = ConstantPacking.dequantized(graph, w, weightOnly.weightScale, layout: .int8FloatPanels, stepsLayout: .bias16)
                if let plane = weightOnly.residualWeight, let steps = weightOnly.residualScale {
                    let rest = ConstantPacking.dequantized(graph, plane, steps, layout: .int8FloatPanels, stepsLayout: .bias16)
                    for i in values.indices { values[i] += rest[i] }
                }
                let bias = ConstantPacking.packed(graph, b, .bias16)
                return PackedPointwiseWeights(weights: values, bias: Array(UnsafeBufferPointer(start: bias.base, count: s[0])),
                                              outputChannels: s[0], inputChannels: inputs)
            case .float32:
                if let pw = graph.packedConstants[w], let pb = graph.packedConstants[b] {
                    return PackedPointwiseWeights(outputChannels: s[0], inputChannels: inputs, panels: ConstantPacking.borrowed(pw),
                                                  bias: ConstantPacking.borrowed(pb))
                }
                return PackedPointwiseWeights(weights: values(w), bias: values(b), outputChannels: s[0], inputChannels: inputs)
            }
        }
        func depthwise(_ p: DepthwiseConvLNParameters) -> PackedDepthwiseWeights {
            let c = graph[p.bias].shape[0]
            switch p.weightStorage {
            case let .int8(weightOnly):
                // int8 taps expanded to float taps, once.
                let bias = ConstantPacking.packed(graph, p.bias, .bias8)
                return PackedDepthwiseWeights(
                    weights: ConstantPacking.dequantized(graph, p.weight, weightOnly.weightScale, layout: .int8Raw, stepsLayout: .raw),
                    bias: Array(UnsafeBufferPointer(start: bias.base, count: c)), channels: c)
            case .float32:
                if let pw = graph.packedConstants[p.weight], let pb = graph.packedConstants[p.bias] {
                    return PackedDepthwiseWeights(channels: c, taps: ConstantPacking.borrowed(pw), bias: ConstantPacking.borrowed(pb))
                }
                return PackedDepthwiseWeights(weights: values(p.weight), bias: values(p.bias), channels: c)
            }
        }
        func conv(_ c: Int8Conv) -> Int8Conv { Self.int16Pairs ? c.withInt16Pairs() : c }
        func channels(_ t: TensorID) -> Int { graph[t].shape[3] }
        prepared = graph.ops.enumerated().map { i, op -> PreparedOp in
            if let only, !only.contains(i) { return .absent }
            return switch op {
            case let .stem(p): .stem(p, pointwise(p.weight, p.bias, .float32), norm(p.norm, graph[p.bias].shape[0]))
            case let .depthwiseConvLN(p): .depthwiseConvLN(p, depthwise(p), norm(p.norm, channels(p.input)))
            case let .pointwiseGELU(p): .pointwiseGELU(p, pointwise(p.weight, p.bias, p.weightStorage))
            case let .grn(p): .grn(p, gamma: buffer(p.gamma), beta: buffer(p.beta))
            case let .pointwise(p): .pointwise(p, pointwise(p.weight, p.bias, p.weightStorage))
            case let .grnPointwise(p):
                {
                    let original = pointwise(p.weight, p.bias, .float32)
                    let panels = AlignedFloatBuffer(count: original.panels.count) { _ in }
                    return .grnPointwise(p, original, FoldedGRN(
                        gamma: buffer(p.grn.gamma),
                        scaled: PackedPointwiseWeights(outputChannels: original.outputChannels, inputChannels: original.inputChannels,
                                                       panels: panels, bias: original.bias),
                        scaledPanels: panels))
                }()
            case let .downsample(p): .downsample(p, norm(p.norm, channels(p.input)), pointwise(p.weight, p.bias, p.weightStorage))
            case let .head(p): .head(p, norm(p.norm, channels(p.input)), pointwise(p.weight, p.bias, p.weightStorage))
            case let .qu8DepthwiseConvLN(p): .qu8DepthwiseConvLN(p, depthwise(p), norm(p.norm, channels(p.input)))
            case let .qu8PointwiseGELU(p):
                {
                    let (c, table) = Int8Conv.pointwiseGELU(p, in: graph)
                    return .qu8PointwiseGELU(p, conv(c), table: table)
                }()
            case let .qu8GRN(p): .qu8GRN(p, gamma: buffer(p.gamma), beta: buffer(p.beta))
            case let .qu8Pointwise(p): .qu8Pointwise(p, conv(Int8Conv.pointwise(p, in: graph)))
            case let .qu8GRNPointwise(p): .qu8GRNPointwise(p, FoldedInt8Conv(p, in: graph, int16Pairs: Self.int16Pairs))
            case let .qu8Downsample(p): .qu8Downsample(p, norm(p.norm, channels(p.input)), conv(Int8Conv.downsample(p, in: graph)))
            }
        }
        self.graph = graph
    }
}
