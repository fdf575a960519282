/// The pure-Swift backend: every ``FusedOp`` on the SIMD kernels in `Kernels/`, threads from a
/// ``ParallelRunner``. Results do not depend on the thread count (each kernel computes an element
/// the same way whatever range it is handed; GRN's sums run in one fixed order).
///
/// Not safe to run from two threads at once; one instance per ``CompiledModel``.
public final class SwiftBackend: Backend, @unchecked Sendable {
    /// `swift`, the suffix of its kernels' names.
    public let name = "swift"
    let runner: ParallelRunner
    var graph: Graph?
    var prepared: [PreparedOp] = []

    /// A LayerNorm's γ and β as aligned vectors (ones and zeros where the compiler folded them).
    struct NormVectors {
        let gamma: AlignedFloatBuffer
        let beta: AlignedFloatBuffer
        let epsilon: Float
    }

    /// Each op with its constants packed for its kernels.
    enum PreparedOp {
        case stem(StemParameters, PackedPointwiseWeights, NormVectors)
        case depthwiseConvLN(DepthwiseConvLNParameters, PackedDepthwiseWeights, NormVectors)
        case pointwiseGELU(PointwiseGELUParameters, PackedPointwiseWeights)
        case grn(GRNParameters, gamma: AlignedFloatBuffer, beta: AlignedFloatBuffer)
        case pointwise(PointwiseParameters, PackedPointwiseWeights, FoldedGRN?)
        case downsample(DownsampleParameters, NormVectors, PackedPointwiseWeights)
        case head(HeadParameters, NormVectors, PackedPointwiseWeights)
        case int8(Int8Op<NormVectors>)
    }


    /// A GRN folded into a 1x1 convolution: γ, and the backend's own copy of the packed weights that
    /// each inference rescales (allocated once here, rewritten per run, never reallocated).
    struct FoldedGRN {
        let gamma: AlignedFloatBuffer
        let scaled: PackedPointwiseWeights
        let scaledPanels: AlignedFloatBuffer
    }

    /// Whether this build's int8 GEMM reads int16 pairs: the weights prepared and the scratch
    /// planned for folded-GRN 1x1s must agree on it.
    static var int16Pairs: Bool { Int8GEMMKernel.preferred == .int16Pairs }

    /// - Parameter options: threads for the kernels.
    public init(options: ExecutionOptions = .init()) {
        runner = ParallelRunner(threads: options.threads)
    }

    public func supports(_ op: FusedOp) -> Bool { true }

    public func kernelName(for op: FusedOp) -> String {
        /// The int8 GEMM this build runs: int16 pairs (`pmaddwd`) or exact integers in float.
        let q = Int8GEMMKernel.preferred.name
        /// The float GEMM, `-w8` for weight-only int8 weights (expanded to float at load).
        func pw(_ name: String, _ weightOnly: WeightOnlyInt8?) -> String { weightOnly == nil ? name : name + "-w8" }
        switch op {
        case let .depthwiseConvLN(p) where graph?[p.output].dataType == .uint8:
            return "f32-dwconv7x7 + f32-layernorm + f32-quantize-u8__swift"
        case let .pointwiseGELU(p) where p.int8 != nil:
            return "\(q)-u8-table + u8-sumsq__swift"
        case let .grn(p) where graph?[p.input].dataType == .uint8:
            return "u8-grn-affine + u8-channel-affine__swift"
        case let .pointwise(p) where p.int8 != nil:
            return (p.inputScale == nil ? "" : "f32-grn-scale + qs8-grn-requantize + ") + "\(q)-f32\(p.residual == nil ? "" : "-residual")__swift"
        case let .downsample(p) where p.int8 != nil:
            return "f32-layernorm + f32-quantize-u8 + u8-patchify2x2 + \(q)-f32__swift"
        default: break
        }
        return switch op {
        case .stem: "f32-patchify4x4 + f32-pwconv-none + f32-layernorm__swift"
        case .depthwiseConvLN: "f32-dwconv7x7 + f32-layernorm__swift"
        case let .pointwiseGELU(p): "\(pw("f32-pwconv-gelu", p.weightOnly)) + f32-sumsq__swift"
        case .grn: "f32-scalebias__swift"
        case let .pointwise(p):
            (p.inputScale == nil ? "" : "f32-grn-scale-weights + ") + pw(p.residual == nil ? "f32-pwconv-none" : "f32-pwconv-residual", p.weightOnly) + "__swift"
        case let .downsample(p): "f32-layernorm + f32-patchify2x2 + \(pw("f32-pwconv-none", p.weightOnly))__swift"
        case let .head(p): "f32-avgpool + f32-layernorm + \(pw("f32-pwconv-none", p.weightOnly))__swift"
        }
    }

    /// Every op runs on the same kernels on every CPU: Swift SIMD types, no feature detection.
    public func selectionReason(for op: FusedOp) -> String { "portable Swift SIMD" }

    public func scratchBytes(for op: FusedOp, in graph: Graph) -> Int {
        if let bytes = FoldedInt8Conv.scratchBytes(for: op, in: graph, int16Pairs: Self.int16Pairs) { return bytes }
        if let bytes = Int8Math.scratchBytes(for: op, in: graph) { return bytes }
        return switch op {
        case let .stem(p): graph[p.output].shape[1] * graph[p.output].shape[2] * 48 * 4
        case let .downsample(p): 2 * MemoryPlanner.align(graph[p.input].elementCount * 4)
        case let .grn(p): graph[p.input].shape[3] * 4
        case let .head(p): graph[p.input].shape[3] * 4
        case let .pointwise(p): p.inputScale == nil ? 0 : graph[p.input].shape[3] * 4
        case let .pointwiseGELU(p):
            FusedOpMath.sumOfSquaresBlocks(pixels: graph[p.output].shape[1] * graph[p.output].shape[2]) * graph[p.output].shape[3] * 8
        case .depthwiseConvLN: 0
        }
    }

    public func prepare(_ graph: Graph) throws {
        try graph.verify()
        // Constants come packed from a `.cnx` file (borrowed in place) or as values (packed here).
        func values(_ t: TensorID) -> [Float] { graph.constants[t]! }
        func buffer(_ t: TensorID) -> AlignedFloatBuffer {
            if let c = graph.packedConstants[t] { return borrowed(c) }
            let v = values(t)
            return AlignedFloatBuffer(count: v.count) { p in for i in v.indices { p[i] = v[i] } }
        }
        func norm(_ n: LayerNormAffine, _ c: Int) -> NormVectors {
            NormVectors(gamma: n.gamma.map(buffer) ?? AlignedFloatBuffer(count: c) { $0.update(repeating: 1, count: c) },
                        beta: n.beta.map(buffer) ?? AlignedFloatBuffer(count: c) { _ in }, epsilon: n.epsilon)
        }
        func pointwise(_ w: TensorID, _ b: TensorID, _ weightOnly: WeightOnlyInt8? = nil) -> PackedPointwiseWeights {
            let s = graph[w].shape, inputs = s.dropFirst().reduce(1, *)
            if let weightOnly {
                // Weight-only int8: the codes times their channel's step (plus the second plane's),
                // as float panels; the native kernels scale the integer-valued sums instead: equal
                // up to float rounding.
                var values = Self.dequantized(graph, w, weightOnly.weightScale, layout: .int8FloatPanels, stepsLayout: .bias16)
                if let plane = weightOnly.residualWeight, let steps = weightOnly.residualScale {
                    let rest = Self.dequantized(graph, plane, steps, layout: .int8FloatPanels, stepsLayout: .bias16)
                    for i in values.indices { values[i] += rest[i] }
                }
                let bias = Self.packedConstant(graph, b, .bias16)
                return PackedPointwiseWeights(weights: values, bias: Array(UnsafeBufferPointer(start: bias.base, count: s[0])),
                                              outputChannels: s[0], inputChannels: inputs)
            }
            if let pw = graph.packedConstants[w], let pb = graph.packedConstants[b] {
                return PackedPointwiseWeights(outputChannels: s[0], inputChannels: inputs, panels: borrowed(pw), bias: borrowed(pb))
            }
            return PackedPointwiseWeights(weights: values(w), bias: values(b), outputChannels: s[0], inputChannels: inputs)
        }
        func depthwise(_ w: TensorID, _ b: TensorID, _ weightOnly: WeightOnlyInt8?) -> PackedDepthwiseWeights {
            let c = graph[b].shape[0]
            if let weightOnly {
                // int8 taps expanded to float taps, once.
                let bias = Self.packedConstant(graph, b, .bias8)
                return PackedDepthwiseWeights(weights: Self.dequantized(graph, w, weightOnly.weightScale, layout: .int8Raw, stepsLayout: .raw),
                                              bias: Array(UnsafeBufferPointer(start: bias.base, count: c)), channels: c)
            }
            if let pw = graph.packedConstants[w], let pb = graph.packedConstants[b] {
                return PackedDepthwiseWeights(channels: c, taps: borrowed(pw), bias: borrowed(pb))
            }
            return PackedDepthwiseWeights(weights: values(w), bias: values(b), channels: c)
        }
        prepared = graph.ops.map { op in
            // The int16-pair GEMM reads weights widened once here rather than on every call.
            if let int8 = Int8Op.of(op, in: graph, int16Pairs: Self.int16Pairs, norm: norm) {
                return .int8(int8)
            }
            return switch op {
            case let .stem(p): .stem(p, pointwise(p.weight, p.bias), norm(p.norm, graph[p.bias].shape[0]))
            case let .depthwiseConvLN(p):
                .depthwiseConvLN(p, depthwise(p.weight, p.bias, p.weightOnly), norm(p.norm, graph[p.bias].shape[0]))
            case let .pointwiseGELU(p): .pointwiseGELU(p, pointwise(p.weight, p.bias, p.weightOnly))
            case let .grn(p): .grn(p, gamma: buffer(p.gamma), beta: buffer(p.beta))
            case let .pointwise(p):
                .pointwise(p, pointwise(p.weight, p.bias, p.weightOnly), p.inputScale.map { scale in
                    let original = pointwise(p.weight, p.bias)
                    let panels = AlignedFloatBuffer(count: original.panels.count) { _ in }
                    return FoldedGRN(gamma: buffer(scale.gamma),
                                     scaled: PackedPointwiseWeights(outputChannels: original.outputChannels, inputChannels: original.inputChannels,
                                                                    panels: panels, bias: original.bias),
                                     scaledPanels: panels)
                })
            case let .downsample(p): .downsample(p, norm(p.norm, graph[p.input].shape[3]), pointwise(p.weight, p.bias, p.weightOnly))
            case let .head(p): .head(p, norm(p.norm, graph[p.input].shape[3]), pointwise(p.weight, p.bias, p.weightOnly))
            }
        }
        self.graph = graph
    }
}
