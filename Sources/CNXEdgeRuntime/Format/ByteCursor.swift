/// Bounds-checked little-endian reads from a byte range; every read past the end throws
/// ``ModelFileError/corrupt(reason:offset:)`` with the file offset.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    /// Current position, a file offset.
    var offset: Int
    let end: Int

    init(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) {
        self.bytes = bytes
        offset = start
        self.end = end
    }

    mutating func take(_ n: Int, _ what: String) throws -> Int {
        guard n >= 0, n <= end - offset else {
            throw ModelFileError.corrupt(reason: "\(what) runs past the end of its section", offset: offset)
        }
        defer { offset += n }
        return offset
    }

    mutating func u8(_ what: String) throws -> UInt8 { bytes[try take(1, what)] }
    mutating func u16(_ what: String) throws -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(2, what), as: UInt16.self)) }
    mutating func u32(_ what: String) throws -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4, what), as: UInt32.self)) }
    mutating func u64(_ what: String) throws -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8, what), as: UInt64.self)) }

    /// A count or offset that must fit in `0...limit`.
    mutating func int(_ what: String, limit: Int) throws -> Int {
        let at = offset
        let v = try u64(what)
        guard v <= UInt64(limit) else { throw ModelFileError.corrupt(reason: "\(what) \(v) exceeds \(limit)", offset: at) }
        return Int(v)
    }

    /// `count` bytes, copied.
    mutating func rawBytes(_ count: Int, _ what: String) throws -> [UInt8] {
        let at = try take(count, what)
        return Array(bytes[at..<(at + count)])
    }

    mutating func string(_ count: Int, _ what: String) throws -> String {
        let at = try take(count, what)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + count)]), as: UTF8.self)
    }
}
