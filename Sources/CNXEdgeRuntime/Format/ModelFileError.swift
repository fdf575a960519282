/// Why a `.cnx` file could not be loaded. Every case names where the problem is.
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be opened or mapped (`errno` text).
    case unreadable(path: String, reason: String)
    /// The first eight bytes are not `CNXMODEL`.
    case wrongMagic
    /// A format version this build does not read.
    case unsupportedVersion(found: UInt32, supported: UInt32)
    /// The file is shorter than its header says (or than a header).
    case truncated(expectedBytes: Int, foundBytes: Int)
    /// The stored checksum does not match the contents.
    case checksumMismatch(stored: UInt64, computed: UInt64)
    /// A field is out of bounds or inconsistent, at byte `offset` of the file.
    case corrupt(reason: String, offset: Int)
    /// The decoded graph is malformed.
    case invalidGraph(GraphError)
    /// A float constant holds NaN or ±Inf (its checksum may well be valid: written by another tool):
    /// `element` is its index in the stored layout, `offset` the file offset of that value.
    case nonFiniteConstant(tensor: String, element: Int, value: Float, offset: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case .wrongMagic: "not a cnx-edge compiled model (bad magic)"
        case let .unsupportedVersion(found, supported):
            found < supported
                ? "model file version \(found) is from an older cnx-edge; this build reads version \(supported): compile the model again with `cnx-edge compile`"
                : "model file version \(found) is from a newer cnx-edge; this build reads version \(supported)"
        case let .truncated(expected, found): "model file truncated: \(found) bytes, expected \(expected)"
        case let .checksumMismatch(stored, computed):
            "model file corrupt: checksum \(String(stored, radix: 16)), contents give \(String(computed, radix: 16))"
        case let .corrupt(reason, offset): "model file corrupt at byte \(offset): \(reason)"
        case let .invalidGraph(e): "model file holds an invalid graph: \(e)"
        case let .nonFiniteConstant(tensor, element, value, offset):
            "model file holds a non-finite constant: \(tensor) element \(element) is \(value) (byte \(offset))"
        }
    }
}
