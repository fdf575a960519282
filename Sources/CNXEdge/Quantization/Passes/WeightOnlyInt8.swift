import CNXEdgeRuntime

extension CompilerPass {
    /// `weight-only-int8`: the convolutions an int8 graph keeps in float32 (the 1x1s of blocks left
    /// float, every depthwise 7x7, downsamples left float, the classifier) store their weights as
    /// int8 codes with per-channel steps (``WeightStorage/int8(_:)``, full ±127: the math stays
    /// float), the head in two planes (~15 bits). Folded-GRN float 1x1s keep float weights (they
    /// are rescaled per image). Runs when ``QuantizationOptions/weightOnlyFloatOps`` is set.
    static let weightOnlyInt8 = CompilerPass(name: "weight-only-int8") { graph in
        var g = graph
        /// Weight-only int8 for `weight` (`planes: 2` adds the second plane: the codes of what the first leaves).
        func weightOnly(_ weight: TensorID, planes: Int = 1) -> (weight: TensorID, storage: WeightStorage) {
            let (codes, scales) = QuantizationContext.symmetricCodes(g, weight, limit: 127)
            let name = g[weight].name, n = g[weight].shape[0], k = g[weight].elementCount / n
            let qw = g.addIntegerConstant(name + ".int8", g[weight].shape, .int8, codes)
            let ws = g.addConstant(name + ".weight_scale", [n], scales)
            guard planes == 2 else { return (qw, .int8(WeightOnlyInt8(weightScale: ws))) }
            let original = g.constants[weight]!
            let rest = g.addConstant(name + ".rest", g[weight].shape, original.indices.map { original[$0] - Float(codes[$0]) * scales[$0 / k] })
            let (restCodes, restScales) = QuantizationContext.symmetricCodes(g, rest, limit: 127)
            let qr = g.addIntegerConstant(name + ".int8.plane2", g[weight].shape, .int8, restCodes)
            let rs = g.addConstant(name + ".weight_scale.plane2", [n], restScales)
            return (qw, .int8(WeightOnlyInt8(weightScale: ws, residualWeight: qr, residualScale: rs)))
        }
        for (i, op) in g.ops.enumerated() {
            switch op {
            case var .depthwiseConvLN(p) where p.weightStorage == .float32:
                (p.weight, p.weightStorage) = weightOnly(p.weight); g.ops[i] = .depthwiseConvLN(p)
            case var .qu8DepthwiseConvLN(p) where p.weightStorage == .float32:
                (p.weight, p.weightStorage) = weightOnly(p.weight); g.ops[i] = .qu8DepthwiseConvLN(p)
            case var .pointwiseGELU(p) where p.weightStorage == .float32:
                (p.weight, p.weightStorage) = weightOnly(p.weight); g.ops[i] = .pointwiseGELU(p)
            case var .pointwise(p) where p.weightStorage == .float32:
                (p.weight, p.weightStorage) = weightOnly(p.weight); g.ops[i] = .pointwise(p)
            case var .downsample(p) where p.weightStorage == .float32:
                (p.weight, p.weightStorage) = weightOnly(p.weight); g.ops[i] = .downsample(p)
            case var .head(p) where p.weightStorage == .float32:
                (p.weight, p.weightStorage) = weightOnly(p.weight, planes: 2); g.ops[i] = .head(p)
            case .stem, .depthwiseConvLN, .qu8DepthwiseConvLN, .pointwiseGELU, .pointwise, .downsample, .head, .grn, .grnPointwise,
                 .qu8PointwiseGELU, .qu8GRN, .qu8Pointwise, .qu8GRNPointwise, .qu8Downsample: continue
            }
        }
        return g.droppingUnusedConstants()
    }
}
