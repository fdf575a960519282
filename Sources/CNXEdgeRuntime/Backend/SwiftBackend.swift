/// The pure-Swift backend: every ``FusedOp`` on the SIMD kernels in `Kernels/`, threads from a
/// ``ParallelRunner``. Results do not depend on the thread count (each kernel computes an element
/// the same way whatever range it is handed; GRN's sums run in one fixed order).
///
/// Not safe to run from two threads at once; one instance per ``CompiledModel``.
public final class SwiftBackend: Backend, PreparedGraphBackend, @unchecked Sendable {
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

    /// Each op with its constants packed for its kernels: one case per ``FusedOp`` case.
    enum PreparedOp {
        case stem(StemParameters, PackedPointwiseWeights, NormVectors)
        case depthwiseConvLN(DepthwiseConvLNParameters, PackedDepthwiseWeights, NormVectors)
        case pointwiseGELU(PointwiseGELUParameters, PackedPointwiseWeights)
        case grn(GRNParameters, gamma: AlignedFloatBuffer, beta: AlignedFloatBuffer)
        case pointwise(PointwiseParameters, PackedPointwiseWeights)
        case grnPointwise(GRNPointwiseParameters, PackedPointwiseWeights, FoldedGRN)
        case downsample(DownsampleParameters, NormVectors, PackedPointwiseWeights)
        case head(HeadParameters, NormVectors, PackedPointwiseWeights)
        case qu8DepthwiseConvLN(DepthwiseConvLNParameters, PackedDepthwiseWeights, NormVectors)
        case qu8PointwiseGELU(QU8PointwiseGELUParameters, Int8Conv, table: [UInt8])
        case qu8GRN(GRNParameters, gamma: AlignedFloatBuffer, beta: AlignedFloatBuffer)
        case qu8Pointwise(QU8PointwiseParameters, Int8Conv)
        case qu8GRNPointwise(QU8GRNPointwiseParameters, FoldedInt8Conv)
        case qu8Downsample(QU8DownsampleParameters, NormVectors, Int8Conv)
        /// An op another provider runs (``prepare(_:only:)``).
        case absent
    }

    /// A GRN folded into a float 1x1 convolution: γ, and the backend's own copy of the packed
    /// weights that each inference rescales (allocated once here, rewritten per run, never reallocated).
    struct FoldedGRN {
        let gamma: AlignedFloatBuffer
        let scaled: PackedPointwiseWeights
        let scaledPanels: AlignedFloatBuffer
    }

    /// Whether this build's int8 GEMM reads int16 pairs: the weights prepared and the scratch
    /// planned for folded-GRN 1x1s must agree on it.
    static var int16Pairs: Bool { QU8PWConvVariant.preferred == .int16Pairs }

    /// - Parameter options: threads for the kernels.
    public init(options: ExecutionOptions = .init()) {
        runner = ParallelRunner(threads: options.threads)
    }

    public func supports(_ op: FusedOp) -> Bool { true }

    public func kernelName(for op: FusedOp) -> String {
        /// The int8 GEMM this build runs: int16 pairs (`pmaddwd`) or exact integers in float.
        let q = QU8PWConvVariant.preferred.name
        /// The float GEMM, `-w8` for weight-only int8 weights (expanded to float at load).
        func pw(_ name: String, _ storage: WeightStorage) -> String {
            switch storage {
            case .float32: name
            case .int8: name + "-w8"
            }
        }
        func residual(_ r: TensorID?) -> String { r == nil ? "none" : "residual" }
        return switch op {
        case .stem: "f32-patchify4x4 + f32-pwconv-none + f32-layernorm__swift"
        case .depthwiseConvLN: "f32-dwconv7x7 + f32-layernorm__swift"
        case let .pointwiseGELU(p): "\(pw("f32-pwconv-gelu", p.weightStorage)) + f32-sumsq__swift"
        case .grn: "f32-scalebias__swift"
        case let .pointwise(p): pw("f32-pwconv-\(residual(p.residual))", p.weightStorage) + "__swift"
        case let .grnPointwise(p): "f32-grn-scale-weights + f32-pwconv-\(residual(p.residual))__swift"
        case let .downsample(p): "f32-layernorm + f32-patchify2x2 + \(pw("f32-pwconv-none", p.weightStorage))__swift"
        case let .head(p): "f32-avgpool + f32-layernorm + \(pw("f32-pwconv-none", p.weightStorage))__swift"
        case .qu8DepthwiseConvLN: "f32-dwconv7x7 + f32-layernorm + f32-quantize-u8__swift"
        case .qu8PointwiseGELU: "\(q)-u8-table + u8-sumsq__swift"
        case .qu8GRN: "u8-grn-affine + u8-channel-affine__swift"
        case let .qu8Pointwise(p): "\(q)-f32\(p.residual == nil ? "" : "-residual")__swift"
        case let .qu8GRNPointwise(p): "f32-grn-scale + qs8-grn-requantize + \(q)-f32\(p.residual == nil ? "" : "-residual")__swift"
        case .qu8Downsample: "f32-layernorm + f32-quantize-u8 + u8-patchify2x2 + \(q)-f32__swift"
        }
    }

    /// Every op runs on the same kernels on every CPU: Swift SIMD types, no feature detection.
    public func selectionReason(for op: FusedOp) -> String { "portable Swift SIMD" }

    public func scratchBytes(for op: FusedOp, in graph: Graph) -> Int {
        OpScratch.bytes(for: op, in: graph, int16Pairs: Self.int16Pairs)
    }
}
