import Foundation

/// Writes compiled graphs as `.cnx` files (layout in ``ModelFileFormat``), with every constant
/// packed into the layout its Swift kernel reads, so loading maps the weights and uses them in place.
/// int8 graphs are written with their integer constants (``Graph/integerConstants``) packed for
/// the int8 kernels and every uint8 activation's quantization.
public enum ModelFileWriter {
    /// The file's bytes for `graph`.
    /// - Throws: ``GraphError`` if the graph does not verify or a constant has no values.
    public static func encode(_ graph: Graph) throws -> Data {
        try encode(graph, version: ModelFileFormat.version)
    }

    /// The file's bytes for `graph` in format `version` (4 drops the labels; for tests of old files).
    static func encode(_ graph: Graph, version: UInt32) throws -> Data {
        try graph.verify()
        // A one-op graph's external inputs have no producer a file could describe.
        if let t = graph.externalInputs.min() { throw GraphError.invalidExternalInput(tensor: graph[t].name + " (a file stores no external inputs)") }
        let layouts = ConstantPacking.layouts(graph)
        let align = ModelFileFormat.alignment

        // Weights first (the tables record their offsets), each constant padded to 64 bytes.
        var weights = Data()
        var placement: [TensorID: (offset: Int, bytes: Int, layout: ConstantLayout)] = [:]
        for t in graph.usedConstants {
            guard let layout = layouts[t], let packed = packedBytes(graph, t, layout) else {
                throw GraphError.missingConstant(op: -1, kind: "writer", tensor: graph[t].name)
            }
            placement[t] = (weights.count, packed.count, layout)
            weights.append(contentsOf: packed)
            weights.append(Data(count: (align - weights.count % align) % align))
        }

        var tables = ByteWriter()
        tables.u32(graph.inputHeight); tables.u32(graph.inputWidth)
        tables.u32(graph.input.index); tables.u32(graph.output.index)
        tables.u32(graph.tensors.count); tables.u32(graph.ops.count)
        for tensor in graph.tensors {
            let p = placement[tensor.id]
            let kind: UInt8 = switch tensor.kind { case .input: 0; case .activation: 1; case .constant: 2 }
            tables.u8(Int(kind))
            tables.u8(Int(ModelFileFormat.code(tensor.dataType)))
            tables.u8(tensor.shape.count)
            tables.u8(Int(p?.layout.rawValue ?? 0))
            let name = Array(tensor.name.utf8.prefix(Int(UInt16.max)))
            tables.u16(name.count)
            tables.bytes.append(contentsOf: name)
            for d in tensor.shape { tables.u64(d) }
            tables.u64(p?.offset ?? 0); tables.u64(p?.bytes ?? 0)
            if tensor.dataType == .uint8 {
                // verify() guarantees uint8 activations carry a valid quantization.
                let q = tensor.quantization!
                tables.u32(q.scale.bitPattern); tables.u32(UInt32(bitPattern: q.zeroPoint))
            }
        }
        for op in graph.ops {
            let (ids, epsilon) = ModelFileTables.slots(op)
            tables.u8(Int(ModelFileFormat.code(op))); tables.u8(ids.count)
            for id in ids { tables.u32(id.map { UInt32($0.index) } ?? ModelFileFormat.noTensor) }
            tables.u32(epsilon.bitPattern)
            let parameters = ModelFileTables.parameters(op)
            tables.u8(parameters.count)
            for (tag, q) in parameters {
                tables.u8(Int(tag.rawValue)); tables.u8(tag.byteCount)
                tables.u32(q.scale.bitPattern); tables.u32(UInt32(bitPattern: q.zeroPoint))
            }
        }

        if version >= 5 {
            let labels = graph.labels ?? []
            tables.u32(labels.count)
            for name in labels {
                let bytes = Array(name.utf8)  // verify() keeps each within Graph.maxLabelBytes
                tables.u16(bytes.count)
                tables.bytes.append(contentsOf: bytes)
            }
        }

        let tablesOffset = ModelFileFormat.headerBytes
        let weightsOffset = (tablesOffset + tables.bytes.count + align - 1) / align * align
        let fileBytes = weightsOffset + weights.count
        var header = ByteWriter()
        header.bytes.append(contentsOf: ModelFileFormat.magic)
        header.u32(version); header.u32(0)
        header.u64(tablesOffset); header.u64(tables.bytes.count)
        header.u64(weightsOffset); header.u64(weights.count)
        header.u64(0)  // checksum, filled below
        header.u64(fileBytes)

        var file = Data(header.bytes)
        file.append(contentsOf: tables.bytes)
        file.append(Data(count: weightsOffset - file.count))
        file.append(weights)
        let checksum = file.withUnsafeBytes { ModelFileFormat.checksum($0) }
        withUnsafeBytes(of: checksum.littleEndian) { file.replaceSubrange(ModelFileFormat.checksumOffset..<(ModelFileFormat.checksumOffset + 8), with: $0) }
        return file
    }

    /// Constant `t`'s bytes in `layout`: packed from its float or integer values, or copied from
    /// a packed constant already in that layout (a loaded file's); `nil` if it has none of these.
    static func packedBytes(_ graph: Graph, _ t: TensorID, _ layout: ConstantLayout) -> [UInt8]? {
        let shape = graph[t].shape
        switch graph[t].dataType {
        case .int8, .int32:
            if let values = graph.integerConstants[t] { return ConstantPacking.packIntegers(values, shape: shape, layout: layout) }
        case .float32, .float64, .uint8:
            if let values = graph.constants[t] { return ConstantPacking.pack(values, shape: shape, layout: layout).withUnsafeBytes { Array($0) } }
        }
        guard let c = graph.packedConstants[t], c.layout == layout else { return nil }
        return Array(UnsafeRawBufferPointer(start: c.base, count: c.byteCount))
    }

    /// Writes `graph` to `path` atomically.
    public static func write(_ graph: Graph, to path: String) throws {
        try encode(graph).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Little-endian appends.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: Int) { bytes.append(UInt8(truncatingIfNeeded: v)) }
    mutating func u16(_ v: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: Int) { u32(UInt32(truncatingIfNeeded: v)) }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: Int) { withUnsafeBytes(of: UInt64(truncatingIfNeeded: v).littleEndian) { bytes.append(contentsOf: $0) } }
}
