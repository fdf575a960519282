/// An optional LayerNorm affine: `nil` tensors mean γ = 1, β = 0 (folded away by the compiler).
public struct LayerNormAffine: Sendable, Equatable {
    /// `[C]` constant, or `nil` for ones.
    public var gamma: TensorID?
    /// `[C]` constant, or `nil` for zeros.
    public var beta: TensorID?
    /// Added to the variance before the square root (1e-6 in ConvNeXt V2).
    public var epsilon: Float

    public init(gamma: TensorID?, beta: TensorID?, epsilon: Float) {
        self.gamma = gamma
        self.beta = beta
        self.epsilon = epsilon
    }

    /// The constants this affine reads.
    public var constants: [TensorID] { [gamma, beta].compactMap { $0 } }
}

/// How a float32 op stores its convolution's weights: as float32, or as int8 codes with per-channel
/// steps (``WeightOnlyInt8``; the math stays float32).
public enum WeightStorage: Sendable, Equatable {
    /// `weight` is float32.
    case float32
    /// `weight` is int8 codes worth `weightScale[n] · code` (plus a second plane on the head).
    case int8(WeightOnlyInt8)

    /// The constants beside the weight: none, or the steps (and the head's second plane).
    public var constants: [TensorID] {
        switch self {
        case .float32: []
        case let .int8(w): w.constants
        }
    }

    /// The weight's element type.
    public var dataType: TensorDataType {
        switch self {
        case .float32: .float32
        case .int8: .int8
        }
    }
}

/// Weight-only int8 (``WeightStorage/int8(_:)``): `weight` is int8 `[Cout, Cin...]`, symmetric per
/// output channel, worth `weightScale[n] · code`; the input, the bias and the output stay float32.
/// The kernels compute `bias[n] + weightScale[n] · Σ_k x_k · code` (the sum in float32 over exact
/// integer-valued weights). For the ops an int8 graph keeps in float for accuracy (and the
/// classifier head): a quarter of the float weights' bytes, on the same float activations.
///
/// A depthwise 7x7's taps (`weight` int8 `[C, 49]`) use the same scheme; the backends expand
/// them to float taps when they load the model (a few hundred KB).
///
/// The head may add a second plane: int8 codes of what the first plane's rounding left
/// (`W − weightScale·code`), with their own steps, for ~15-bit weights at two bytes each (the
/// logits of flat, untrained models are too sensitive for 8-bit head weights).
public struct WeightOnlyInt8: Sendable, Equatable {
    /// float32 `[Cout]`: the real value of one step of each output channel's weights.
    public var weightScale: TensorID
    /// int8, the weight's shape: the second plane's codes, if any (head only).
    public var residualWeight: TensorID?
    /// float32 `[Cout]`: the second plane's steps (present with ``residualWeight``).
    public var residualScale: TensorID?

    public init(weightScale: TensorID, residualWeight: TensorID? = nil, residualScale: TensorID? = nil) {
        self.weightScale = weightScale
        self.residualWeight = residualWeight
        self.residualScale = residualScale
    }

    /// The constants beside the weight: steps, and the second plane if any.
    public var constants: [TensorID] { [weightScale, residualWeight, residualScale].compactMap { $0 } }
}

/// Stem: 4x4 stride-4 convolution of the NCHW image, then LayerNorm, giving NHWC `[1, H/4, W/4, C]`.
public struct StemParameters: Sendable, Equatable {
    /// NCHW `[1, 3, H, W]`.
    public var input: TensorID
    /// NHWC `[1, H/4, W/4, C]`.
    public var output: TensorID
    /// `[C, 3, 4, 4]`.
    public var weight: TensorID
    /// `[C]`.
    public var bias: TensorID
    /// The LayerNorm after the convolution.
    public var norm: LayerNormAffine

    public init(input: TensorID, output: TensorID, weight: TensorID, bias: TensorID, norm: LayerNormAffine) {
        self.input = input; self.output = output; self.weight = weight; self.bias = bias; self.norm = norm
    }
}

/// Depthwise 7x7 convolution (stride 1, zero padding 3), then LayerNorm over channels. The output
/// is float32 (``FusedOp/depthwiseConvLN(_:)``) or uint8 codes (``FusedOp/qu8DepthwiseConvLN(_:)``).
public struct DepthwiseConvLNParameters: Sendable, Equatable {
    /// NHWC `[1, H, W, C]` float32.
    public var input: TensorID
    /// NHWC `[1, H, W, C]`, distinct from the input.
    public var output: TensorID
    /// `[C, 49]`, PyTorch's `[C, 1, 7, 7]` flattened.
    public var weight: TensorID
    /// `[C]`.
    public var bias: TensorID
    /// The LayerNorm after the convolution.
    public var norm: LayerNormAffine
    /// float32 taps, or int8 taps with per-channel steps.
    public var weightStorage: WeightStorage

    public init(input: TensorID, output: TensorID, weight: TensorID, bias: TensorID, norm: LayerNormAffine,
                weightStorage: WeightStorage = .float32) {
        self.input = input; self.output = output; self.weight = weight; self.bias = bias; self.norm = norm
        self.weightStorage = weightStorage
    }
}

/// float32 1x1 convolution `C → 4C` with exact GELU; also produces GRN's per-channel sum of squares.
public struct PointwiseGELUParameters: Sendable, Equatable {
    /// NHWC `[1, H, W, Cin]`.
    public var input: TensorID
    /// NHWC `[1, H, W, Cout]`.
    public var output: TensorID
    /// float64 `[Cout]`: `Σ_pixels output²` per channel, summed in an order fixed by the backend
    /// (fixed 256-pixel blocks added in block order), never by the thread count.
    public var sumOfSquares: TensorID
    /// `[Cout, Cin]`.
    public var weight: TensorID
    /// `[Cout]`.
    public var bias: TensorID
    /// float32 weights, or weight-only int8.
    public var weightStorage: WeightStorage

    public init(input: TensorID, output: TensorID, sumOfSquares: TensorID, weight: TensorID, bias: TensorID,
                weightStorage: WeightStorage = .float32) {
        self.input = input; self.output = output; self.sumOfSquares = sumOfSquares; self.weight = weight; self.bias = bias
        self.weightStorage = weightStorage
    }
}

/// Global response normalisation from a precomputed sum of squares:
/// `out = x · (1 + γ·N) + β`, `N_c = √s_c / (mean_c √s_c + 1e-6)`. Runs in place. float32
/// (``FusedOp/grn(_:)``) or on uint8 codes into uint8 codes (``FusedOp/qu8GRN(_:)``).
public struct GRNParameters: Sendable, Equatable {
    /// NHWC `[1, H, W, C]`.
    public var input: TensorID
    /// float64 `[C]` from the preceding 1x1 + GELU.
    public var sumOfSquares: TensorID
    /// NHWC `[1, H, W, C]`; shares the input's storage (the op rewrites it in place).
    public var output: TensorID
    /// `[C]`.
    public var gamma: TensorID
    /// `[C]`.
    public var beta: TensorID

    public init(input: TensorID, sumOfSquares: TensorID, output: TensorID, gamma: TensorID, beta: TensorID) {
        self.input = input; self.sumOfSquares = sumOfSquares; self.output = output; self.gamma = gamma; self.beta = beta
    }
}

/// A GRN folded into the 1x1 convolution after it: the input's channels are scaled by
/// `1 + γ·N` (computed from the sums per inference, as ``GRNParameters`` does); GRN's β is already
/// in the convolution's bias.
public struct GRNInputScale: Sendable, Equatable {
    /// float64 `[Cin]` from the preceding 1x1 + GELU.
    public var sumOfSquares: TensorID
    /// `[Cin]`.
    public var gamma: TensorID

    public init(sumOfSquares: TensorID, gamma: TensorID) {
        self.sumOfSquares = sumOfSquares
        self.gamma = gamma
    }
}

/// float32 1x1 convolution plus bias, optionally adding a residual.
public struct PointwiseParameters: Sendable, Equatable {
    /// NHWC `[1, H, W, Cin]`.
    public var input: TensorID
    /// NHWC `[1, H, W, Cout]`; shares the residual's storage when there is one (accumulated in place).
    public var output: TensorID
    /// NHWC `[1, H, W, Cout]`, added after the bias.
    public var residual: TensorID?
    /// `[Cout, Cin]`.
    public var weight: TensorID
    /// `[Cout]`.
    public var bias: TensorID
    /// float32 weights, or weight-only int8.
    public var weightStorage: WeightStorage

    public init(input: TensorID, output: TensorID, residual: TensorID?, weight: TensorID, bias: TensorID,
                weightStorage: WeightStorage = .float32) {
        self.input = input; self.output = output; self.residual = residual; self.weight = weight; self.bias = bias
        self.weightStorage = weightStorage
    }
}

/// float32 1x1 convolution with a GRN folded into it: `W·diag(1 + γ·N)` per image, plus bias (GRN's
/// β folded in), optionally adding a residual.
public struct GRNPointwiseParameters: Sendable, Equatable {
    /// NHWC `[1, H, W, Cin]`: the 1x1 + GELU's output, GRN not applied.
    public var input: TensorID
    /// NHWC `[1, H, W, Cout]`; shares the residual's storage when there is one.
    public var output: TensorID
    /// NHWC `[1, H, W, Cout]`, added after the bias.
    public var residual: TensorID?
    /// float32 `[Cout, Cin]`.
    public var weight: TensorID
    /// float32 `[Cout]`.
    public var bias: TensorID
    /// The folded GRN's statistics and γ.
    public var grn: GRNInputScale

    public init(input: TensorID, output: TensorID, residual: TensorID?, weight: TensorID, bias: TensorID, grn: GRNInputScale) {
        self.input = input; self.output = output; self.residual = residual; self.weight = weight; self.bias = bias
        self.grn = grn
    }
}

/// float32 LayerNorm over channels, then a 2x2 stride-2 convolution: `[1, H, W, Cin] → [1, H/2, W/2, Cout]`.
public struct DownsampleParameters: Sendable, Equatable {
    /// NHWC `[1, H, W, Cin]`.
    public var input: TensorID
    /// NHWC `[1, H/2, W/2, Cout]`.
    public var output: TensorID
    /// The LayerNorm before the convolution, over `Cin`.
    public var norm: LayerNormAffine
    /// `[Cout, Cin, 2, 2]`.
    public var weight: TensorID
    /// `[Cout]`.
    public var bias: TensorID
    /// float32 weights, or weight-only int8.
    public var weightStorage: WeightStorage

    public init(input: TensorID, output: TensorID, norm: LayerNormAffine, weight: TensorID, bias: TensorID,
                weightStorage: WeightStorage = .float32) {
        self.input = input; self.output = output; self.norm = norm; self.weight = weight; self.bias = bias
        self.weightStorage = weightStorage
    }
}

/// Global average pool (accumulated in double), LayerNorm, linear: `[1, H, W, C] → [1, 1, 1, classes]`.
public struct HeadParameters: Sendable, Equatable {
    /// NHWC `[1, H, W, C]`.
    public var input: TensorID
    /// The logits, `[1, 1, 1, classes]`.
    public var output: TensorID
    /// The LayerNorm after pooling, over `C`.
    public var norm: LayerNormAffine
    /// `[classes, C]`.
    public var weight: TensorID
    /// `[classes]`.
    public var bias: TensorID
    /// float32 weights, or weight-only int8 (one or two planes).
    public var weightStorage: WeightStorage

    public init(input: TensorID, output: TensorID, norm: LayerNormAffine, weight: TensorID, bias: TensorID,
                weightStorage: WeightStorage = .float32) {
        self.input = input; self.output = output; self.norm = norm; self.weight = weight; self.bias = bias
        self.weightStorage = weightStorage
    }
}
