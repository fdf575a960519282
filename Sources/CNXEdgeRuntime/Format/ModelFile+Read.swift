/// Reading `.cnx` compiled models.
public enum ModelFile {
    /// Maps `path` and decodes its graph; constants point into the map (no copy, no packing).
    /// - Throws: ``ModelFileError`` for an unreadable, truncated, corrupt, foreign or newer file.
    public static func load(path: String) throws -> Graph {
        try decode(MappedFile(path: path))
    }

    /// Whether ``decode(_:checksum:)`` checks the stored checksum.
    public enum Checksum: Sendable {
        /// Refuse a file whose contents do not give its stored checksum (what every load does).
        case verify
        /// Decode the tables whatever the checksum says: for fuzzing, so that mutated bytes reach
        /// the table decoder. Every field is still bounds-checked and every constant checked finite.
        case skip
    }

    /// Decodes a mapped `.cnx` file: header, then checksum, then every table entry bounds-checked,
    /// then every float constant checked finite.
    public static func decode(_ file: MappedFile, checksum: Checksum = .verify) throws -> Graph {
        let b = file.bytes, size = b.count
        let f = ModelFileFormat.self
        guard size >= f.headerBytes else {
            if size >= 8, !zip(b.prefix(8), f.magic).allSatisfy(==) { throw ModelFileError.wrongMagic }
            throw ModelFileError.truncated(expectedBytes: f.headerBytes, foundBytes: size)
        }
        guard Array(b.prefix(8)) == f.magic else { throw ModelFileError.wrongMagic }
        var header = ByteCursor(b, from: 8, to: f.headerBytes)
        let version = try header.u32("version")
        guard f.readableVersions.contains(version) else { throw ModelFileError.unsupportedVersion(found: version, supported: f.version) }
        _ = try header.u32("reserved")
        let tablesOffset = try header.u64("tables offset"), tablesBytes = try header.u64("tables byte count")
        let weightsOffset = try header.u64("weights offset"), weightsBytes = try header.u64("weights byte count")
        let stored = try header.u64("checksum")
        let declared = try header.u64("file byte count")
        guard declared <= UInt64(size) else { throw ModelFileError.truncated(expectedBytes: Int(clamping: declared), foundBytes: size) }
        guard declared == UInt64(size) else { throw ModelFileError.corrupt(reason: "\(UInt64(size) - declared) trailing bytes", offset: Int(declared)) }
        let computed = checksum == .skip ? stored : f.checksum(b)
        guard computed == stored else { throw ModelFileError.checksumMismatch(stored: stored, computed: computed) }
        guard tablesOffset == UInt64(f.headerBytes), tablesBytes <= UInt64(size) - tablesOffset else {
            throw ModelFileError.corrupt(reason: "tables at \(tablesOffset)+\(tablesBytes) outside the file", offset: 16)
        }
        guard weightsOffset % UInt64(f.alignment) == 0, weightsOffset >= tablesOffset + tablesBytes, weightsOffset <= UInt64(size),
              weightsBytes <= UInt64(size) - weightsOffset else {
            throw ModelFileError.corrupt(reason: "weights at \(weightsOffset)+\(weightsBytes) misaligned or outside the file", offset: 32)
        }
        var cursor = ByteCursor(b, from: Int(tablesOffset), to: Int(tablesOffset + tablesBytes))
        var graph = try ModelFileTables.decode(&cursor, weights: Int(weightsOffset), weightsBytes: Int(weightsBytes), file: file,
                                                   hasLabels: version >= 5)
        do { try graph.verify() } catch let e as GraphError { throw ModelFileError.invalidGraph(e) }
        let reads = ConstantPacking.reads(graph)
        if let (t, first, second) = reads.conflict {
            throw ModelFileError.corrupt(reason: "constant \(graph[t].name) is read as \(first) by one op and as \(second) by another", offset: Int(tablesOffset))
        }
        let layouts = reads.layouts
        for (t, c) in graph.packedConstants where layouts[t] != c.layout {
            throw ModelFileError.corrupt(reason: "constant \(graph[t].name) stored as \(c.layout), its op needs \(layouts[t].map { "\($0)" } ?? "nothing")", offset: Int(tablesOffset))
        }
        graph.packedConstants = graph.packedConstants.filter { layouts[$0.key] != nil }
        return graph
    }
}

extension CompiledModel {
    /// Loads a `.cnx` file and prepares it on `backend` (the Swift backend by default).
    /// - Throws: ``ModelFileError``, or ``ExecutionError/unsupportedOp(op:kind:backend:)``.
    public convenience init(contentsOf path: String, backend: any Backend = SwiftBackend()) throws {
        try self.init(graph: ModelFile.load(path: path), backend: backend)
    }
}
