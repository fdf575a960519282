extension CompilerPass {
    /// `fold-grn`: merges each GRN into the 1x1 convolution that reads it. GRN's β goes into the
    /// bias at compile time (`b' = b + W·β`); its scale `1 + γ·N` depends on the image, so the
    /// convolution rescales its weight columns per inference (`W·diag(s)`) instead of the backend
    /// rewriting the whole `[H, W, 4C]` activation. Exact up to rounding. Off by default
    /// (``CompilerOptions/foldGRN``).
    public static let foldGRN = CompilerPass(name: "fold-grn") { graph in
        var g = graph
        var removed: Set<Int> = []
        for i in g.ops.indices {
            guard case let .grn(grn) = g.ops[i] else { continue }
            let readers = g.consumers(of: grn.output)
            guard readers.count == 1, grn.output != g.output, case var .pointwise(pw) = g.ops[readers[0]],
                  pw.input == grn.output, pw.inputScale == nil, pw.residual != grn.output else { continue }
            let beta = LayerNormAffine(gamma: nil, beta: grn.beta, epsilon: 0)
            (pw.weight, pw.bias) = try g.foldAffine(beta, weight: pw.weight, bias: pw.bias, group: 1, op: readers[0])
            pw.input = grn.input
            pw.inputScale = GRNInputScale(sumOfSquares: grn.sumOfSquares, gamma: grn.gamma)
            g.ops[readers[0]] = .pointwise(pw)
            removed.insert(i)
        }
        g.ops = g.ops.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        return g.droppingUnusedConstants()
    }
}
