/// The closed set of ops a ConvNeXt V2 graph is made of. Each case is one computation at one
/// precision and carries its typed parameters: the float32 ops read and write float32 activations;
/// the `qu8` ops read or write int8 activations (uint8 codes, ``TensorQuantization``) and run their
/// convolutions in integers. Weight storage is explicit too (``WeightStorage``).
///
/// Switches over this enum list every case (no `default:`), so adding an op or a precision breaks
/// every backend, pass and serialiser until each handles it.
public enum FusedOp: Sendable, Equatable {
    /// float32: 4x4 stride-4 convolution of the NCHW image, then LayerNorm.
    case stem(StemParameters)
    /// float32: depthwise 7x7 convolution, then LayerNorm (affine folded away when the compiler can).
    case depthwiseConvLN(DepthwiseConvLNParameters)
    /// float32: 1x1 convolution with exact GELU, also producing GRN's per-channel sum of squares.
    case pointwiseGELU(PointwiseGELUParameters)
    /// float32: global response normalisation from a precomputed sum of squares, in place.
    case grn(GRNParameters)
    /// float32: 1x1 convolution plus bias, with an optional in-place residual add.
    case pointwise(PointwiseParameters)
    /// float32: a GRN folded into the 1x1 after it: the weights' input rows scaled per image.
    case grnPointwise(GRNPointwiseParameters)
    /// float32: LayerNorm, then a 2x2 stride-2 convolution.
    case downsample(DownsampleParameters)
    /// float32: global average pool, LayerNorm, linear classifier.
    case head(HeadParameters)
    /// int8: the float depthwise 7x7 + LayerNorm, its output quantized to uint8 codes.
    case qu8DepthwiseConvLN(DepthwiseConvLNParameters)
    /// int8: uint8 codes → int8 1x1 → requantized pre-activation codes → GELU table → uint8 codes,
    /// and GRN's sums of squares from the codes (in integers).
    case qu8PointwiseGELU(QU8PointwiseGELUParameters)
    /// int8: GRN on uint8 codes into uint8 codes (when GRN is not folded into the next 1x1).
    case qu8GRN(GRNParameters)
    /// int8: uint8 codes → int8 1x1 → float32, with an optional in-place residual add.
    case qu8Pointwise(QU8PointwiseParameters)
    /// int8: a GRN folded into an int8 1x1, whose weights are requantized for every image.
    case qu8GRNPointwise(QU8GRNPointwiseParameters)
    /// int8: float LayerNorm quantized to uint8 codes, then an int8 2x2 stride-2 convolution into float32.
    case qu8Downsample(QU8DownsampleParameters)

    /// The arithmetic of an op's activations.
    public enum Precision: String, Sendable, Equatable {
        /// float32 activations (weights float32 or weight-only int8, ``WeightStorage``).
        case float32
        /// uint8-coded activations and integer convolutions.
        case int8
    }

    /// The op's kind as a short stable name (`stem`, `qu8PointwiseGELU`, ...): the case's name.
    public var kind: String {
        switch self {
        case .stem: "stem"
        case .depthwiseConvLN: "depthwiseConvLN"
        case .pointwiseGELU: "pointwiseGELU"
        case .grn: "grn"
        case .pointwise: "pointwise"
        case .grnPointwise: "grnPointwise"
        case .downsample: "downsample"
        case .head: "head"
        case .qu8DepthwiseConvLN: "qu8DepthwiseConvLN"
        case .qu8PointwiseGELU: "qu8PointwiseGELU"
        case .qu8GRN: "qu8GRN"
        case .qu8Pointwise: "qu8Pointwise"
        case .qu8GRNPointwise: "qu8GRNPointwise"
        case .qu8Downsample: "qu8Downsample"
        }
    }

    /// Whether the op computes in float32 or int8.
    public var precision: Precision {
        switch self {
        case .stem, .depthwiseConvLN, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .downsample, .head: .float32
        case .qu8DepthwiseConvLN, .qu8PointwiseGELU, .qu8GRN, .qu8Pointwise, .qu8GRNPointwise, .qu8Downsample: .int8
        }
    }

    /// Activation and input tensors read, in a fixed order (constants excluded).
    public var inputs: [TensorID] {
        switch self {
        case let .stem(p): [p.input]
        case let .depthwiseConvLN(p), let .qu8DepthwiseConvLN(p): [p.input]
        case let .pointwiseGELU(p): [p.input]
        case let .grn(p), let .qu8GRN(p): [p.input, p.sumOfSquares]
        case let .pointwise(p): [p.input] + [p.residual].compactMap { $0 }
        case let .grnPointwise(p): [p.input] + [p.residual].compactMap { $0 } + [p.grn.sumOfSquares]
        case let .downsample(p): [p.input]
        case let .head(p): [p.input]
        case let .qu8PointwiseGELU(p): [p.input]
        case let .qu8Pointwise(p): [p.input] + [p.residual].compactMap { $0 }
        case let .qu8GRNPointwise(p): [p.input] + [p.residual].compactMap { $0 } + [p.grn.sumOfSquares]
        case let .qu8Downsample(p): [p.input]
        }
    }

    /// Tensors written.
    public var outputs: [TensorID] {
        switch self {
        case let .stem(p): [p.output]
        case let .depthwiseConvLN(p), let .qu8DepthwiseConvLN(p): [p.output]
        case let .pointwiseGELU(p): [p.output, p.sumOfSquares]
        case let .grn(p), let .qu8GRN(p): [p.output]
        case let .pointwise(p): [p.output]
        case let .grnPointwise(p): [p.output]
        case let .downsample(p): [p.output]
        case let .head(p): [p.output]
        case let .qu8PointwiseGELU(p): [p.output, p.sumOfSquares]
        case let .qu8Pointwise(p): [p.output]
        case let .qu8GRNPointwise(p): [p.output]
        case let .qu8Downsample(p): [p.output]
        }
    }

    /// Constant tensors read (ids into ``Graph/constants``).
    public var constants: [TensorID] {
        switch self {
        case let .stem(p): [p.weight, p.bias] + p.norm.constants
        case let .depthwiseConvLN(p), let .qu8DepthwiseConvLN(p): [p.weight, p.bias] + p.norm.constants + p.weightStorage.constants
        case let .pointwiseGELU(p): [p.weight, p.bias] + p.weightStorage.constants
        case let .grn(p), let .qu8GRN(p): [p.gamma, p.beta]
        case let .pointwise(p): [p.weight, p.bias] + p.weightStorage.constants
        case let .grnPointwise(p): [p.weight, p.bias, p.grn.gamma]
        case let .downsample(p): p.norm.constants + [p.weight, p.bias] + p.weightStorage.constants
        case let .head(p): p.norm.constants + [p.weight, p.bias] + p.weightStorage.constants
        case let .qu8PointwiseGELU(p): [p.weight, p.bias, p.weightScale]
        case let .qu8Pointwise(p): [p.weight, p.bias, p.weightScale]
        case let .qu8GRNPointwise(p): [p.weight, p.bias, p.weightScale, p.grn.gamma]
        case let .qu8Downsample(p): p.norm.constants + [p.weight, p.bias, p.weightScale] + (p.outputSteps.map { [$0] } ?? [])
        }
    }

    /// Output that shares an input's storage (the op updates it in place), if any.
    public var inPlace: (input: TensorID, output: TensorID)? {
        switch self {
        case let .grn(p), let .qu8GRN(p): (p.input, p.output)
        case let .pointwise(p): p.residual.map { ($0, p.output) }
        case let .grnPointwise(p): p.residual.map { ($0, p.output) }
        case let .qu8Pointwise(p): p.residual.map { ($0, p.output) }
        case let .qu8GRNPointwise(p): p.residual.map { ($0, p.output) }
        case .stem, .depthwiseConvLN, .pointwiseGELU, .downsample, .head, .qu8DepthwiseConvLN, .qu8PointwiseGELU,
             .qu8Downsample: nil
        }
    }

    /// Multiply-accumulates of the op's convolutions and linear layers (normalisations excluded).
    public func macs(in graph: Graph) -> Int {
        func elements(_ t: TensorID) -> Int { graph[t].elementCount }
        func channels(_ t: TensorID) -> Int { graph[t].shape[3] }
        switch self {
        case let .stem(p): return elements(p.output) * 48
        case let .depthwiseConvLN(p), let .qu8DepthwiseConvLN(p): return elements(p.output) * 49
        case let .pointwiseGELU(p): return elements(p.output) * channels(p.input)
        case .grn, .qu8GRN: return 0
        case let .pointwise(p): return elements(p.output) * channels(p.input)
        case let .grnPointwise(p): return elements(p.output) * channels(p.input)
        case let .downsample(p): return elements(p.output) * channels(p.input) * 4
        case let .head(p): return elements(p.output) * channels(p.input)
        case let .qu8PointwiseGELU(p): return elements(p.output) * channels(p.input)
        case let .qu8Pointwise(p): return elements(p.output) * channels(p.input)
        case let .qu8GRNPointwise(p): return elements(p.output) * channels(p.input)
        case let .qu8Downsample(p): return elements(p.output) * channels(p.input) * 4
        }
    }

    /// Bytes of the constants the op reads.
    public func weightBytes(in graph: Graph) -> Int {
        constants.reduce(0) { $0 + graph[$1].byteCount }
    }
}
