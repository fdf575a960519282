/// Why an image could not be decoded. Every case names the `source` (a path, or the label the
/// caller gave in-memory data) so a message can say which file was bad.
public enum ImageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file could not be read (missing, a directory, no permission); `reason` is the system's.
    case unreadable(source: String, reason: String)
    /// The data is zero bytes long.
    case empty(source: String)
    /// The first bytes match no image format this decoder knows (a text file, a model file, ...).
    case notAnImage(source: String)
    /// A recognised image format that is not supported (`format` is e.g. `GIF`, `WebP`, `TIFF`).
    case unsupportedFormat(source: String, format: String)
    /// The data ends before the image does; `reason` is the decoding library's message.
    case truncated(source: String, format: ImageFormat, reason: String)
    /// The decoding library rejected the data; `reason` is its message.
    case corrupt(source: String, format: ImageFormat, reason: String)
    /// The header declares a zero width or height.
    case zeroSize(source: String, width: Int, height: Int)
    /// Wider or taller than ``ImageDecoder/maxDimension`` or with more than
    /// ``ImageDecoder/maxPixels`` pixels; refused before any pixel memory is allocated.
    case tooLarge(source: String, width: Int, height: Int, maxDimension: Int, maxPixels: Int)
    /// A valid file whose pixel layout cannot be turned into RGB (e.g. an unknown JPEG colour space).
    case unsupportedLayout(source: String, format: ImageFormat, detail: String)
    /// The decoding library failed for a reason unrelated to the data (initialisation, memory).
    case decoderFailure(source: String, format: ImageFormat, reason: String)

    /// One line naming the source and the problem.
    public var description: String {
        switch self {
        case let .unreadable(source, reason): "\(source): cannot read file: \(reason)"
        case let .empty(source): "\(source): empty file (0 bytes)"
        case let .notAnImage(source): "\(source): not an image (no JPEG or PNG signature)"
        case let .unsupportedFormat(source, format): "\(source): \(format) images are not supported (JPEG and PNG are)"
        case let .truncated(source, format, reason): "\(source): truncated \(format.rawValue) file: \(reason)"
        case let .corrupt(source, format, reason): "\(source): corrupt \(format.rawValue) file: \(reason)"
        case let .zeroSize(source, width, height): "\(source): image has zero size (\(width)x\(height))"
        case let .tooLarge(source, width, height, maxDimension, maxPixels):
            "\(source): image \(width)x\(height) exceeds the limit (\(maxDimension) per side, \(maxPixels) pixels)"
        case let .unsupportedLayout(source, format, detail): "\(source): unsupported \(format.rawValue) layout: \(detail)"
        case let .decoderFailure(source, format, reason): "\(source): \(format.rawValue) decoder failed: \(reason)"
        }
    }
}
