extension CompilerPass {
    /// `lower`: turns ``ConvNeXtV2Weights`` into the unfolded fused-op graph for an
    /// `height`x`width` image. Activations are named after the reference intermediates
    /// (`stem`, `sSbB_norm`, `sSbB_gelu`, `sSbB_grn`, `stageS`).
    ///
    /// - Throws: ``ExecutionError/invalidInputSize(height:width:)`` unless both sides are positive
    ///   multiples of 32.
    public static func lower(_ weights: ConvNeXtV2Weights, height: Int, width: Int) throws -> Graph {
        guard height > 0, width > 0, height % 32 == 0, width % 32 == 0 else {
            throw ExecutionError.invalidInputSize(height: height, width: width)
        }
        let cfg = weights.config, d = cfg.dims, eps = cfg.layerNormEpsilon
        var g = Graph(inputHeight: height, inputWidth: width)
        func affine(_ name: String, _ n: LayerNormWeights, _ c: Int) -> LayerNormAffine {
            LayerNormAffine(gamma: g.addConstant(name + ".gamma", [c], n.gamma),
                            beta: g.addConstant(name + ".beta", [c], n.beta), epsilon: eps)
        }
        var h = height / 4, w = width / 4
        var x = g.addTensor("stem", [1, h, w, d[0]], .activation)
        g.ops.append(.stem(StemParameters(
            input: g.input, output: x,
            weight: g.addConstant("stem.weight", [d[0], 3, 4, 4], weights.stemWeight),
            bias: g.addConstant("stem.bias", [d[0]], weights.stemBias),
            norm: affine("stem.norm", weights.stemNorm, d[0]))))

        for (s, stage) in weights.stages.enumerated() {
            let c = d[s]
            if let ds = stage.downsample {
                let cin = d[s - 1]
                h /= 2; w /= 2
                let y = g.addTensor("s\(s)_downsample", [1, h, w, c], .activation)
                g.ops.append(.downsample(DownsampleParameters(
                    input: x, output: y, norm: affine("s\(s).downsample.norm", ds.norm, cin),
                    weight: g.addConstant("s\(s).downsample.weight", [c, cin, 2, 2], ds.convWeight),
                    bias: g.addConstant("s\(s).downsample.bias", [c], ds.convBias))))
                x = y
            }
            for (b, block) in stage.blocks.enumerated() {
                let p = "s\(s)b\(b)"
                let normed = g.addTensor(p + "_norm", [1, h, w, c], .activation)
                g.ops.append(.depthwiseConvLN(DepthwiseConvLNParameters(
                    input: x, output: normed,
                    weight: g.addConstant(p + ".dwconv.weight", [c, 49], block.dwconvWeight),
                    bias: g.addConstant(p + ".dwconv.bias", [c], block.dwconvBias),
                    norm: affine(p + ".norm", block.norm, c))))
                let hidden = g.addTensor(p + "_gelu", [1, h, w, 4 * c], .activation)
                let sums = g.addTensor(p + "_sumsq", [4 * c], .activation, .float64)
                g.ops.append(.pointwiseGELU(PointwiseGELUParameters(
                    input: normed, output: hidden, sumOfSquares: sums,
                    weight: g.addConstant(p + ".fc1.weight", [4 * c, c], block.fc1Weight),
                    bias: g.addConstant(p + ".fc1.bias", [4 * c], block.fc1Bias))))
                let grn = g.addTensor(p + "_grn", [1, h, w, 4 * c], .activation)
                g.ops.append(.grn(GRNParameters(
                    input: hidden, sumOfSquares: sums, output: grn,
                    gamma: g.addConstant(p + ".grn.gamma", [4 * c], block.grnGamma),
                    beta: g.addConstant(p + ".grn.beta", [4 * c], block.grnBeta))))
                let last = b == stage.blocks.count - 1
                let out = g.addTensor(last ? "stage\(s)" : p + "_out", [1, h, w, c], .activation)
                g.ops.append(.pointwise(PointwiseParameters(
                    input: grn, output: out, residual: x,
                    weight: g.addConstant(p + ".fc2.weight", [c, 4 * c], block.fc2Weight),
                    bias: g.addConstant(p + ".fc2.bias", [c], block.fc2Bias))))
                x = out
            }
        }
        let logits = g.addTensor("logits", [1, 1, 1, cfg.numClasses], .activation)
        g.ops.append(.head(HeadParameters(
            input: x, output: logits, norm: affine("head.norm", weights.headNorm, d[3]),
            weight: g.addConstant("head.weight", [cfg.numClasses, d[3]], weights.headWeight),
            bias: g.addConstant("head.bias", [cfg.numClasses], weights.headBias))))
        g.output = logits
        return g
    }
}
