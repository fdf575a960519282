/// Folds a per-input-channel affine `x ↦ γ·x + β` into the linear map that follows it:
/// `W' = W·diag(γ)`, `b' = b + W·β`, computed in Double and rounded once.
///
/// `weight` is `[rows, columns]` row-major; column `j` belongs to input channel `j / group`
/// (`group` is 4 for a 2x2 convolution's `(c, ky, kx)` columns, 1 for a linear layer).
func foldAffine(weight: [Float], bias: [Float], gamma: [Float]?, beta: [Float]?, group: Int) -> (weight: [Float], bias: [Float]) {
    let rows = bias.count, columns = weight.count / rows
    var w = weight, b = bias
    for r in 0..<rows {
        var shift = Double(bias[r])
        for j in 0..<columns {
            let original = Double(weight[r * columns + j])
            if let beta { shift += original * Double(beta[j / group]) }
            if let gamma { w[r * columns + j] = Float(original * Double(gamma[j / group])) }
        }
        b[r] = Float(shift)
    }
    return (w, b)
}

extension Graph {
    /// Replaces a weight/bias pair by their folded values (as new constants) and returns their ids.
    /// - Throws: ``GraphError/missingConstant(op:kind:tensor:)`` if a value is absent.
    mutating func foldAffine(_ norm: LayerNormAffine, weight: TensorID, bias: TensorID, group: Int,
                             op: Int) throws -> (weight: TensorID, bias: TensorID) {
        func value(_ t: TensorID) throws -> [Float] {
            guard let v = constants[t] else {
                throw GraphError.missingConstant(op: op, kind: ops[op].kind, tensor: self[t].name)
            }
            return v
        }
        let folded = CNXEdge.foldAffine(
            weight: try value(weight), bias: try value(bias),
            gamma: try norm.gamma.map(value), beta: try norm.beta.map(value), group: group)
        let w = addConstant(self[weight].name + ".folded", self[weight].shape, folded.weight)
        let b = addConstant(self[bias].name + ".folded", self[bias].shape, folded.bias)
        return (w, b)
    }
}
