import Foundation

/// The central directory of a zip archive held in memory, read just far enough to slice entries
/// out of it without copying: PyTorch stores tensor data uncompressed, so a stored entry is a
/// subrange of the (memory-mapped) file.
///
/// Every structure is bounds-checked against the data; ZIP64 sizes and offsets are honoured.
/// Encrypted and multi-disk archives are rejected. CRCs are not verified (PyTorch may write 0 when
/// CRC computation is disabled, and checking would touch every mapped page).
struct CheckpointZip {
    /// One file of the archive.
    struct Entry {
        var name: String
        /// 0 = stored, 8 = deflate.
        var method: UInt16
        /// Byte range of the entry's (possibly compressed) data within the archive.
        var dataRange: Range<Int>
        var uncompressedSize: Int
    }

    let data: Data
    /// Entries in central-directory order.
    private(set) var entries: [Entry] = []
    private var index: [String: Int] = [:]
    /// Offset of the central directory, reported by errors about the archive as a whole.
    private(set) var directoryOffset = 0

    private static let eocdSize = 22

    init(_ data: Data) throws {
        self.data = data
        let (count, size, offset) = try Self.locateDirectory(in: data)
        directoryOffset = offset
        guard offset <= data.count, size <= data.count - offset else {
            throw WeightLoadingError.truncated(what: "zip central directory", offset: offset, needed: size, available: max(0, data.count - offset))
        }
        // Each record is at least 46 bytes, so a lying count cannot make us reserve more than the data allows.
        entries.reserveCapacity(min(count, size / 46))
        var cursor = offset
        for _ in 0..<count {
            let entry = try readRecord(at: &cursor, directoryEnd: offset + size)
            if index[entry.name] == nil { index[entry.name] = entries.count }
            entries.append(entry)
        }
    }

    subscript(name: String) -> Entry? { index[name].map { entries[$0] } }

    // MARK: - End of central directory

    /// Finds the (ZIP64) end-of-central-directory record: entry count, directory size and offset.
    private static func locateDirectory(in data: Data) throws -> (count: Int, size: Int, offset: Int) {
        guard data.count >= eocdSize else {
            throw WeightLoadingError.truncated(what: "zip end of central directory record", offset: 0, needed: eocdSize, available: data.count)
        }
        // The record is the last thing in the file, followed by a comment of at most 65535 bytes.
        let lowest = max(0, data.count - eocdSize - 0xFFFF)
        var eocd = data.count - eocdSize
        while eocd >= lowest, try data.u32(at: eocd) != 0x0605_4B50 { eocd -= 1 }
        guard eocd >= lowest else {
            throw WeightLoadingError.malformedHeader(reason: "no zip end-of-central-directory record (file truncated or not a zip)", offset: data.count)
        }
        guard try data.u16(at: eocd + 4) == 0, try data.u16(at: eocd + 6) == 0 else {
            throw WeightLoadingError.malformedHeader(reason: "multi-disk zip archives are not supported", offset: eocd)
        }
        var count = Int(try data.u16(at: eocd + 10))
        var size = Int(try data.u32(at: eocd + 12))
        var offset = Int(try data.u32(at: eocd + 16))
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            let locator = eocd - 20
            guard locator >= 0, try data.u32(at: locator) == 0x0706_4B50 else {
                throw WeightLoadingError.malformedHeader(reason: "ZIP64 end-of-central-directory locator missing", offset: eocd)
            }
            let record = try data.int64(at: locator + 8, "ZIP64 end-of-central-directory offset")
            guard try data.u32(at: record) == 0x0606_4B50 else {
                throw WeightLoadingError.malformedHeader(reason: "bad ZIP64 end-of-central-directory signature", offset: record)
            }
            count = try data.int64(at: record + 32, "ZIP64 entry count")
            size = try data.int64(at: record + 40, "ZIP64 central directory size")
            offset = try data.int64(at: record + 48, "ZIP64 central directory offset")
        }
        return (count, size, offset)
    }

    // MARK: - Central directory records

    private func readRecord(at cursor: inout Int, directoryEnd: Int) throws -> Entry {
        let start = cursor
        guard try data.u32(at: start) == 0x0201_4B50 else {
            throw WeightLoadingError.malformedHeader(reason: "bad zip central directory signature", offset: start)
        }
        let flags = try data.u16(at: start + 8)
        let method = try data.u16(at: start + 10)
        var compressed = Int(try data.u32(at: start + 20))
        var uncompressed = Int(try data.u32(at: start + 24))
        let nameLength = Int(try data.u16(at: start + 28))
        let extraLength = Int(try data.u16(at: start + 30))
        let commentLength = Int(try data.u16(at: start + 32))
        var localOffset = Int(try data.u32(at: start + 42))
        let nameStart = start + 46
        let recordEnd = nameStart + nameLength + extraLength + commentLength
        guard recordEnd <= directoryEnd else {
            throw WeightLoadingError.truncated(what: "zip central directory record", offset: start, needed: recordEnd - start,
                                               available: max(0, directoryEnd - start))
        }
        let name = String(decoding: try data.slice(nameStart, nameLength, "zip entry name"), as: UTF8.self)
        guard flags & 1 == 0 else { throw WeightLoadingError.malformedHeader(reason: "zip entry \(name) is encrypted", offset: start) }
        // ZIP64 extended information: the 64-bit values of exactly the fields that read 0xFFFFFFFF, in this order.
        var extra = nameStart + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let id = try data.u16(at: extra), length = Int(try data.u16(at: extra + 2))
            guard extra + 4 + length <= extraEnd else {
                throw WeightLoadingError.malformedHeader(reason: "zip extra field overruns entry \(name)", offset: extra)
            }
            if id == 0x0001 {
                var field = extra + 4
                let fieldEnd = field + length
                if uncompressed == 0xFFFF_FFFF { uncompressed = try zip64Value(at: &field, end: fieldEnd, entry: name) }
                if compressed == 0xFFFF_FFFF { compressed = try zip64Value(at: &field, end: fieldEnd, entry: name) }
                if localOffset == 0xFFFF_FFFF { localOffset = try zip64Value(at: &field, end: fieldEnd, entry: name) }
            }
            extra += 4 + length
        }
        cursor = recordEnd
        return Entry(name: name, method: method, dataRange: try dataRange(localOffset: localOffset, compressed: compressed, name: name),
                     uncompressedSize: uncompressed)
    }

    private func zip64Value(at field: inout Int, end: Int, entry name: String) throws -> Int {
        guard field + 8 <= end else {
            throw WeightLoadingError.malformedHeader(reason: "ZIP64 extra field too short in entry \(name)", offset: field)
        }
        defer { field += 8 }
        return try data.int64(at: field, "ZIP64 size or offset of \(name)")
    }

    /// The entry's data follows its local header, whose name and extra lengths may differ from the
    /// central directory's (PyTorch pads the local extra field to align tensor data).
    private func dataRange(localOffset: Int, compressed: Int, name: String) throws -> Range<Int> {
        guard try data.u32(at: localOffset) == 0x0403_4B50 else {
            throw WeightLoadingError.malformedHeader(reason: "bad local header signature for zip entry \(name)", offset: localOffset)
        }
        let start = localOffset + 30 + Int(try data.u16(at: localOffset + 26)) + Int(try data.u16(at: localOffset + 28))
        guard start <= data.count, compressed <= data.count - start else {
            throw WeightLoadingError.truncated(what: "zip entry \(name)", offset: start, needed: compressed, available: max(0, data.count - start))
        }
        return start..<(start + compressed)
    }
}

extension Data {
    /// `count` bytes at `offset` (relative to `startIndex`), or a ``WeightLoadingError/truncated(what:offset:needed:available:)``.
    func slice(_ offset: Int, _ count: Int, _ what: String) throws -> Data {
        guard offset >= 0, count >= 0, offset <= self.count, count <= self.count - offset else {
            throw WeightLoadingError.truncated(what: what, offset: offset, needed: count, available: Swift.max(0, self.count - Swift.max(0, offset)))
        }
        return self[(startIndex + offset)..<(startIndex + offset + count)]
    }

    fileprivate func little(at offset: Int, width: Int) throws -> UInt64 {
        guard offset >= 0, offset <= count - width else {
            throw WeightLoadingError.truncated(what: "zip structure", offset: offset, needed: width, available: Swift.max(0, count - Swift.max(0, offset)))
        }
        return withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> UInt64 in
            var value: UInt64 = 0
            for i in 0..<width { value |= UInt64(raw[offset + i]) << (8 * UInt64(i)) }
            return value
        }
    }

    fileprivate func u16(at offset: Int) throws -> UInt16 { UInt16(try little(at: offset, width: 2)) }
    fileprivate func u32(at offset: Int) throws -> UInt32 { UInt32(try little(at: offset, width: 4)) }

    /// A little-endian 64-bit size or offset that must fit in `Int`.
    fileprivate func int64(at offset: Int, _ what: String) throws -> Int {
        let value = try little(at: offset, width: 8)
        guard value <= UInt64(Int.max / 2) else { throw WeightLoadingError.malformedHeader(reason: "\(what) is \(value)", offset: offset) }
        return Int(value)
    }
}
