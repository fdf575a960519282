import Foundation

/// Why a weight file could not be turned into a model.
///
/// Every case names what was wrong and where: the tensor, the byte offset, what was expected and
/// what was found. Loaders never return a partial model.
public enum WeightLoadingError: Error, Equatable, Sendable {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file has zero bytes.
    case emptyFile(path: String)
    /// The content matches none of the supported formats (safetensors, PyTorch zip checkpoint).
    case unrecognizedFormat(path: String, leadingBytes: String)
    /// The file ends before a structure it declares: `needed` bytes at `offset`, only `available` there.
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    /// A header or container structure is malformed at `offset`.
    case malformedHeader(reason: String, offset: Int)
    /// A tensor's declared byte range does not fit the data it should live in.
    case tensorOutOfBounds(tensor: String, begin: Int, end: Int, limit: Int)
    /// A tensor's element type is not one ConvNeXt V2 uses.
    case unsupportedDType(tensor: String, dtype: String)
    /// A tensor's declared shape does not match its byte size.
    case sizeMismatch(tensor: String, shape: [Int], dtype: String, expectedBytes: Int, foundBytes: Int)
    /// A tensor the model needs is not in the file.
    case missingTensor(String)
    /// A tensor has a shape other than the model needs.
    case shapeMismatch(tensor: String, expected: [Int], found: [Int])
    /// The checkpoint's tensors do not describe a ConvNeXt V2 (e.g. no stem, stages out of order).
    case notConvNeXtV2(reason: String)
    /// The checkpoint describes a ConvNeXt V2 other than the one asked for.
    case modelMismatch(requested: String, found: String)
    /// The PyTorch pickle stream is malformed or uses something a state dict never needs.
    case pickle(reason: String, offset: Int)
    /// A tensor holds NaN or infinity.
    case nonFiniteValue(tensor: String, index: Int)
}

extension WeightLoadingError: CustomStringConvertible {
    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read \(path): \(reason)"
        case let .emptyFile(path): "\(path) is empty"
        case let .unrecognizedFormat(path, lead):
            "\(path) is neither safetensors nor a PyTorch zip checkpoint (starts with \(lead))"
        case let .truncated(what, offset, needed, available):
            "truncated \(what): needs \(needed) bytes at offset \(offset), only \(available) there"
        case let .malformedHeader(reason, offset): "malformed header at byte \(offset): \(reason)"
        case let .tensorOutOfBounds(tensor, begin, end, limit):
            "tensor \(tensor) spans bytes \(begin)..<\(end), beyond the \(limit) bytes available"
        case let .unsupportedDType(tensor, dtype): "tensor \(tensor) has unsupported dtype \(dtype)"
        case let .sizeMismatch(tensor, shape, dtype, expected, found):
            "tensor \(tensor) (\(dtype) \(shape)) should be \(expected) bytes, found \(found)"
        case let .missingTensor(name): "missing tensor \(name)"
        case let .shapeMismatch(tensor, expected, found):
            "tensor \(tensor) has shape \(found), expected \(expected)"
        case let .notConvNeXtV2(reason): "not a ConvNeXt V2 checkpoint: \(reason)"
        case let .modelMismatch(requested, found): "asked for ConvNeXt V2 \(requested), the weights are \(found)"
        case let .pickle(reason, offset): "PyTorch pickle at byte \(offset): \(reason)"
        case let .nonFiniteValue(tensor, index): "tensor \(tensor) holds a non-finite value at element \(index)"
        }
    }
}
