/// The tensor and op tables of a `.cnx` file: decoding, every field bounds-checked (op records in
/// `ModelFileTables+Ops.swift`).
package enum ModelFileTables {
    static func decode(_ c: inout ByteCursor, weights: Int, weightsBytes: Int, file: MappedFile, hasLabels: Bool) throws -> Graph {
        let start = c.offset
        let height = Int(try c.u32("input height")), width = Int(try c.u32("input width"))
        let inputID = Int(try c.u32("input id")), outputID = Int(try c.u32("output id"))
        let tensorCount = Int(try c.u32("tensor count")), opCount = Int(try c.u32("op count"))
        guard height > 0, width > 0, height < 1 << 20, width < 1 << 20, inputID == 0, tensorCount > outputID,
              tensorCount <= (c.end - c.offset) / 8, opCount <= (c.end - c.offset) / 7 else {
            throw ModelFileError.corrupt(reason: "implausible table header", offset: start)
        }
        var g = Graph(inputHeight: height, inputWidth: width)
        for i in 0..<tensorCount {
            try tensor(i, &c, into: &g, weights: weights, weightsBytes: weightsBytes, file: file)
        }
        for _ in 0..<opCount { g.ops.append(try op(&c, tensorCount: tensorCount)) }
        g.output = TensorID(outputID)
        if hasLabels { g.labels = try labels(&c, classes: g.classCount) }
        guard c.offset == c.end else { throw ModelFileError.corrupt(reason: "\(c.end - c.offset) unread table bytes", offset: c.offset) }
        return g
    }

    /// The labels section: `nil` for a count of 0, else exactly `classes` valid UTF-8 names.
    private static func labels(_ c: inout ByteCursor, classes: Int) throws -> [String]? {
        let at = c.offset
        let count = Int(try c.u32("label count"))
        guard count != 0 else { return nil }
        guard count == classes else {
            throw ModelFileError.corrupt(reason: "\(count) class names for \(classes) classes", offset: at)
        }
        var names: [String] = []
        names.reserveCapacity(count)
        for i in 0..<count {
            let nameAt = c.offset
            let length = Int(try c.u16("label length"))
            guard length <= Graph.maxLabelBytes else {
                throw ModelFileError.corrupt(reason: "class name \(i): \(length) bytes, at most \(Graph.maxLabelBytes)", offset: nameAt)
            }
            let bytes = try c.rawBytes(length, "class name")
            guard let name = String(validating: bytes, as: UTF8.self), !name.contains(where: \.isNewline) else {
                throw ModelFileError.corrupt(reason: "class name \(i) is not one line of UTF-8", offset: nameAt + 2)
            }
            names.append(name)
        }
        return names
    }

    /// Which data types a tensor of each kind may have.
    private static func allowed(_ type: TensorDataType, for kind: TensorKind) -> Bool {
        switch kind {
        case .input: type == .float32
        case .activation: type == .float32 || type == .float64 || type == .uint8
        case .constant: type == .float32 || type == .int8 || type == .int32
        }
    }

    /// Decodes tensor record `i` and adds it to `g` (tensor 0, the input, is already there).
    private static func tensor(_ i: Int, _ c: inout ByteCursor, into g: inout Graph, weights: Int, weightsBytes: Int,
                               file: MappedFile) throws {
        let at = c.offset
        let kindCode = try c.u8("tensor kind"), typeCode = try c.u8("data type"), rank = Int(try c.u8("rank"))
        let layoutCode = try c.u8("layout")
        let name = try c.string(Int(try c.u16("name length")), "tensor name")
        var shape: [Int] = []
        for _ in 0..<rank { shape.append(try c.int("dimension", limit: 1 << 31)) }
        let dataOffset = try c.int("data offset", limit: weightsBytes), dataBytes = try c.int("data bytes", limit: weightsBytes)
        guard kindCode <= 2, (1...8).contains(rank), shape.allSatisfy({ $0 > 0 }), let layout = ConstantLayout(rawValue: layoutCode) else {
            throw ModelFileError.corrupt(reason: "tensor \(i) (\(name)): bad kind, rank, shape or layout", offset: at)
        }
        let kind: TensorKind = [.input, .activation, .constant][Int(kindCode)]
        guard let type = ModelFileFormat.dataType(typeCode), allowed(type, for: kind) else {
            throw ModelFileError.corrupt(reason: "tensor \(i) (\(name)): data type code \(typeCode) is not one a \(kind) tensor has", offset: at + 1)
        }
        var quantization: TensorQuantization?
        if type == .uint8 { quantization = try self.quantization(&c, "tensor \(i) (\(name))") }
        if i == 0 {
            guard kind == .input, shape == [1, 3, g.inputHeight, g.inputWidth] else {
                throw ModelFileError.corrupt(reason: "tensor 0 must be the [1, 3, \(g.inputHeight), \(g.inputWidth)] input", offset: at)
            }
            return
        }
        let id = g.addTensor(name, shape, kind, type)
        if let quantization { g.quantize(id, quantization) }
        // A constant no op reads (replaced by a fold) is listed without data.
        guard kind == .constant, dataBytes > 0 else { return }
        guard layout.dataType == type else {
            throw ModelFileError.corrupt(reason: "constant \(name): \(type) stored in the \(layout) layout, which holds \(layout.dataType)", offset: at + 3)
        }
        guard let bytes = layout.storedBytes(for: shape), dataBytes == bytes,
              dataOffset % ModelFileFormat.alignment == 0, dataOffset <= weightsBytes - dataBytes else {
            throw ModelFileError.corrupt(reason: "constant \(name): \(dataBytes) bytes at \(dataOffset) do not fit its shape \(shape) as \(layout) or the weights section", offset: at)
        }
        let base = file.bytes.baseAddress! + weights + dataOffset
        if type == .float32, let element = firstNonFinite(base.assumingMemoryBound(to: UInt32.self), count: bytes / 4) {
            throw ModelFileError.nonFiniteConstant(tensor: name, element: element,
                                                   value: Float(bitPattern: base.load(fromByteOffset: 4 * element, as: UInt32.self)),
                                                   offset: weights + dataOffset + 4 * element)
        }
        g.packedConstants[id] = PackedConstant(base: base, floatCount: bytes / 4, layout: layout, owner: file)
    }

    /// The index of the first NaN or ±Inf among `count` float32 bit patterns, else nil. One pass
    /// of a max over the magnitude bits (vectorises), a second only when something is found.
    static func firstNonFinite(_ values: UnsafePointer<UInt32>, count: Int) -> Int? {
        let exponent: UInt32 = 0x7F80_0000
        var largest: UInt32 = 0
        for i in 0..<count { largest = max(largest, values[i] & 0x7FFF_FFFF) }
        guard largest >= exponent else { return nil }
        return (0..<count).first { values[$0] & 0x7FFF_FFFF >= exponent }
    }

    /// Reads a scale f32 and a zero point i32, both validated.
    static func quantization(_ c: inout ByteCursor, _ what: String) throws -> TensorQuantization {
        let at = c.offset
        let scale = Float(bitPattern: try c.u32("quantization scale")), zeroPoint = Int32(bitPattern: try c.u32("zero point"))
        guard scale.isFinite, scale > 0 else {
            throw ModelFileError.corrupt(reason: "\(what): quantization scale \(scale) is not finite and positive", offset: at)
        }
        guard (0...255).contains(zeroPoint) else {
            throw ModelFileError.corrupt(reason: "\(what): zero point \(zeroPoint) outside 0...255", offset: at + 4)
        }
        return TensorQuantization(scale: scale, zeroPoint: zeroPoint)
    }
}
