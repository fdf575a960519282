/// An image decoded to 8-bit RGB: what Pillow's `Image.open(f).convert("RGB")` holds.
///
/// Layout: row-major, interleaved `R, G, B` bytes, `width * height * 3` of them, no row padding.
/// Pixel `(x, y)` starts at byte `(y * width + x) * 3`.
public struct DecodedImage: Sendable, Equatable {
    /// Columns, at least 1.
    public let width: Int
    /// Rows, at least 1.
    public let height: Int
    /// `width * height * 3` interleaved RGB bytes.
    public let pixels: [UInt8]

    /// Wraps interleaved RGB bytes.
    /// - Precondition: `width >= 1`, `height >= 1` and `pixels.count == width * height * 3`
    ///   (a mismatch is a programming error, not bad input).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 1 && height >= 1, "DecodedImage: size \(width)x\(height) must be at least 1x1")
        precondition(pixels.count == width * height * 3,
                     "DecodedImage: \(pixels.count) bytes for \(width)x\(height) RGB (expected \(width * height * 3))")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// The image container formats ``ImageDecoder`` reads, recognised by their first bytes.
public enum ImageFormat: String, Sendable, Equatable, CaseIterable {
    /// JPEG/JFIF/EXIF (starts `FF D8 FF`), decoded with TurboJPEG.
    case jpeg = "JPEG"
    /// PNG (starts with the 8-byte PNG signature), decoded with libpng.
    case png = "PNG"
}
