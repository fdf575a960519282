extension CompilerPass {
    /// `fold-downsample-norm`: moves each downsample's LayerNorm affine into its 2x2 convolution:
    /// `W'[o, c, ky, kx] = W[o, c, ky, kx]·γ[c]`, `b'[o] = b[o] + Σ W[o, c, ky, kx]·β[c]`.
    public static let foldDownsampleNorm = CompilerPass(name: "fold-downsample-norm") { graph in
        var g = graph
        for i in g.ops.indices {
            guard case var .downsample(p) = g.ops[i], p.norm.gamma != nil || p.norm.beta != nil else { continue }
            (p.weight, p.bias) = try g.foldAffine(p.norm, weight: p.weight, bias: p.bias, group: 4, op: i)
            p.norm.gamma = nil
            p.norm.beta = nil
            g.ops[i] = .downsample(p)
        }
        return g.droppingUnusedConstants()
    }
}
