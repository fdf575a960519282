import Foundation

/// Writes compiled graphs as `.cnx` files (layout in ``ModelFileFormat``), with every constant
/// packed into the layout its Swift kernel reads, so loading maps the weights and uses them in place.
public enum ModelFileWriter {
    /// The file's bytes for `graph`.
    /// - Throws: ``GraphError`` if the graph does not verify or a constant has no values.
    public static func encode(_ graph: Graph) throws -> Data {
        try graph.verify()
        let layouts = SwiftBackend.constantLayouts(graph)
        let align = ModelFileFormat.alignment

        // Weights first (the tables record their offsets), each constant padded to 64 bytes.
        var weights = Data()
        var placement: [TensorID: (offset: Int, bytes: Int, layout: ConstantLayout)] = [:]
        for t in graph.usedConstants {
            guard let values = graph.constants[t], let layout = layouts[t] else {
                throw GraphError.missingConstant(op: -1, kind: "writer", tensor: graph[t].name)
            }
            let packed = SwiftBackend.pack(values, shape: graph[t].shape, layout: layout)
            placement[t] = (weights.count, packed.count * 4, layout)
            packed.withUnsafeBytes { weights.append(contentsOf: $0) }
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
            tables.u8(tensor.dataType == .float32 ? 0 : 1)
            tables.u8(tensor.shape.count)
            tables.u8(Int(p?.layout.rawValue ?? 0))
            let name = Array(tensor.name.utf8.prefix(Int(UInt16.max)))
            tables.u16(name.count)
            tables.bytes.append(contentsOf: name)
            for d in tensor.shape { tables.u64(d) }
            tables.u64(p?.offset ?? 0); tables.u64(p?.bytes ?? 0)
        }
        for op in graph.ops {
            let (ids, epsilon) = ModelFileTables.slots(op)
            tables.u8(Int(ModelFileFormat.code(op))); tables.u8(ids.count)
            for id in ids { tables.u32(id.map { UInt32($0.index) } ?? ModelFileFormat.noTensor) }
            tables.u32(epsilon.bitPattern)
        }

        let tablesOffset = ModelFileFormat.headerBytes
        let weightsOffset = (tablesOffset + tables.bytes.count + align - 1) / align * align
        let fileBytes = weightsOffset + weights.count
        var header = ByteWriter()
        header.bytes.append(contentsOf: ModelFileFormat.magic)
        header.u32(ModelFileFormat.version); header.u32(0)
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
