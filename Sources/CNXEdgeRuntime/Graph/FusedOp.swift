/// The closed set of ops a ConvNeXt V2 graph is made of. Each case carries its typed parameters.
///
/// Switches over this enum list every case (no `default:`), so adding an op breaks every backend,
/// pass and serialiser until each handles it.
public enum FusedOp: Sendable, Equatable {
    /// 4x4 stride-4 convolution of the NCHW image, then LayerNorm.
    case stem(StemParameters)
    /// Depthwise 7x7 convolution, then LayerNorm (affine folded away when the compiler can).
    case depthwiseConvLN(DepthwiseConvLNParameters)
    /// 1x1 convolution with exact GELU, also producing GRN's per-channel sum of squares.
    case pointwiseGELU(PointwiseGELUParameters)
    /// Global response normalisation from a precomputed sum of squares, in place.
    case grn(GRNParameters)
    /// 1x1 convolution plus bias, with an optional in-place residual add and folded GRN.
    case pointwise(PointwiseParameters)
    /// LayerNorm, then a 2x2 stride-2 convolution.
    case downsample(DownsampleParameters)
    /// Global average pool, LayerNorm, linear classifier.
    case head(HeadParameters)

    /// The op's kind as a short stable name (`stem`, `depthwiseConvLN`, ...).
    public var kind: String {
        switch self {
        case .stem: "stem"
        case .depthwiseConvLN: "depthwiseConvLN"
        case .pointwiseGELU: "pointwiseGELU"
        case .grn: "grn"
        case .pointwise: "pointwise"
        case .downsample: "downsample"
        case .head: "head"
        }
    }

    /// Activation and input tensors read, in a fixed order (constants excluded).
    public var inputs: [TensorID] {
        switch self {
        case let .stem(p): [p.input]
        case let .depthwiseConvLN(p): [p.input]
        case let .pointwiseGELU(p): [p.input]
        case let .grn(p): [p.input, p.sumOfSquares]
        case let .pointwise(p): [p.input] + [p.residual, p.inputScale?.sumOfSquares].compactMap { $0 }
        case let .downsample(p): [p.input]
        case let .head(p): [p.input]
        }
    }

    /// Tensors written.
    public var outputs: [TensorID] {
        switch self {
        case let .stem(p): [p.output]
        case let .depthwiseConvLN(p): [p.output]
        case let .pointwiseGELU(p): [p.output, p.sumOfSquares]
        case let .grn(p): [p.output]
        case let .pointwise(p): [p.output]
        case let .downsample(p): [p.output]
        case let .head(p): [p.output]
        }
    }

    /// Constant tensors read (ids into ``Graph/constants``).
    public var constants: [TensorID] {
        switch self {
        case let .stem(p): [p.weight, p.bias] + p.norm.constants
        case let .depthwiseConvLN(p): [p.weight, p.bias] + p.norm.constants + (p.weightOnly?.constants ?? [])
        case let .pointwiseGELU(p): [p.weight, p.bias] + (p.int8.map { [$0.weightScale] } ?? []) + (p.weightOnly?.constants ?? [])
        case let .grn(p): [p.gamma, p.beta]
        case let .pointwise(p):
            [p.weight, p.bias] + (p.inputScale.map { [$0.gamma] } ?? [])
                + (p.int8.map { [$0.weightScale] } ?? []) + (p.weightOnly?.constants ?? [])
        case let .downsample(p): p.norm.constants + [p.weight, p.bias] + (p.int8.map { [$0.weightScale] } ?? []) + (p.weightOnly?.constants ?? [])
        case let .head(p): p.norm.constants + [p.weight, p.bias] + (p.weightOnly?.constants ?? [])
        }
    }

    /// Output that shares an input's storage (the op updates it in place), if any.
    public var inPlace: (input: TensorID, output: TensorID)? {
        switch self {
        case let .grn(p): (p.input, p.output)
        case let .pointwise(p): p.residual.map { ($0, p.output) }
        case .stem, .depthwiseConvLN, .pointwiseGELU, .downsample, .head: nil
        }
    }

    /// Multiply-accumulates of the op's convolutions and linear layers (normalisations excluded).
    public func macs(in graph: Graph) -> Int {
        func elements(_ t: TensorID) -> Int { graph[t].elementCount }
        switch self {
        case let .stem(p): return elements(p.output) * 48
        case let .depthwiseConvLN(p): return elements(p.output) * 49
        case let .pointwiseGELU(p): return elements(p.output) * graph[p.input].shape[3]
        case .grn: return 0
        case let .pointwise(p): return elements(p.output) * graph[p.input].shape[3]
        case let .downsample(p): return elements(p.output) * graph[p.input].shape[3] * 4
        case let .head(p): return elements(p.output) * graph[p.input].shape[3]
        }
    }

    /// Bytes of the constants the op reads.
    public func weightBytes(in graph: Graph) -> Int {
        constants.reduce(0) { $0 + graph[$1].byteCount }
    }
}
