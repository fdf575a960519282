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
                let isInteger = self[t].dataType == .int8 || self[t].dataType == .int32
                guard let count = isInteger ? integerConstants[t]?.count : constants[t]?.count, count == self[t].elementCount else {
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
            try verifyQuantization(op, i)
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
        /// A convolution's weight and bias: float32; int8 / int32 with float32 per-channel scales;
        /// or (weight-only) int8 / float32 with float32 per-channel scales.
        /// `floatBias`: an int8 convolution whose int32 accumulator start depends on the image (a
        /// folded GRN) keeps its bias in float32.
        func conv(_ int8: Int8Weights?, _ weight: TensorID, _ shape: [Int], _ bias: TensorID,
                  weightOnly: WeightOnlyInt8? = nil, floatBias: Bool = false) throws {
            if let int8 {
                try expect(weight, shape, .int8); try expect(bias, [shape[0]], floatBias ? .float32 : .int32)
                try expect(int8.weightScale, [shape[0]])
            } else if let weightOnly {
                try expect(weight, shape, .int8); try expect(bias, [shape[0]])
                try expect(weightOnly.weightScale, [shape[0]])
                if let plane = weightOnly.residualWeight { try expect(plane, shape, .int8) }
                if let steps = weightOnly.residualScale { try expect(steps, [shape[0]]) }
            } else {
                try expect(weight, shape); try expect(bias, [shape[0]])
            }
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
            try expect(p.output, self[p.input].shape, self[p.output].dataType == .uint8 ? .uint8 : .float32)
            try expect(p.weight, [x.c, 49], p.weightOnly == nil ? .float32 : .int8); try expect(p.bias, [x.c]); try norm(p.norm, x.c)
            if let w = p.weightOnly { try expect(w.weightScale, [x.c]) }
        case let .pointwiseGELU(p):
            let x = try nhwc(p.input), y = try nhwc(p.output), q: TensorDataType = p.int8 == nil ? .float32 : .uint8
            try expect(p.input, self[p.input].shape, q)
            try expect(p.output, [1, x.h, x.w, y.c], q); try expect(p.sumOfSquares, [y.c], .float64)
            try conv(p.int8, p.weight, [y.c, x.c], p.bias, weightOnly: p.weightOnly)
        case let .grn(p):
            let x = try nhwc(p.input)
            let inType: TensorDataType = self[p.input].dataType == .uint8 ? .uint8 : .float32
            let outType: TensorDataType = self[p.output].dataType == .uint8 ? .uint8 : .float32
            try expect(p.input, self[p.input].shape, inType)
            try expect(p.output, self[p.input].shape, outType); try expect(p.sumOfSquares, [x.c], .float64)
            try expect(p.gamma, [x.c]); try expect(p.beta, [x.c])
        case let .pointwise(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.input, self[p.input].shape, p.int8 == nil ? .float32 : .uint8)
            try expect(p.output, [1, x.h, x.w, y.c])
            if let r = p.residual { try expect(r, self[p.output].shape) }
            if let scale = p.inputScale { try expect(scale.sumOfSquares, [x.c], .float64); try expect(scale.gamma, [x.c]) }
            try conv(p.int8, p.weight, [y.c, x.c], p.bias, weightOnly: p.weightOnly, floatBias: p.inputScale != nil)
        case let .downsample(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.output, [1, x.h / 2, x.w / 2, y.c])
            guard x.h % 2 == 0, x.w % 2 == 0 else {
                throw GraphError.shapeMismatch(op: i, kind: kind, tensor: self[p.input].name, expected: [1, 2 * y.h, 2 * y.w, x.c], found: self[p.input].shape)
            }
            try norm(p.norm, x.c); try conv(p.int8, p.weight, [y.c, x.c, 2, 2], p.bias, weightOnly: p.weightOnly)
        case let .head(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.output, [1, 1, 1, y.c])
            try norm(p.norm, x.c); try conv(nil, p.weight, [y.c, x.c], p.bias, weightOnly: p.weightOnly)
        }
    }
}

extension Graph {
    /// uint8 activations carry valid quantization and nothing else does; int8-only parameters
    /// appear only on int8 ops; weight-only int8 only on float ops without a folded GRN.
    private func verifyQuantization(_ op: FusedOp, _ i: Int) throws {
        func bad(_ t: String) -> GraphError { .badQuantization(op: i, kind: op.kind, tensor: t) }
        // A second weight plane: only on the head, and with its steps.
        let weightOnly: WeightOnlyInt8? = switch op {
        case let .depthwiseConvLN(p): p.weightOnly
        case let .pointwiseGELU(p): p.weightOnly
        case let .pointwise(p): p.weightOnly
        case let .downsample(p): p.weightOnly
        case let .head(p): p.weightOnly
        case .stem, .grn: nil
        }
        if let w = weightOnly, (w.residualWeight == nil) != (w.residualScale == nil) || (w.residualWeight != nil && op.kind != "head") {
            throw bad(self[w.weightScale].name)
        }
        for t in op.inputs + op.outputs {
            let isU8 = self[t].dataType == .uint8, q = self[t].quantization
            guard isU8 ? (q?.isValid == true) : q == nil else { throw bad(self[t].name) }
        }
        switch op {
        case let .pointwiseGELU(p):
            if (p.int8 == nil) != (p.geluInput == nil) { throw bad(self[p.output].name) }
            if p.int8 != nil, p.weightOnly != nil { throw bad(self[p.weight].name) }
            if let g = p.geluInput, !g.isValid { throw bad(self[p.output].name) }
        case let .pointwise(p):
            if p.weightOnly != nil, p.int8 != nil || p.inputScale != nil { throw bad(self[p.weight].name) }
        case let .downsample(p):
            guard (p.int8 == nil) == (p.normQuantization == nil), p.normQuantization?.isValid ?? true else {
                throw bad(self[p.input].name)
            }
            if p.int8 != nil, p.weightOnly != nil { throw bad(self[p.weight].name) }
        case let .depthwiseConvLN(p):
            if self[p.input].dataType != .float32 { throw bad(self[p.input].name) }
        case .stem, .grn, .head: break
        }
    }
}
