import Foundation

/// A bounds-checked cursor over a pickle stream. Every read either returns the bytes it asked for
/// or throws ``WeightLoadingError/pickle(reason:offset:)`` at the offset of the opcode being read,
/// so a length field cannot make the unpickler allocate more than the stream holds.
struct PickleReader {
    let bytes: [UInt8]
    private(set) var position = 0
    /// Offset of the opcode currently being decoded; errors report it.
    var opcodeStart = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position >= bytes.count }

    func error(_ reason: String) -> WeightLoadingError {
        .pickle(reason: reason, offset: opcodeStart)
    }

    /// The next `count` bytes; `what` names them in the error if the stream is shorter.
    mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw error("stream ends inside \(what): needs \(count) bytes at byte \(position), \(remaining) left")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    /// Reads a length field of `width` bytes (little-endian, unsigned) and checks it fits the stream.
    mutating func length(width: Int, _ what: String) throws -> Int {
        let raw = try unsigned(width, what + " length")
        guard raw <= UInt64(remaining) else {
            throw error("\(what) declares \(raw) bytes, only \(remaining) left in the stream")
        }
        return Int(raw)
    }

    mutating func byte(_ what: String) throws -> UInt8 {
        try take(1, what).first!
    }

    /// A little-endian unsigned integer of `width` (1...8) bytes.
    mutating func unsigned(_ width: Int, _ what: String) throws -> UInt64 {
        let slice = try take(width, what)
        var value: UInt64 = 0
        for (i, b) in slice.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        return value
    }

    /// A little-endian two's-complement integer of `count` bytes (`LONG1`, `LONG4`); wider values
    /// are accepted only if they fit in `Int`.
    mutating func signedLong(_ count: Int, _ what: String) throws -> Int {
        let slice = Array(try take(count, what))
        guard let last = slice.last else { return 0 }
        let negative = last & 0x80 != 0
        let fill: UInt8 = negative ? 0xFF : 0x00
        if slice.count > 8 {
            guard slice[8...].allSatisfy({ $0 == fill }), (slice[7] & 0x80 != 0) == negative else {
                throw error("\(what) holds an integer wider than 64 bits")
            }
        }
        var value: UInt64 = negative ? .max : 0
        for i in 0..<min(8, slice.count) {
            value &= ~(UInt64(0xFF) << (8 * UInt64(i)))
            value |= UInt64(slice[i]) << (8 * UInt64(i))
        }
        return Int(bitPattern: UInt(value))
    }

    /// A line ending in `\n` (for `GLOBAL`), without the newline; at most `limit` bytes.
    mutating func line(_ what: String, limit: Int = 256) throws -> String {
        let end = min(bytes.count, position + limit + 1)
        guard let newline = bytes[position..<end].firstIndex(of: 0x0A) else {
            throw error("\(what) has no newline within \(limit) bytes")
        }
        let text = try utf8(bytes[position..<newline], what)
        position = newline + 1
        return text
    }

    func utf8(_ slice: ArraySlice<UInt8>, _ what: String) throws -> String {
        guard let s = String(bytes: slice, encoding: .utf8) else { throw error("\(what) is not valid UTF-8") }
        return s
    }
}
