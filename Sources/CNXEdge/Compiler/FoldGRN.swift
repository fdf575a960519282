extension CompilerPass {
    /// `fold-grn`: merges each GRN into the 1x1 convolution that reads it. GRN's β goes into the
    /// bias at compile time (`b' = b + W·β`); its scale `1 + γ·N` depends on the image, so the
    /// convolution rescales its weight columns per inference (`W·diag(s)`) instead of the backend
    /// rewriting the whole `[H, W, 4C]` activation. Exact up to rounding. Off by default
    /// (``CompilerOptions/foldGRN``).
    public static let foldGRN = CompilerPass(name: "fold-grn") { graph in
        var g = graph
        var removed: Set<Int> = []
        for i in g.ops.indices where try g.foldGRNIntoReader(i) != nil { removed.insert(i) }
        g.ops = g.ops.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        return g.droppingUnusedConstants()
    }
}

extension Graph {
    /// Merges float GRN op `i` into the float 1x1 convolution that alone reads its output (β into
    /// that 1x1's float bias, the scale as its ``GRNPointwiseParameters/grn``, its input GRN's
    /// input), making it a ``FusedOp/grnPointwise(_:)``, and returns that 1x1's index; op `i` stays
    /// in place for the caller to remove. Nil, the graph unchanged, when op `i` is no float GRN or
    /// its output is not read by one plain float 1x1 alone. The fold of ``CompilerPass/foldGRN``
    /// and of the quantizer's ``QuantizationPass/foldGRNInt8(_:)``.
    mutating func foldGRNIntoReader(_ i: Int) throws -> Int? {
        guard case let .grn(grn) = ops[i] else { return nil }
        let readers = consumers(of: grn.output)
        guard readers.count == 1, grn.output != output, case let .pointwise(pw) = ops[readers[0]],
              pw.input == grn.output, pw.residual != grn.output, pw.weightStorage == .float32 else { return nil }
        let beta = LayerNormAffine(gamma: nil, beta: grn.beta, epsilon: 0)
        let (weight, bias) = try foldAffine(beta, weight: pw.weight, bias: pw.bias, group: 1, op: readers[0])
        ops[readers[0]] = .grnPointwise(GRNPointwiseParameters(
            input: grn.input, output: pw.output, residual: pw.residual, weight: weight, bias: bias,
            grn: GRNInputScale(sumOfSquares: grn.sumOfSquares, gamma: grn.gamma)))
        return readers[0]
    }
}
