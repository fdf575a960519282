/// Op records of a `.cnx` file: the slot order and parameters of each op kind, and decoding.
extension ModelFileTables {
    /// An op's tensors in file order (`nil` for an absent optional one) and its LayerNorm epsilon.
    package static func slots(_ op: FusedOp) -> (ids: [TensorID?], epsilon: Float) {
        switch op {
        case let .stem(p): ([p.input, p.output, p.weight, p.bias, p.norm.gamma, p.norm.beta], p.norm.epsilon)
        case let .depthwiseConvLN(p):
            ([p.input, p.output, p.weight, p.bias, p.norm.gamma, p.norm.beta, p.weightOnly?.weightScale], p.norm.epsilon)
        case let .pointwiseGELU(p): ([p.input, p.output, p.sumOfSquares, p.weight, p.bias, p.int8?.weightScale, p.weightOnly?.weightScale], 0)
        case let .grn(p): ([p.input, p.sumOfSquares, p.output, p.gamma, p.beta], 0)
        case let .pointwise(p):
            ([p.input, p.output, p.residual, p.weight, p.bias, p.inputScale?.sumOfSquares, p.inputScale?.gamma, p.int8?.weightScale,
              p.weightOnly?.weightScale], 0)
        case let .downsample(p):
            ([p.input, p.output, p.norm.gamma, p.norm.beta, p.weight, p.bias, p.int8?.weightScale, p.weightOnly?.weightScale], p.norm.epsilon)
        case let .head(p):
            ([p.input, p.output, p.norm.gamma, p.norm.beta, p.weight, p.bias, p.weightOnly?.weightScale,
              p.weightOnly?.residualWeight, p.weightOnly?.residualScale], p.norm.epsilon)
        }
    }

    /// An op's tagged parameters in file order.
    package static func parameters(_ op: FusedOp) -> [(tag: ModelFileFormat.OpParameter, value: TensorQuantization)] {
        switch op {
        case let .pointwiseGELU(p): p.geluInput.map { [(.geluInput, $0)] } ?? []
        case let .downsample(p): p.normQuantization.map { [(.normQuantization, $0)] } ?? []
        case .stem, .depthwiseConvLN, .grn, .pointwise, .head: []
        }
    }

    /// Slots per op kind code. Files written before weight-only int8 lack the trailing slots of
    /// weight-only steps (and the head's second plane): ``legacySlotCounts``, read as empty.
    private static let slotCounts: [UInt8: Int] = [1: 6, 2: 7, 3: 7, 4: 5, 5: 9, 6: 8, 7: 9]
    private static let legacySlotCounts: [UInt8: Int] = [2: 6, 3: 6, 5: 8, 6: 7, 7: 6]

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
        let epsilon = Float(bitPattern: try c.u32("epsilon"))
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
    private static func op(code: UInt8, _ slots: [TensorID?], epsilon: Float,
                           parameters: [ModelFileFormat.OpParameter: TensorQuantization], at: Int) throws -> FusedOp {
        func need(_ i: Int) throws -> TensorID {
            guard let t = s[i] else { throw ModelFileError.corrupt(reason: "op kind \(code): slot \(i) is empty", offset: at) }
            return t
        }
        guard let count = slotCounts[code] else { throw ModelFileError.corrupt(reason: "unknown op kind \(code)", offset: at) }
        guard slots.count == count || slots.count == legacySlotCounts[code] else {
            throw ModelFileError.corrupt(reason: "op kind \(code) has \(slots.count) slots, expected \(count)", offset: at)
        }
        let s = slots + [TensorID?](repeating: nil, count: count - slots.count)
        // The weight-only steps: the first slot past the legacy ones (then the head's second plane).
        guard code != 7 || (s[7] == nil) == (s[8] == nil) else {
            throw ModelFileError.corrupt(reason: "head: second weight plane without its steps or steps without it", offset: at)
        }
        let weightOnly: WeightOnlyInt8? = legacySlotCounts[code].flatMap { s[$0] }.map {
            WeightOnlyInt8(weightScale: $0, residualWeight: code == 7 ? s[7] : nil, residualScale: code == 7 ? s[8] : nil)
        }
        if code == 7, weightOnly == nil, s[7] != nil { throw ModelFileError.corrupt(reason: "head: second weight plane without a first", offset: at) }
        let allowed: Set<ModelFileFormat.OpParameter> = code == 3 ? [.geluInput] : code == 6 ? [.normQuantization] : []
        if let extra = parameters.keys.first(where: { !allowed.contains($0) }) {
            throw ModelFileError.corrupt(reason: "op kind \(code) takes no parameter \(extra)", offset: at)
        }
        switch code {
        case 1: return .stem(StemParameters(input: try need(0), output: try need(1), weight: try need(2), bias: try need(3),
                                            norm: LayerNormAffine(gamma: s[4], beta: s[5], epsilon: epsilon)))
        case 2: return .depthwiseConvLN(DepthwiseConvLNParameters(input: try need(0), output: try need(1), weight: try need(2), bias: try need(3),
                                                                  norm: LayerNormAffine(gamma: s[4], beta: s[5], epsilon: epsilon),
                                                                  weightOnly: weightOnly))
        case 3: return .pointwiseGELU(PointwiseGELUParameters(input: try need(0), output: try need(1), sumOfSquares: try need(2),
                                                              weight: try need(3), bias: try need(4), int8: s[5].map { Int8Weights(weightScale: $0) },
                                                              geluInput: parameters[.geluInput], weightOnly: weightOnly))
        case 4: return .grn(GRNParameters(input: try need(0), sumOfSquares: try need(1), output: try need(2), gamma: try need(3), beta: try need(4)))
        case 5:
            guard (s[5] == nil) == (s[6] == nil) else { throw ModelFileError.corrupt(reason: "pointwise: GRN sums without γ or γ without sums", offset: at) }
            let scale = s[5].map { GRNInputScale(sumOfSquares: $0, gamma: s[6]!) }
            return .pointwise(PointwiseParameters(input: try need(0), output: try need(1), residual: s[2], weight: try need(3), bias: try need(4),
                                                  inputScale: scale, int8: s[7].map { Int8Weights(weightScale: $0) }, weightOnly: weightOnly))
        case 6: return .downsample(DownsampleParameters(input: try need(0), output: try need(1),
                                                        norm: LayerNormAffine(gamma: s[2], beta: s[3], epsilon: epsilon),
                                                        weight: try need(4), bias: try need(5), int8: s[6].map { Int8Weights(weightScale: $0) },
                                                        normQuantization: parameters[.normQuantization], weightOnly: weightOnly))
        default: return .head(HeadParameters(input: try need(0), output: try need(1),
                                             norm: LayerNormAffine(gamma: s[2], beta: s[3], epsilon: epsilon),
                                             weight: try need(4), bias: try need(5), weightOnly: weightOnly))
        }
    }
}
