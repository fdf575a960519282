/// The tensor and op tables of a `.cnx` file: the slot order of each op kind, and decoding.
package enum ModelFileTables {
    /// An op's tensors in file order (`nil` for an absent optional one) and its LayerNorm epsilon.
    package static func slots(_ op: FusedOp) -> (ids: [TensorID?], epsilon: Float) {
        switch op {
        case let .stem(p): ([p.input, p.output, p.weight, p.bias, p.norm.gamma, p.norm.beta], p.norm.epsilon)
        case let .depthwiseConvLN(p): ([p.input, p.output, p.weight, p.bias, p.norm.gamma, p.norm.beta], p.norm.epsilon)
        case let .pointwiseGELU(p): ([p.input, p.output, p.sumOfSquares, p.weight, p.bias], 0)
        case let .grn(p): ([p.input, p.sumOfSquares, p.output, p.gamma, p.beta], 0)
        case let .pointwise(p): ([p.input, p.output, p.residual, p.weight, p.bias, p.inputScale?.sumOfSquares, p.inputScale?.gamma], 0)
        case let .downsample(p): ([p.input, p.output, p.norm.gamma, p.norm.beta, p.weight, p.bias], p.norm.epsilon)
        case let .head(p): ([p.input, p.output, p.norm.gamma, p.norm.beta, p.weight, p.bias], p.norm.epsilon)
        }
    }

    /// Rebuilds an op from its kind code and slots; `at` is the op record's file offset for errors.
    static func op(code: UInt8, _ s: [TensorID?], epsilon: Float, at: Int) throws -> FusedOp {
        func need(_ i: Int) throws -> TensorID {
            guard let t = s[i] else { throw ModelFileError.corrupt(reason: "op kind \(code): slot \(i) is empty", offset: at) }
            return t
        }
        let expected: [UInt8: Int] = [1: 6, 2: 6, 3: 5, 4: 5, 5: 7, 6: 6, 7: 6]
        guard let count = expected[code] else { throw ModelFileError.corrupt(reason: "unknown op kind \(code)", offset: at) }
        guard s.count == count else { throw ModelFileError.corrupt(reason: "op kind \(code) has \(s.count) slots, expected \(count)", offset: at) }
        switch code {
        case 1: return .stem(StemParameters(input: try need(0), output: try need(1), weight: try need(2), bias: try need(3),
                                            norm: LayerNormAffine(gamma: s[4], beta: s[5], epsilon: epsilon)))
        case 2: return .depthwiseConvLN(DepthwiseConvLNParameters(input: try need(0), output: try need(1), weight: try need(2), bias: try need(3),
                                                                  norm: LayerNormAffine(gamma: s[4], beta: s[5], epsilon: epsilon)))
        case 3: return .pointwiseGELU(PointwiseGELUParameters(input: try need(0), output: try need(1), sumOfSquares: try need(2),
                                                              weight: try need(3), bias: try need(4)))
        case 4: return .grn(GRNParameters(input: try need(0), sumOfSquares: try need(1), output: try need(2), gamma: try need(3), beta: try need(4)))
        case 5:
            guard (s[5] == nil) == (s[6] == nil) else { throw ModelFileError.corrupt(reason: "pointwise: GRN sums without γ or γ without sums", offset: at) }
            let scale = s[5].map { GRNInputScale(sumOfSquares: $0, gamma: s[6]!) }
            return .pointwise(PointwiseParameters(input: try need(0), output: try need(1), residual: s[2], weight: try need(3), bias: try need(4),
                                                  inputScale: scale))
        case 6: return .downsample(DownsampleParameters(input: try need(0), output: try need(1),
                                                        norm: LayerNormAffine(gamma: s[2], beta: s[3], epsilon: epsilon),
                                                        weight: try need(4), bias: try need(5)))
        default: return .head(HeadParameters(input: try need(0), output: try need(1),
                                             norm: LayerNormAffine(gamma: s[2], beta: s[3], epsilon: epsilon),
                                             weight: try need(4), bias: try need(5)))
        }
    }

    static func decode(_ c: inout ByteCursor, weights: Int, weightsBytes: Int, file: MappedFile) throws -> Graph {
        let start = c.offset
        let height = Int(try c.u32("input height")), width = Int(try c.u32("input width"))
        let inputID = Int(try c.u32("input id")), outputID = Int(try c.u32("output id"))
        let tensorCount = Int(try c.u32("tensor count")), opCount = Int(try c.u32("op count"))
        guard height > 0, width > 0, height < 1 << 20, width < 1 << 20, inputID == 0, tensorCount > outputID,
              tensorCount <= (c.end - c.offset) / 8, opCount <= (c.end - c.offset) / 6 else {
            throw ModelFileError.corrupt(reason: "implausible table header", offset: start)
        }
        var g = Graph(inputHeight: height, inputWidth: width)
        for i in 0..<tensorCount {
            let at = c.offset
            let kindCode = try c.u8("tensor kind"), typeCode = try c.u8("data type"), rank = Int(try c.u8("rank"))
            let layoutCode = try c.u8("layout")
            let name = try c.string(Int(try c.u16("name length")), "tensor name")
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(try c.int("dimension", limit: 1 << 31)) }
            let dataOffset = try c.int("data offset", limit: weightsBytes), dataBytes = try c.int("data bytes", limit: weightsBytes)
            guard kindCode <= 2, typeCode <= 1, (1...8).contains(rank), shape.allSatisfy({ $0 > 0 }),
                  let layout = ConstantLayout(rawValue: layoutCode) else {
                throw ModelFileError.corrupt(reason: "tensor \(i) (\(name)): bad kind, type, rank, shape or layout", offset: at)
            }
            let kind: TensorKind = [.input, .activation, .constant][Int(kindCode)]
            if i == 0 {
                guard kind == .input, shape == [1, 3, height, width] else {
                    throw ModelFileError.corrupt(reason: "tensor 0 must be the [1, 3, \(height), \(width)] input", offset: at)
                }
                continue
            }
            let id = g.addTensor(name, shape, kind, typeCode == 0 ? .float32 : .float64)
            // A constant no op reads (replaced by a fold) is listed without data.
            guard kind == .constant, dataBytes > 0 else { continue }
            guard let floats = layout.storedFloats(for: shape), dataBytes == floats * 4,
                  dataOffset % ModelFileFormat.alignment == 0, dataOffset <= weightsBytes - dataBytes else {
                throw ModelFileError.corrupt(reason: "constant \(name): \(dataBytes) bytes at \(dataOffset) do not fit its shape \(shape) as \(layout) or the weights section", offset: at)
            }
            g.packedConstants[id] = PackedConstant(base: file.bytes.baseAddress! + weights + dataOffset,
                                                   floatCount: floats, layout: layout, owner: file)
        }
        for _ in 0..<opCount {
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
            g.ops.append(try op(code: code, slots, epsilon: epsilon, at: at))
        }
        guard c.offset == c.end else { throw ModelFileError.corrupt(reason: "\(c.end - c.offset) unread table bytes", offset: c.offset) }
        g.output = TensorID(outputID)
        return g
    }
}
