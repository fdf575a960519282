import Foundation

/// Decodes JPEG (libjpeg-turbo's TurboJPEG API) and PNG (libpng) files to 8-bit RGB exactly as
/// Pillow's `Image.open(f).convert("RGB")` does, which is what timm's data pipeline feeds its
/// transforms:
///
/// - The format is chosen by the first bytes, never by the file extension.
/// - JPEG: libjpeg defaults (accurate integer IDCT, fancy upsampling). Grayscale is replicated to
///   three channels. CMYK and YCCK files are read the way Pillow reads them: samples inverted
///   (Adobe convention, assumed for every 4-channel JPEG), then Pillow's `cmyk2rgb`. EXIF
///   orientation is ignored, as Pillow's `open` ignores it.
/// - PNG: stored samples with no gamma or colour management. Palettes are expanded; alpha (an
///   alpha channel or tRNS) is dropped, not composited; 16-bit RGB(A) and gray+alpha keep the high
///   byte; 16-bit gray without alpha is clamped to 255 (Pillow's `I;16` to `RGB` rule).
/// - Any library warning (a truncated JPEG in particular, which libjpeg would pad with gray) is an
///   error: a partially decoded image is never returned.
public enum ImageDecoder {
    /// Largest accepted width or height.
    public static let maxDimension = 30_000
    /// Largest accepted `width * height` (256 megapixels, 768 MB of RGB).
    public static let maxPixels = 256_000_000

    /// Decodes `data`; `source` names it in errors (a path, a URL, "stdin").
    /// - Throws: ``ImageError``: `.empty`, `.notAnImage`, `.unsupportedFormat`, `.truncated`,
    ///   `.corrupt`, `.zeroSize`, `.tooLarge`, `.unsupportedLayout` or `.decoderFailure`.
    /// - Parameter minimumShortSide: for a JPEG at least twice this size (shorter side), decode at
    ///   a reduced DCT scale that keeps the shorter side at least this long (faster; not Pillow's
    ///   pixels: the README gives the measured difference). `nil`: full size, Pillow-exact.
    public static func decode(_ data: Data, source: String, minimumShortSide: Int? = nil) throws -> DecodedImage {
        switch sniff(data) {
        case .empty: throw ImageError.empty(source: source)
        case .jpeg: return try decodeJPEG(data, source: source, minimumShortSide: minimumShortSide)
        case .png: return try decodePNG(data, source: source)
        case .other(let name): throw ImageError.unsupportedFormat(source: source, format: name)
        case .unknown: throw ImageError.notAnImage(source: source)
        }
    }

    /// Reads and decodes the file at `path` (memory-mapped when possible).
    /// - Throws: ``ImageError/unreadable(source:reason:)`` when the file cannot be read, otherwise
    ///   as ``decode(_:source:)`` with `source` = `path`.
    public static func decode(path: String, minimumShortSide: Int? = nil) throws -> DecodedImage {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageError.unreadable(source: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw ImageError.unreadable(source: path, reason: "is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw ImageError.unreadable(source: path, reason: (error as NSError).localizedDescription)
        }
        return try decode(data, source: path, minimumShortSide: minimumShortSide)
    }

    /// What the leading bytes say.
    enum Signature: Equatable {
        case empty, jpeg, png, unknown
        case other(String)
    }

    /// Recognises JPEG and PNG, and names a few other common formats for a clearer error.
    static func sniff(_ data: Data) -> Signature {
        if data.isEmpty { return .empty }
        let head = [UInt8](data.prefix(12))
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<(offset + magic.count)]) == magic
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(Array("GIF8".utf8)) { return .other("GIF") }
        if starts(Array("BM".utf8)) { return .other("BMP") }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return .other("WebP") }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .other("TIFF") }
        if starts(Array("ftyp".utf8), at: 4) { return .other("HEIF/AVIF") }
        if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || starts([0xFF, 0x4F, 0xFF, 0x51]) {
            return .other("JPEG 2000")
        }
        if starts(Array("qoif".utf8)) { return .other("QOI") }
        return .unknown
    }

    /// A decoder's output buffer of `count` bytes, filled by `decode` (which returns 0 only when it
    /// wrote every byte), and its status. Not zeroed first: a header that declares a huge image in a
    /// few bytes of file (the JPEG fuzz target found 2 KB files asking for hundreds of megabytes)
    /// then costs address space, not memory, because decoding stops at the first missing row.
    /// The bytes are returned only with status 0; callers throw on any other.
    static func decoderOutput(_ count: Int, _ decode: (UnsafeMutablePointer<UInt8>) -> Int32) -> ([UInt8], Int32) {
        var status: Int32 = -1
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = decode(buffer.baseAddress!)
            initialized = status == 0 ? count : 0
        }
        return (bytes, status)
    }

    /// Refuses zero-sized and oversized images before any pixel buffer is allocated.
    static func checkSize(width: Int, height: Int, source: String) throws {
        guard width > 0, height > 0 else { throw ImageError.zeroSize(source: source, width: width, height: height) }
        guard width <= maxDimension, height <= maxDimension, width * height <= maxPixels else {
            throw ImageError.tooLarge(source: source, width: width, height: height,
                                      maxDimension: maxDimension, maxPixels: maxPixels)
        }
    }
}
