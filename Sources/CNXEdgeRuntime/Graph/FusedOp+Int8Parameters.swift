/// int8 1x1 convolution `C → 4C` with GELU through a table: uint8 codes in, the int32 accumulator
/// requantized (round to nearest, ties to even; saturating) to uint8 codes of ``geluInput``, each
/// code mapped through a 256-entry GELU table to the output's codes. Also produces GRN's
/// per-channel sums of squares, exactly in integers from the output codes.
public struct QU8PointwiseGELUParameters: Sendable, Equatable {
    /// uint8 NHWC `[1, H, W, Cin]`.
    public var input: TensorID
    /// uint8 NHWC `[1, H, W, Cout]`.
    public var output: TensorID
    /// float64 `[Cout]`: `Σ_pixels output²` per channel in real values.
    public var sumOfSquares: TensorID
    /// int8 `[Cout, Cin]`, symmetric per output channel.
    public var weight: TensorID
    /// int32 `[Cout]`: the accumulator's start (the float bias over `inputScale · weightScale[n]`,
    /// rounded, minus the input zero point times the row's weight sum).
    public var bias: TensorID
    /// float32 `[Cout]`: the real value of one step of each output channel's weights.
    public var weightScale: TensorID
    /// The quantization of the pre-activation: the GELU table's input codes.
    public var geluInput: TensorQuantization

    public init(input: TensorID, output: TensorID, sumOfSquares: TensorID, weight: TensorID, bias: TensorID,
                weightScale: TensorID, geluInput: TensorQuantization) {
        self.input = input; self.output = output; self.sumOfSquares = sumOfSquares; self.weight = weight; self.bias = bias
        self.weightScale = weightScale; self.geluInput = geluInput
    }
}

/// int8 1x1 convolution into float32: uint8 codes in, `float(acc) · inputScale · weightScale[n]`
/// out, optionally added onto a residual in place.
public struct QU8PointwiseParameters: Sendable, Equatable {
    /// uint8 NHWC `[1, H, W, Cin]`.
    public var input: TensorID
    /// float32 NHWC `[1, H, W, Cout]`; shares the residual's storage when there is one.
    public var output: TensorID
    /// float32 NHWC `[1, H, W, Cout]`, added after the bias.
    public var residual: TensorID?
    /// int8 `[Cout, Cin]`, symmetric per output channel.
    public var weight: TensorID
    /// int32 `[Cout]`: the accumulator's start (as ``QU8PointwiseGELUParameters/bias``).
    public var bias: TensorID
    /// float32 `[Cout]`: the real value of one step of each output channel's weights.
    public var weightScale: TensorID

    public init(input: TensorID, output: TensorID, residual: TensorID?, weight: TensorID, bias: TensorID, weightScale: TensorID) {
        self.input = input; self.output = output; self.residual = residual; self.weight = weight; self.bias = bias
        self.weightScale = weightScale
    }
}

/// int8 1x1 convolution with a GRN folded into it: for every image the stored codes' weights
/// `W·diag(1 + γ·N)` are requantized to int8 per output channel (``qs8GRNRequantize(_:panels:)``)
/// and the accumulator's start computed from the float bias; then the int8 1x1 runs on the uint8
/// input codes into float32, optionally added onto a residual. GRN's output is never quantized.
public struct QU8GRNPointwiseParameters: Sendable, Equatable {
    /// uint8 NHWC `[1, H, W, Cin]`: the 1x1 + GELU's codes, GRN not applied.
    public var input: TensorID
    /// float32 NHWC `[1, H, W, Cout]`; shares the residual's storage when there is one.
    public var output: TensorID
    /// float32 NHWC `[1, H, W, Cout]`, added after the bias.
    public var residual: TensorID?
    /// int8 `[Cout, Cin]`: the codes of `W` before GRN's scale.
    public var weight: TensorID
    /// float32 `[Cout]`: the bias with GRN's β folded in (the int32 start is computed per image).
    public var bias: TensorID
    /// float32 `[Cout]`: the stored codes' steps.
    public var weightScale: TensorID
    /// The folded GRN's statistics and γ.
    public var grn: GRNInputScale

    public init(input: TensorID, output: TensorID, residual: TensorID?, weight: TensorID, bias: TensorID, weightScale: TensorID,
                grn: GRNInputScale) {
        self.input = input; self.output = output; self.residual = residual; self.weight = weight; self.bias = bias
        self.weightScale = weightScale; self.grn = grn
    }
}

/// int8 downsample: float32 LayerNorm over channels, quantized to uint8 codes of
/// ``normQuantization``, then an int8 2x2 stride-2 convolution into float32.
public struct QU8DownsampleParameters: Sendable, Equatable {
    /// float32 NHWC `[1, H, W, Cin]`.
    public var input: TensorID
    /// float32 NHWC `[1, H/2, W/2, Cout]`.
    public var output: TensorID
    /// The LayerNorm before the convolution, over `Cin`.
    public var norm: LayerNormAffine
    /// int8 `[Cout, Cin, 2, 2]`, symmetric per output channel.
    public var weight: TensorID
    /// int32 `[Cout]`: the accumulator's start.
    public var bias: TensorID
    /// float32 `[Cout]`: the real value of one step of each output channel's weights.
    public var weightScale: TensorID
    /// The quantization of the LayerNorm's output (the convolution's input codes).
    public var normQuantization: TensorQuantization
    /// float32 `[Cout]`: one step of each output channel for a provider whose int8 convolution
    /// writes int8 codes (XNNPACK's qc8): symmetric codes, `max |output|` over calibration per
    /// channel over 127. The native and swift kernels write float32 and never read it.
    public var outputSteps: TensorID?

    public init(input: TensorID, output: TensorID, norm: LayerNormAffine, weight: TensorID, bias: TensorID,
                weightScale: TensorID, normQuantization: TensorQuantization, outputSteps: TensorID? = nil) {
        self.input = input; self.output = output; self.norm = norm; self.weight = weight; self.bias = bias
        self.weightScale = weightScale; self.normQuantization = normQuantization; self.outputSteps = outputSteps
    }
}
