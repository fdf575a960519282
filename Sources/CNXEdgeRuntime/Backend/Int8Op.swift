/// An int8 op as both backends prepare it: one mapping from the graph, so that the backends differ
/// only in the kernels they run it on. `Norm` is the backend's form of a LayerNorm's vectors.
enum Int8Op<Norm> {
    /// 1x1 + GELU table: weights, multipliers to the pre-activation codes, the table.
    case pointwiseGELU(PointwiseGELUParameters, Int8Conv, table: [UInt8])
    case pointwise(PointwiseParameters, Int8Conv)
    /// 1x1 with a folded GRN: weights requantized per image.
    case foldedPointwise(PointwiseParameters, FoldedInt8Conv)
    case downsample(DownsampleParameters, Norm, Int8Conv)

    /// `op` prepared to run in int8, or nil for a float op. `int16Pairs`: the GEMM reads int16
    /// pairs (``Int8GEMMKernel/int16Pairs``), so static weights are widened once here and folded
    /// ones written as pairs per image; `norm` makes a downsample's LayerNorm vectors (affine,
    /// channels).
    static func of(_ op: FusedOp, in graph: Graph, int16Pairs: Bool, norm: (LayerNormAffine, Int) -> Norm) -> Int8Op? {
        if case let .pointwise(p) = op, let folded = FoldedInt8Conv.of(op, in: graph, int16Pairs: int16Pairs) {
            return .foldedPointwise(p, folded)
        }
        guard let (found, table) = Int8Conv.of(op, in: graph) else { return nil }
        let conv = int16Pairs ? found.withInt16Pairs() : found
        switch op {
        case let .pointwiseGELU(p): return .pointwiseGELU(p, conv, table: table!)
        case let .pointwise(p): return .pointwise(p, conv)
        case let .downsample(p): return .downsample(p, norm(p.norm, graph[p.input].shape[3]), conv)
        case .stem, .depthwiseConvLN, .grn, .head: return nil
        }
    }
}
