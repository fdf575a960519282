extension Graph {
    /// Checks the graph's invariants: every id in range, each tensor produced once and before it is
    /// read, the input and constants of the right kind, constants present with values, every
    /// shape and element type consistent with its op and precision, and the output produced.
    ///
    /// Used after each compiler pass in tests and on every loaded `.cnx` file.
    /// - Throws: ``GraphError`` naming the first violation.
    public func verify() throws {
        var produced: Set<TensorID> = externalInputs.union([input])
        for t in externalInputs where t.index < 0 || t.index >= tensors.count || self[t].kind != .activation {
            throw GraphError.invalidExternalInput(tensor: "\(t)")
        }
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
        if let labels { try Self.checkLabels(labels, classes: classCount) }
    }

    /// The longest class name `.cnx` files store, in UTF-8 bytes.
    public static let maxLabelBytes = 1024

    /// Checks that `labels` name `classes` classes, each in at most ``maxLabelBytes`` bytes of one line.
    /// - Throws: ``GraphError/badLabels(reason:)``.
    public static func checkLabels(_ labels: [String], classes: Int) throws {
        guard labels.count == classes else {
            throw GraphError.badLabels(reason: "\(labels.count) names for \(classes) classes")
        }
        if let i = labels.firstIndex(where: { $0.utf8.count > maxLabelBytes || $0.contains(where: \.isNewline) }) {
            throw GraphError.badLabels(reason: "name \(i) is longer than \(maxLabelBytes) bytes or holds a line break")
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
        /// A float op's weight and float32 bias, the weight float32 or weight-only int8 with its steps.
        func conv(_ weight: TensorID, _ shape: [Int], _ bias: TensorID, _ storage: WeightStorage) throws {
            try expect(weight, shape, storage.dataType); try expect(bias, [shape[0]])
            switch storage {
            case .float32: break
            case let .int8(w):
                try expect(w.weightScale, [shape[0]])
                if let plane = w.residualWeight { try expect(plane, shape, .int8) }
                if let steps = w.residualScale { try expect(steps, [shape[0]]) }
            }
        }
        /// An int8 convolution's int8 weight, its bias (int32, or float32 where the start is per
        /// image) and its float32 per-channel steps.
        func int8Conv(_ weight: TensorID, _ shape: [Int], _ bias: TensorID, _ steps: TensorID, biasType: TensorDataType = .int32) throws {
            try expect(weight, shape, .int8); try expect(bias, [shape[0]], biasType); try expect(steps, [shape[0]])
        }
        func downsampleShapes(_ input: TensorID, _ output: TensorID) throws -> (x: (h: Int, w: Int, c: Int), y: (h: Int, w: Int, c: Int)) {
            let x = try nhwc(input), y = try nhwc(output)
            try expect(input, self[input].shape); try expect(output, [1, x.h / 2, x.w / 2, y.c])
            guard x.h % 2 == 0, x.w % 2 == 0 else {
                throw GraphError.shapeMismatch(op: i, kind: kind, tensor: self[input].name, expected: [1, 2 * y.h, 2 * y.w, x.c], found: self[input].shape)
            }
            return (x, y)
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
        case let .depthwiseConvLN(p), let .qu8DepthwiseConvLN(p):
            let x = try nhwc(p.input)
            try expect(p.input, self[p.input].shape)
            try expect(p.output, self[p.input].shape, op.precision == .int8 ? .uint8 : .float32)
            try conv(p.weight, [x.c, 49], p.bias, p.weightStorage); try norm(p.norm, x.c)
        case let .pointwiseGELU(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.input, self[p.input].shape)
            try expect(p.output, [1, x.h, x.w, y.c]); try expect(p.sumOfSquares, [y.c], .float64)
            try conv(p.weight, [y.c, x.c], p.bias, p.weightStorage)
        case let .qu8PointwiseGELU(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.input, self[p.input].shape, .uint8)
            try expect(p.output, [1, x.h, x.w, y.c], .uint8); try expect(p.sumOfSquares, [y.c], .float64)
            try int8Conv(p.weight, [y.c, x.c], p.bias, p.weightScale)
        case let .grn(p), let .qu8GRN(p):
            let x = try nhwc(p.input), type: TensorDataType = op.precision == .int8 ? .uint8 : .float32
            try expect(p.input, self[p.input].shape, type)
            try expect(p.output, self[p.input].shape, type); try expect(p.sumOfSquares, [x.c], .float64)
            try expect(p.gamma, [x.c]); try expect(p.beta, [x.c])
        case let .pointwise(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.input, self[p.input].shape); try expect(p.output, [1, x.h, x.w, y.c])
            if let r = p.residual { try expect(r, self[p.output].shape) }
            try conv(p.weight, [y.c, x.c], p.bias, p.weightStorage)
        case let .grnPointwise(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.input, self[p.input].shape); try expect(p.output, [1, x.h, x.w, y.c])
            if let r = p.residual { try expect(r, self[p.output].shape) }
            try expect(p.grn.sumOfSquares, [x.c], .float64); try expect(p.grn.gamma, [x.c])
            try conv(p.weight, [y.c, x.c], p.bias, .float32)
        case let .qu8Pointwise(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.input, self[p.input].shape, .uint8); try expect(p.output, [1, x.h, x.w, y.c])
            if let r = p.residual { try expect(r, self[p.output].shape) }
            try int8Conv(p.weight, [y.c, x.c], p.bias, p.weightScale)
        case let .qu8GRNPointwise(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.input, self[p.input].shape, .uint8); try expect(p.output, [1, x.h, x.w, y.c])
            if let r = p.residual { try expect(r, self[p.output].shape) }
            try expect(p.grn.sumOfSquares, [x.c], .float64); try expect(p.grn.gamma, [x.c])
            try int8Conv(p.weight, [y.c, x.c], p.bias, p.weightScale, biasType: .float32)
        case let .downsample(p):
            let (x, y) = try downsampleShapes(p.input, p.output)
            try norm(p.norm, x.c); try conv(p.weight, [y.c, x.c, 2, 2], p.bias, p.weightStorage)
        case let .qu8Downsample(p):
            let (x, y) = try downsampleShapes(p.input, p.output)
            try norm(p.norm, x.c); try int8Conv(p.weight, [y.c, x.c, 2, 2], p.bias, p.weightScale)
            if let steps = p.outputSteps { try expect(steps, [y.c]) }
        case let .head(p):
            let x = try nhwc(p.input), y = try nhwc(p.output)
            try expect(p.input, self[p.input].shape); try expect(p.output, [1, 1, 1, y.c])
            try norm(p.norm, x.c); try conv(p.weight, [y.c, x.c], p.bias, p.weightStorage)
        }
    }
}

extension Graph {
    /// uint8 activations carry valid quantization and nothing else does; an op's own
    /// quantization parameters are valid; a second weight plane only on the head, with its steps.
    private func verifyQuantization(_ op: FusedOp, _ i: Int) throws {
        func bad(_ t: TensorID) -> GraphError { .badQuantization(op: i, kind: op.kind, tensor: self[t].name) }
        for t in op.inputs + op.outputs {
            let isU8 = self[t].dataType == .uint8, q = self[t].quantization
            guard isU8 ? (q?.isValid == true) : q == nil else { throw bad(t) }
        }
        func planes(_ storage: WeightStorage, head: Bool = false) throws {
            guard case let .int8(w) = storage else { return }
            if (w.residualWeight == nil) != (w.residualScale == nil) || (w.residualWeight != nil && !head) { throw bad(w.weightScale) }
        }
        switch op {
        case let .depthwiseConvLN(p), let .qu8DepthwiseConvLN(p): try planes(p.weightStorage)
        case let .pointwiseGELU(p): try planes(p.weightStorage)
        case let .pointwise(p): try planes(p.weightStorage)
        case let .downsample(p): try planes(p.weightStorage)
        case let .head(p): try planes(p.weightStorage, head: true)
        case let .qu8PointwiseGELU(p): if !p.geluInput.isValid { throw bad(p.output) }
        case let .qu8Downsample(p): if !p.normQuantization.isValid { throw bad(p.input) }
        case .stem, .grn, .grnPointwise, .qu8GRN, .qu8Pointwise, .qu8GRNPointwise: break
        }
    }
}
