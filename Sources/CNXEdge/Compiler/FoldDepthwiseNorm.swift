extension CompilerPass {
    /// `fold-depthwise-norm`: moves the LayerNorm affine of each `depthwiseConvLN` into the 1x1
    /// convolution that reads its output: `W' = W·diag(γ)`, `b' = b + W·β`. Exact up to rounding
    /// (the product is formed in Double and rounded once). Skipped when the output has any other
    /// reader, since they would see the un-scaled values.
    public static let foldDepthwiseNorm = CompilerPass(name: "fold-depthwise-norm") { graph in
        var g = graph
        for i in g.ops.indices {
            guard case var .depthwiseConvLN(dw) = g.ops[i], dw.norm.gamma != nil || dw.norm.beta != nil else { continue }
            let readers = g.consumers(of: dw.output)
            guard readers.count == 1, dw.output != g.output else { continue }
            let j = readers[0]
            switch g.ops[j] {
            case var .pointwiseGELU(pw):
                (pw.weight, pw.bias) = try g.foldAffine(dw.norm, weight: pw.weight, bias: pw.bias, group: 1, op: j)
                g.ops[j] = .pointwiseGELU(pw)
            case var .pointwise(pw) where pw.input == dw.output:
                (pw.weight, pw.bias) = try g.foldAffine(dw.norm, weight: pw.weight, bias: pw.bias, group: 1, op: j)
                g.ops[j] = .pointwise(pw)
            case .stem, .depthwiseConvLN, .grn, .pointwise, .grnPointwise, .downsample, .head, .qu8DepthwiseConvLN,
                 .qu8PointwiseGELU, .qu8GRN, .qu8Pointwise, .qu8GRNPointwise, .qu8Downsample:
                continue
            }
            dw.norm.gamma = nil
            dw.norm.beta = nil
            g.ops[i] = .depthwiseConvLN(dw)
        }
        return g.droppingUnusedConstants()
    }
}
