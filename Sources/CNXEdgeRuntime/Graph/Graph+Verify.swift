extension Graph {
    /// Checks the graph's invariants: every id in range, each tensor produced once and before it is
    /// read, the input and constants of the right kind, constants present with values, every shape
    /// consistent with its op, and the output produced.
    ///
    /// Used after each compiler pass in tests and on every loaded `.cnx` file.
    /// - Throws: ``GraphError`` naming the first violation.
    public func verify() throws {
        var produced: Set<TensorID> = [input]
        for (i, op) in ops.enumerated() {
            let kind = op.kind
            for t in op.inputs + op.outputs + op.constants where t.index < 0 || t.index >= tensors.count {
                throw GraphError.unknownTensor(op: i, kind: kind, tensor: t)
            }
            for t in op.inputs where !produced.contains(t) {
                throw GraphError.usedBeforeProduced(op: i, kind: kind, tensor: self[t].name)
            }
            for t in op.constants {
                try expectKind(t, .constant, i, kind)
                if packedConstants[t] != nil { continue }
                guard let values = constants[t], values.count == self[t].elementCount else {
                    throw GraphError.missingConstant(op: i, kind: kind, tensor: self[t].name)
                }
            }
            for t in op.outputs {
                try expectKind(t, .activation, i, kind)
                guard produced.insert(t).inserted else {
                    throw GraphError.producedTwice(op: i, kind: kind, tensor: self[t].name)
                }
            }
            try verifyShapes(op, i)
        }
        guard produced.contains(output), self[output].kind == .activation else {
            throw GraphError.outputNotProduced(tensor: output.index < tensors.count ? self[output].name : "\(output)")
        }
    }

    private func expectKind(_ t: TensorID, _ expected: TensorKind, _ op: Int, _ kind: String) throws {
        guard self[t].kind == expected else {
            throw GraphError.wrongKind(op: op, kind: kind, tensor: self[t].name, expected: expected, found: self[t].kind)
        }
    }

    private func verifyShapes(_ op: FusedOp, _ i: Int) throws {
        let kind = op.kind
        func expect(_ t: TensorID, _ shape: [Int], _ type: TensorDataType = .float32) throws {
            guard self[t].shape == shape else {
                throw GraphError.shapeMismatch(op: i, kind: kind, tensor: self[t].name, expected: shape, found: self[t].shape)
            }
            guard self[t].dataType == type else {
                throw GraphError.wrongDataType(op: i, kind: kind, tensor: self[t].name, expected: type, found: self[t].dataType)
            }
        }
        /// `[1, H, W, C]` of an NHWC activation, or a shape error.
        func nhwc(_ t: TensorID) throws -> (h: Int, w: Int, c: Int) {
            let s = self[t].shape
            guard s.count == 4, s[0] == 1, s.allSatisfy({ $0 > 0 }) else {
                throw GraphError.shapeMismatch(op: i, kind: kind, tensor: self[t].name, expected: [1, -1, -1, -1], found: s)
            }
            return (s[1], s[2], s[3])
        }
        func norm(_ n: LayerNormAffine, _ c: Int) throws {
            for t in n.constants { try expect(t, [c]) }
        }
        switch op {
        case let .stem(p):
            let s = self[p.input].shape
            guard s.count == 4, s[0] == 1, s[1] == 3, s[2] > 0, s[3] > 0, s[2] % 4 == 0, s[3] % 4 == 0 else {
                throw GraphError.shapeMismatch(op: i, kind: kind, tensor: self[p.input].name, expected: [1, 3, -1, -1], found: s)
            }
            let c = try nhwc(p.output).c
            try expect(p.output, [1, s[2] / 4, s[3] / 4, c])
            try expect(p.weight, [c, 3, 4, 4]); try expect(p.bias, [c]); try norm(p.norm, c)
        case let .depthwiseConvLN(p):
            let x = try nhwc(p.input)
            try expect(p.output, self[p.input].shape)
            try expect(p.weight, [x.c, 49]); try expect(p.bias, [x.c]); try norm(p.norm, x.c)
        case let .pointwiseGELU(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.output, [1, x.h, x.w, y.c]); try expect(p.sumOfSquares, [y.c], .float64)
            try expect(p.weight, [y.c, x.c]); try expect(p.bias, [y.c])
        case let .grn(p):
            let x = try nhwc(p.input)
            try expect(p.output, self[p.input].shape); try expect(p.sumOfSquares, [x.c], .float64)
            try expect(p.gamma, [x.c]); try expect(p.beta, [x.c])
        case let .pointwise(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.output, [1, x.h, x.w, y.c])
            if let r = p.residual { try expect(r, self[p.output].shape) }
            if let scale = p.inputScale { try expect(scale.sumOfSquares, [x.c], .float64); try expect(scale.gamma, [x.c]) }
            try expect(p.weight, [y.c, x.c]); try expect(p.bias, [y.c])
        case let .downsample(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.output, [1, x.h / 2, x.w / 2, y.c])
            guard x.h % 2 == 0, x.w % 2 == 0 else {
                throw GraphError.shapeMismatch(op: i, kind: kind, tensor: self[p.input].name, expected: [1, 2 * y.h, 2 * y.w, x.c], found: self[p.input].shape)
            }
            try norm(p.norm, x.c); try expect(p.weight, [y.c, x.c, 2, 2]); try expect(p.bias, [y.c])
        case let .head(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.output, [1, 1, 1, y.c])
            try norm(p.norm, x.c); try expect(p.weight, [y.c, x.c]); try expect(p.bias, [y.c])
        }
    }
}
