/// Op records of a `.cnx` file: the slot order and parameters of each op kind, and decoding.
extension ModelFileTables {
    /// Slots per op kind code (``ModelFileFormat/code(_:)``): every record of a kind has exactly these.
    private static let slotCounts: [UInt8: Int] = [1: 6, 2: 7, 3: 6, 4: 5, 5: 6, 6: 7, 7: 7, 8: 9, 9: 7, 10: 6, 11: 5, 12: 6, 13: 8, 14: 8]

    /// The tag of each op kind's one required parameter, if it has one.
    private static let requiredParameter: [UInt8: ModelFileFormat.OpParameter] = [10: .geluInput, 14: .normQuantization]

    /// An op's tensors in file order (`nil` for an absent optional one) and its LayerNorm epsilon.
    package static func slots(_ op: FusedOp) -> (ids: [TensorID?], epsilon: Float) {
        /// A weight-only int8 weight's steps (empty for float32 weights).
        func steps(_ s: WeightStorage) -> TensorID? {
            switch s {
            case .float32: nil
            case let .int8(w): w.weightScale
            }
        }
        func plane(_ s: WeightStorage) -> [TensorID?] {
            switch s {
            case .float32: [nil, nil]
            case let .int8(w): [w.residualWeight, w.residualScale]
            }
        }
        return switch op {
        case let .stem(p): ([p.input, p.output, p.weight, p.bias, p.norm.gamma, p.norm.beta], p.norm.epsilon)
        case let .depthwiseConvLN(p), let .qu8DepthwiseConvLN(p):
            ([p.input, p.output, p.weight, p.bias, p.norm.gamma, p.norm.beta, steps(p.weightStorage)], p.norm.epsilon)
        case let .pointwiseGELU(p): ([p.input, p.output, p.sumOfSquares, p.weight, p.bias, steps(p.weightStorage)], 0)
        case let .grn(p), let .qu8GRN(p): ([p.input, p.sumOfSquares, p.output, p.gamma, p.beta], 0)
        case let .pointwise(p): ([p.input, p.output, p.residual, p.weight, p.bias, steps(p.weightStorage)], 0)
        case let .grnPointwise(p): ([p.input, p.output, p.residual, p.weight, p.bias, p.grn.sumOfSquares, p.grn.gamma], 0)
        case let .downsample(p):
            ([p.input, p.output, p.norm.gamma, p.norm.beta, p.weight, p.bias, steps(p.weightStorage)], p.norm.epsilon)
        case let .head(p):
            ([p.input, p.output, p.norm.gamma, p.norm.beta, p.weight, p.bias, steps(p.weightStorage)] + plane(p.weightStorage),
             p.norm.epsilon)
        case let .qu8PointwiseGELU(p): ([p.input, p.output, p.sumOfSquares, p.weight, p.bias, p.weightScale], 0)
        case let .qu8Pointwise(p): ([p.input, p.output, p.residual, p.weight, p.bias, p.weightScale], 0)
        case let .qu8GRNPointwise(p):
            ([p.input, p.output, p.residual, p.weight, p.bias, p.weightScale, p.grn.sumOfSquares, p.grn.gamma], 0)
        case let .qu8Downsample(p):
            ([p.input, p.output, p.norm.gamma, p.norm.beta, p.weight, p.bias, p.weightScale, p.outputSteps], p.norm.epsilon)
        }
    }

    /// An op's tagged parameters in file order.
    package static func parameters(_ op: FusedOp) -> [(tag: ModelFileFormat.OpParameter, value: TensorQuantization)] {
        switch op {
        case let .qu8PointwiseGELU(p): [(.geluInput, p.geluInput)]
        case let .qu8Downsample(p): [(.normQuantization, p.normQuantization)]
        case .stem, .depthwiseConvLN, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .downsample, .head,
             .qu8DepthwiseConvLN, .qu8GRN, .qu8Pointwise, .qu8GRNPointwise: []
        }
    }

    /// Decodes one op record; tensor ids must be below `tensorCount`.
    static func op(_ c: inout ByteCursor, tensorCount: Int) throws -> FusedOp {
        let at = c.offset
        let code = try c.u8("op kind"), count = Int(try c.u8("slot count"))
        var slots: [TensorID?] = []
        for _ in 0..<count {
            let v = try c.u32("tensor id")
            guard v == ModelFileFormat.noTensor || Int(v) < tensorCount else {
                throw ModelFileError.corrupt(reason: "op refers to tensor \(v) of \(tensorCount)", offset: at)
            }
            slots.append(v == ModelFileFormat.noTensor ? nil : TensorID(Int(v)))
        }
        let epsilonAt = c.offset
        let epsilon = Float(bitPattern: try c.u32("epsilon"))
        guard epsilon.isFinite, epsilon >= 0 else {
            throw ModelFileError.corrupt(reason: "op kind \(code): epsilon \(epsilon) is not finite and non-negative", offset: epsilonAt)
        }
        var parameters: [ModelFileFormat.OpParameter: TensorQuantization] = [:]
        for _ in 0..<Int(try c.u8("parameter count")) {
            let tagAt = c.offset
            let tagCode = try c.u8("parameter tag"), bytes = Int(try c.u8("parameter byte count"))
            guard let tag = ModelFileFormat.OpParameter(rawValue: tagCode) else {
                throw ModelFileError.corrupt(reason: "op kind \(code): unknown parameter tag \(tagCode)", offset: tagAt)
            }
            guard bytes == tag.byteCount else {
                throw ModelFileError.corrupt(reason: "op kind \(code): parameter \(tag) has \(bytes) bytes, expected \(tag.byteCount)", offset: tagAt + 1)
            }
            guard parameters[tag] == nil else { throw ModelFileError.corrupt(reason: "op kind \(code): parameter \(tag) twice", offset: tagAt) }
            parameters[tag] = try quantization(&c, "op kind \(code) parameter \(tag)")
        }
        return try op(code: code, slots, epsilon: epsilon, parameters: parameters, at: at)
    }

    /// Rebuilds an op from its kind code, slots and parameters; `at` is the op record's file offset.
    private static func op(code: UInt8, _ s: [TensorID?], epsilon: Float,
                           parameters: [ModelFileFormat.OpParameter: TensorQuantization], at: Int) throws -> FusedOp {
        guard let count = slotCounts[code] else { throw ModelFileError.corrupt(reason: "unknown op kind \(code)", offset: at) }
        guard s.count == count else {
            throw ModelFileError.corrupt(reason: "op kind \(code) has \(s.count) slots, expected \(count)", offset: at)
        }
        func need(_ i: Int) throws -> TensorID {
            guard let t = s[i] else { throw ModelFileError.corrupt(reason: "op kind \(code): slot \(i) is empty", offset: at) }
            return t
        }
        let required = requiredParameter[code]
        if let extra = parameters.keys.first(where: { $0 != required }) {
            throw ModelFileError.corrupt(reason: "op kind \(code) takes no parameter \(extra)", offset: at)
        }
        func parameter() throws -> TensorQuantization {
            guard let tag = required, let value = parameters[tag] else {
                throw ModelFileError.corrupt(reason: "op kind \(code): its parameter is missing", offset: at)
            }
            return value
        }
        /// Slot `i`: a weight-only int8 weight's steps, or empty for float32 weights.
        func storage(_ i: Int) throws -> WeightStorage {
            guard let steps = s[i] else {
                if code == 8, s[7] != nil || s[8] != nil { throw ModelFileError.corrupt(reason: "head: second weight plane without a first", offset: at) }
                return .float32
            }
            guard code == 8 else { return .int8(WeightOnlyInt8(weightScale: steps)) }
            guard (s[7] == nil) == (s[8] == nil) else {
                throw ModelFileError.corrupt(reason: "head: second weight plane without its steps or steps without it", offset: at)
            }
            return .int8(WeightOnlyInt8(weightScale: steps, residualWeight: s[7], residualScale: s[8]))
        }
        func norm(_ gamma: Int) -> LayerNormAffine { LayerNormAffine(gamma: s[gamma], beta: s[gamma + 1], epsilon: epsilon) }
        func depthwise() throws -> DepthwiseConvLNParameters {
            DepthwiseConvLNParameters(input: try need(0), output: try need(1), weight: try need(2), bias: try need(3), norm: norm(4),
                                      weightStorage: try storage(6))
        }
        func grn() throws -> GRNParameters {
            GRNParameters(input: try need(0), sumOfSquares: try need(1), output: try need(2), gamma: try need(3), beta: try need(4))
        }
        switch code {
        case 1: return .stem(StemParameters(input: try need(0), output: try need(1), weight: try need(2), bias: try need(3), norm: norm(4)))
        case 2: return .depthwiseConvLN(try depthwise())
        case 3: return .pointwiseGELU(PointwiseGELUParameters(input: try need(0), output: try need(1), sumOfSquares: try need(2),
                                                              weight: try need(3), bias: try need(4), weightStorage: try storage(5)))
        case 4: return .grn(try grn())
        case 5: return .pointwise(PointwiseParameters(input: try need(0), output: try need(1), residual: s[2], weight: try need(3),
                                                      bias: try need(4), weightStorage: try storage(5)))
        case 6: return .grnPointwise(GRNPointwiseParameters(input: try need(0), output: try need(1), residual: s[2], weight: try need(3),
                                                            bias: try need(4), grn: GRNInputScale(sumOfSquares: try need(5), gamma: try need(6))))
        case 7: return .downsample(DownsampleParameters(input: try need(0), output: try need(1), norm: norm(2), weight: try need(4),
                                                        bias: try need(5), weightStorage: try storage(6)))
        case 8: return .head(HeadParameters(input: try need(0), output: try need(1), norm: norm(2), weight: try need(4), bias: try need(5),
                                            weightStorage: try storage(6)))
        case 9: return .qu8DepthwiseConvLN(try depthwise())
        case 10: return .qu8PointwiseGELU(QU8PointwiseGELUParameters(input: try need(0), output: try need(1), sumOfSquares: try need(2),
                                                                     weight: try need(3), bias: try need(4), weightScale: try need(5),
                                                                     geluInput: try parameter()))
        case 11: return .qu8GRN(try grn())
        case 12: return .qu8Pointwise(QU8PointwiseParameters(input: try need(0), output: try need(1), residual: s[2], weight: try need(3),
                                                             bias: try need(4), weightScale: try need(5)))
        case 13: return .qu8GRNPointwise(QU8GRNPointwiseParameters(input: try need(0), output: try need(1), residual: s[2],
                                                                   weight: try need(3), bias: try need(4), weightScale: try need(5),
                                                                   grn: GRNInputScale(sumOfSquares: try need(6), gamma: try need(7))))
        default: return .qu8Downsample(QU8DownsampleParameters(input: try need(0), output: try need(1), norm: norm(2), weight: try need(4),
                                                               bias: try need(5), weightScale: try need(6), normQuantization: try parameter(),
                                                               outputSteps: s[7]))
        }
    }
}
