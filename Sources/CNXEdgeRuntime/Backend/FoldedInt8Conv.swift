/// An int8 1x1 convolution with a GRN folded into it (``PointwiseParameters/inputScale`` on an
/// int8 1x1), as both backends run it: the stored codes, their steps, the float bias (GRN's β
/// folded in) and GRN's γ; for each image, GRN's scale `σ = 1 + γ·N` from the uint8 input's sums
/// of squares and the weights `W·diag(σ)` requantized to int8 (``s8RequantizeGRNPanels(_:panels:)``)
/// into a ``Workspace`` that every such op of a graph shares (ops run one at a time). The GEMM is
/// then the plain int8 one on the input codes: GRN's output is never quantized.
struct FoldedInt8Conv {
    /// The stored codes (their bias slot holds zeros).
    let codes: PackedInt8PointwiseWeights
    let weightScale: AlignedFloatBuffer
    let bias: AlignedFloatBuffer
    let gamma: AlignedFloatBuffer
    /// This image's weights, accumulator starts and multipliers, in the workspace.
    let conv: Int8Conv

    /// Buffers for the requantized weights of the largest folded op of a graph: int8 panels,
    /// int32 accumulator starts, multipliers, and the int16 pairs where the GEMM reads them.
    final class Workspace {
        let panels: AlignedFloatBuffer
        let accumulatorStart: AlignedFloatBuffer
        let multipliers: AlignedFloatBuffer
        let pairs: AlignedFloatBuffer?

        /// Sized for `graph`'s folded int8 1x1s; nil when it has none.
        init?(_ graph: Graph, int16Pairs: Bool) {
            var bytes = 0, pairBytes = 0, channels = 0
            for op in graph.ops {
                guard case let .pointwise(p) = op, p.int8 != nil, p.inputScale != nil else { continue }
                let n = graph[p.weight].shape[0], k = graph[p.weight].shape[1]
                bytes = max(bytes, PackedInt8PointwiseWeights.packedBytes(outputChannels: n, inputChannels: k))
                pairBytes = max(pairBytes, PackedInt8PointwiseWeights.int16PairBytes(outputChannels: n, inputChannels: k))
                channels = max(channels, (n + 15) / 16 * 16)
            }
            guard bytes > 0 else { return nil }
            panels = AlignedFloatBuffer(count: bytes / 4) { _ in }
            accumulatorStart = AlignedFloatBuffer(count: channels) { _ in }
            multipliers = AlignedFloatBuffer(count: channels) { _ in }
            pairs = int16Pairs ? AlignedFloatBuffer(count: pairBytes / 4) { _ in } : nil
        }
    }

    /// The folded int8 1x1 of `op`, if it is one, reading its constants in place where a `.cnx`
    /// file stores them (``SwiftBackend/constantLayouts(_:)``) and requantizing into `workspace`.
    static func of(_ op: FusedOp, in graph: Graph, workspace: Workspace?) -> FoldedInt8Conv? {
        guard case let .pointwise(p) = op, let int8 = p.int8, let scale = p.inputScale, let workspace else { return nil }
        let n = graph[p.weight].shape[0], k = graph[p.weight].shape[1]
        func borrowing(_ b: AlignedFloatBuffer) -> AlignedFloatBuffer { AlignedFloatBuffer(borrowing: b.base, count: b.count, owner: b) }
        let weights = PackedInt8PointwiseWeights(panels: borrowing(workspace.panels), bias: borrowing(workspace.accumulatorStart),
                                                 int16Pairs: workspace.pairs.map(borrowing), outputChannels: n, inputChannels: k)
        let stored = SwiftBackend.packedConstant(graph, p.weight, .int8PointwisePanels)
        return FoldedInt8Conv(
            codes: PackedInt8PointwiseWeights(panels: stored, bias: AlignedFloatBuffer(count: (n + 15) / 16 * 16) { _ in },
                                              outputChannels: n, inputChannels: k),
            weightScale: SwiftBackend.packedConstant(graph, int8.weightScale, .raw),
            bias: SwiftBackend.packedConstant(graph, p.bias, .bias16),
            gamma: SwiftBackend.packedConstant(graph, scale.gamma, .raw),
            conv: Int8Conv(weights: weights, multipliers: borrowing(workspace.multipliers)))
    }

    /// Scratch bytes: this image's `σ`, `[kGroups·4]` floats.
    static func scratchBytes(inputChannels k: Int) -> Int { (k + 3) / 4 * 16 }

    /// Requantizes ``conv``'s weights for this image: `σ` from `sums` (GRN's sums of squares of the
    /// input, float64 `[K]`) into `scratch`, then the panels split by `parallel(panels, body)`.
    /// Never allocates.
    func requantize(sums: UnsafePointer<Double>, input: TensorQuantization, scratch: UnsafeMutableRawPointer,
                    parallel: (Int, (Range<Int>) -> Void) -> Void) {
        let k = codes.inputChannels, groups = codes.kGroups
        let sigma = scratch.assumingMemoryBound(to: Float.self)
        FusedOpMath.grnScale(sums: sums, gamma: gamma.base, channels: k, scale: sigma)
        for j in k..<(groups * 4) { sigma[j] = 0 }
        let parameters = GRNRequantizeParameters(
            codes: UnsafeRawPointer(codes.panels.base), kGroups: groups, outputChannels: codes.outputChannels,
            inputScale: sigma, weightScale: weightScale.base, bias: bias.base, input: input,
            output: UnsafeMutableRawPointer(conv.weights.panels.base), pairs: conv.weights.int16Pairs.map { UnsafeMutableRawPointer($0.base) },
            accumulatorStart: UnsafeMutableRawPointer(conv.weights.bias.base).assumingMemoryBound(to: Int32.self),
            multipliers: conv.multipliers.base)
        parallel(codes.panelCount) { panels in s8RequantizeGRNPanels(parameters, panels: panels) }
    }
}
