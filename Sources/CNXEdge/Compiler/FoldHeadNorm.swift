extension CompilerPass {
    /// `fold-head-norm`: moves the head's LayerNorm affine into its linear layer:
    /// `W' = W·diag(γ)`, `b' = b + W·β`.
    public static let foldHeadNorm = CompilerPass(name: "fold-head-norm") { graph in
        var g = graph
        for i in g.ops.indices {
            guard case var .head(p) = g.ops[i], p.norm.gamma != nil || p.norm.beta != nil else { continue }
            (p.weight, p.bias) = try g.foldAffine(p.norm, weight: p.weight, bias: p.bias, group: 1, op: i)
            p.norm.gamma = nil
            p.norm.beta = nil
            g.ops[i] = .head(p)
        }
        return g.droppingUnusedConstants()
    }
}
