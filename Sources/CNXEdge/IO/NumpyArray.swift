import Foundation

/// A float32 array read from or written to NumPy's `.npy` format (version 1.0-3.0, C order).
public struct NumpyArray: Equatable, Sendable {
    public var shape: [Int]
    /// Row-major values.
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "NumpyArray shape must match its value count")
        self.shape = shape
        self.values = values
    }
}

/// Why a `.npy` file could not be read.
public enum NumpyFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    case notNpy(path: String)
    case truncated(path: String, needed: Int, available: Int)
    case malformedHeader(path: String, reason: String)
    /// Only little-endian float32 (`<f4`), float16 and float64 arrays in C order are read.
    case unsupportedDType(path: String, descr: String)
    case fortranOrder(path: String)

    public var description: String {
        switch self {
        case let .notNpy(p): "\(p) is not a .npy file (bad magic)"
        case let .truncated(p, n, a): "\(p) is truncated: the array needs \(n) bytes, \(a) present"
        case let .malformedHeader(p, r): "\(p): malformed .npy header: \(r)"
        case let .unsupportedDType(p, d): "\(p): unsupported dtype \(d) (float32, float16 or float64 expected)"
        case let .fortranOrder(p): "\(p): Fortran-order arrays are not supported"
        }
    }
}

extension NumpyArray {
    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // "\x93NUMPY"

    /// Parses `.npy` bytes; float16 and float64 are converted to `Float`.
    /// - Throws: ``NumpyFormatError``.
    public init(npy data: Data, source: String = "<memory>") throws {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == Self.magic else { throw NumpyFormatError.notNpy(path: source) }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NumpyFormatError.truncated(path: source, needed: 12, available: bytes.count) }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw NumpyFormatError.malformedHeader(path: source, reason: "unknown format version \(major)")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw NumpyFormatError.truncated(path: source, needed: headerStart + headerLength, available: bytes.count)
        }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw NumpyFormatError.malformedHeader(path: source, reason: "header is not text")
        }
        let descr = try Self.field("descr", in: header, source: source)
        let fortran = try Self.field("fortran_order", in: header, source: source)
        let shapeText = try Self.field("shape", in: header, source: source)
        if fortran.hasPrefix("True") { throw NumpyFormatError.fortranOrder(path: source) }
        let descrValue = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        let elementSize: Int
        switch descrValue {
        case "<f4", "|f4", "=f4": elementSize = 4
        case "<f2", "=f2": elementSize = 2
        case "<f8", "=f8": elementSize = 8
        default: throw NumpyFormatError.unsupportedDType(path: source, descr: descrValue)
        }
        guard shapeText.hasPrefix("("), let close = shapeText.firstIndex(of: ")") else {
            throw NumpyFormatError.malformedHeader(path: source, reason: "shape is not a tuple")
        }
        let dims = shapeText[shapeText.index(after: shapeText.startIndex)..<close]
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var shape: [Int] = []
        var count = 1
        for d in dims {
            guard let v = Int(d), v >= 0 else { throw NumpyFormatError.malformedHeader(path: source, reason: "shape entry \(d)") }
            let (p, overflow) = count.multipliedReportingOverflow(by: v)
            guard !overflow, p <= 1 << 34 else { throw NumpyFormatError.malformedHeader(path: source, reason: "shape \(shapeText) too large") }
            shape.append(v)
            count = p
        }
        let dataStart = headerStart + headerLength
        let needed = dataStart + count * elementSize
        guard needed <= bytes.count else { throw NumpyFormatError.truncated(path: source, needed: needed, available: bytes.count) }
        var values = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            for i in 0..<count {
                let o = dataStart + i * elementSize
                switch elementSize {
                case 4: values[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self)))
                case 2: values[i] = Float(halfBits: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self)))
                default: values[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self))))
                }
            }
        }
        self.init(shape: shape, values: values)
    }

    /// Reads a `.npy` file.
    public init(contentsOf path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw NumpyFormatError.malformedHeader(path: path, reason: "cannot read: \((error as NSError).localizedDescription)")
        }
        try self.init(npy: data, source: path)
    }

    /// The `.npy` (version 1.0, `<f4`, C order) encoding of this array.
    public func npyData() -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header + newline must be a multiple of 64.
        let padding = (64 - (10 + header.utf8.count + 1) % 64) % 64
        header += String(repeating: " ", count: padding) + "\n"
        var out = Data(Self.magic + [1, 0])
        let length = UInt16(header.utf8.count)
        out.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        out.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { buffer in
            for v in buffer {
                let bits = v.bitPattern.littleEndian
                withUnsafeBytes(of: bits) { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    /// The text after `'key':` up to the next top-level comma (or the closing brace).
    private static func field(_ key: String, in header: String, source: String) throws -> String {
        guard let range = header.range(of: "'\(key)':") else {
            throw NumpyFormatError.malformedHeader(path: source, reason: "no '\(key)' in header")
        }
        let rest = header[range.upperBound...].drop { $0 == " " }
        if rest.hasPrefix("(") {
            guard let close = rest.firstIndex(of: ")") else {
                throw NumpyFormatError.malformedHeader(path: source, reason: "unterminated \(key)")
            }
            return String(rest[...close])
        }
        let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
        return String(rest[..<end]).trimmingCharacters(in: .whitespaces)
    }
}
