/// A LayerNorm's affine parameters.
public struct LayerNormWeights: Sendable {
    public var gamma: [Float]
    public var beta: [Float]

    public init(gamma: [Float], beta: [Float]) {
        self.gamma = gamma
        self.beta = beta
    }
}

/// One ConvNeXt V2 block: `x + fc2(GRN(GELU(fc1(LN(dwconv7x7(x))))))`.
public struct BlockWeights: Sendable {
    /// `[C, 1, 7, 7]`.
    public var dwconvWeight: [Float]
    public var dwconvBias: [Float]
    public var norm: LayerNormWeights
    /// `[4C, C]`.
    public var fc1Weight: [Float]
    public var fc1Bias: [Float]
    /// GRN γ and β, `[4C]` each.
    public var grnGamma: [Float]
    public var grnBeta: [Float]
    /// `[C, 4C]`.
    public var fc2Weight: [Float]
    public var fc2Bias: [Float]

    public init(dwconvWeight: [Float], dwconvBias: [Float], norm: LayerNormWeights, fc1Weight: [Float], fc1Bias: [Float],
                grnGamma: [Float], grnBeta: [Float], fc2Weight: [Float], fc2Bias: [Float]) {
        self.dwconvWeight = dwconvWeight
        self.dwconvBias = dwconvBias
        self.norm = norm
        self.fc1Weight = fc1Weight
        self.fc1Bias = fc1Bias
        self.grnGamma = grnGamma
        self.grnBeta = grnBeta
        self.fc2Weight = fc2Weight
        self.fc2Bias = fc2Bias
    }
}

/// LayerNorm, then a 2x2 stride-2 convolution, between stages.
public struct DownsampleWeights: Sendable {
    public var norm: LayerNormWeights
    /// `[C_out, C_in, 2, 2]`.
    public var convWeight: [Float]
    public var convBias: [Float]

    public init(norm: LayerNormWeights, convWeight: [Float], convBias: [Float]) {
        self.norm = norm
        self.convWeight = convWeight
        self.convBias = convBias
    }
}

/// One stage: an optional downsample, then its blocks.
public struct StageWeights: Sendable {
    /// Absent for stage 0, whose input comes from the stem.
    public var downsample: DownsampleWeights?
    public var blocks: [BlockWeights]

    public init(downsample: DownsampleWeights?, blocks: [BlockWeights]) {
        self.downsample = downsample
        self.blocks = blocks
    }
}

/// All parameters of a ConvNeXt V2 classifier as `Float`, in PyTorch's layouts, validated against
/// ``config``: every tensor present, every shape right, every value finite.
public struct ConvNeXtV2Weights: Sendable {
    public var config: ModelConfig
    /// Stem convolution, `[C0, 3, 4, 4]`, stride 4.
    public var stemWeight: [Float]
    public var stemBias: [Float]
    public var stemNorm: LayerNormWeights
    public var stages: [StageWeights]
    public var headNorm: LayerNormWeights
    /// `[numClasses, C3]`.
    public var headWeight: [Float]
    public var headBias: [Float]

    public init(config: ModelConfig, stemWeight: [Float], stemBias: [Float], stemNorm: LayerNormWeights,
                stages: [StageWeights], headNorm: LayerNormWeights, headWeight: [Float], headBias: [Float]) {
        self.config = config
        self.stemWeight = stemWeight
        self.stemBias = stemBias
        self.stemNorm = stemNorm
        self.stages = stages
        self.headNorm = headNorm
        self.headWeight = headWeight
        self.headBias = headBias
    }
}
