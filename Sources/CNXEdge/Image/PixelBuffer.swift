import CCNXFrame

/// How a camera frame's bytes are laid out. Raw values are `cnx_pixel_format`'s in `cnx_edge.h`.
public enum PixelFormat: Int32, Sendable, CaseIterable, CustomStringConvertible {
    /// 3 bytes per pixel, R G B.
    case rgb8 = 0
    /// 3 bytes per pixel, B G R (OpenCV's order).
    case bgr8 = 1
    /// 4 bytes per pixel, R G B A (alpha ignored).
    case rgba8 = 2
    /// 4 bytes per pixel, B G R A (alpha ignored).
    case bgra8 = 3
    /// Y plane (1 byte per pixel), then a half-size plane of interleaved U V (4:2:0): V4L2 and
    /// Android cameras, hardware video decoders.
    case nv12 = 4
    /// As ``nv12`` with V before U in the chroma plane.
    case nv21 = 5
    /// 4:2:2 packed, 2 bytes per pixel: Y0 U Y1 V for each pair of pixels (USB webcams).
    case yuyv = 6

    public var description: String { ["rgb8", "bgr8", "rgba8", "bgra8", "nv12", "nv21", "yuyv"][Int(rawValue)] }

    /// Bytes per pixel in a row of the (first) plane.
    public var bytesPerPixel: Int {
        switch self {
        case .rgb8, .bgr8: 3
        case .rgba8, .bgra8: 4
        case .nv12, .nv21: 1
        case .yuyv: 2
        }
    }

    /// Whether the pixels are Y'CbCr (converted with a ``YUVColorSpace``).
    public var isYUV: Bool { self == .nv12 || self == .nv21 || self == .yuyv }
}

/// Which Y'CbCr to RGB conversion a YUV frame needs: the matrix (BT.601 for SD and most
/// webcams, BT.709 for HD video) and the range (limited 16-235, what cameras and video decoders
/// produce unless they say otherwise; full 0-255, JPEG's).
public enum YUVColorSpace: Int32, Sendable, CaseIterable {
    case bt601Limited = 0, bt601Full = 1, bt709Limited = 2, bt709Full = 3

    /// The conversion's coefficients for the C kernels.
    var matrix: cnx_yuv_matrix {
        let (kr, kb): (Float, Float) = self == .bt601Limited || self == .bt601Full ? (0.299, 0.114) : (0.2126, 0.0722)
        let kg = 1 - kr - kb
        let limited = self == .bt601Limited || self == .bt709Limited
        let c: Float = limited ? 255 / 224 : 1
        return cnx_yuv_matrix(y_scale: limited ? 255 / 219 : 1, y_offset: limited ? 16 : 0,
                              cr: 2 * (1 - kr) * c, gu: 2 * kb * (1 - kb) / kg * c, gv: 2 * kr * (1 - kr) / kg * c,
                              cb: 2 * (1 - kb) * c)
    }
}

/// Why a pixel buffer was refused.
public enum PixelBufferError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No pixels (a null pointer).
    case missingPixels
    /// Width or height below 1 or above ``ImageDecoder/maxDimension``.
    case invalidSize(width: Int, height: Int)
    /// A row stride smaller than a row's bytes.
    case strideTooSmall(stride: Int, minimum: Int)
    /// 4:2:0 and 4:2:2 formats need an even width (and NV12/NV21 an even height).
    case oddSize(format: PixelFormat, width: Int, height: Int)
    /// Not a ``PixelFormat`` raw value.
    case unknownFormat(Int32)

    public var description: String {
        switch self {
        case .missingPixels: "pixel buffer: no pixels (null pointer)"
        case let .invalidSize(w, h): "pixel buffer: size \(w)x\(h) outside 1...\(ImageDecoder.maxDimension)"
        case let .strideTooSmall(s, m): "pixel buffer: row stride \(s) bytes, a row needs at least \(m)"
        case let .oddSize(f, w, h): "pixel buffer: \(f) needs an even width\(f == .yuyv ? "" : " and height"), got \(w)x\(h)"
        case let .unknownFormat(v): "pixel buffer: unknown pixel format \(v) (0...\(PixelFormat.allCases.count - 1))"
        }
    }
}

/// A camera frame in memory, borrowed for one call: pointer, size, row stride and layout.
public struct PixelBuffer {
    /// Packed pixels, or the Y plane of NV12/NV21.
    public var pixels: UnsafeRawPointer?
    /// Bytes from one row of ``pixels`` to the next (at least width x bytes per pixel).
    public var rowStride: Int
    /// NV12/NV21: the interleaved chroma plane, `height / 2` rows.
    public var chroma: UnsafeRawPointer?
    /// Bytes from one chroma row to the next.
    public var chromaRowStride: Int
    public var width: Int
    public var height: Int
    public var format: PixelFormat

    /// A frame in one block of memory: for NV12/NV21 the chroma plane follows the Y plane
    /// (at `pixels + rowStride * height`, same stride), as V4L2 and most decoders lay it out.
    public init(pixels: UnsafeRawPointer?, width: Int, height: Int, rowStride: Int, format: PixelFormat) {
        self.pixels = pixels
        self.width = width
        self.height = height
        self.rowStride = rowStride
        self.format = format
        chroma = format == .nv12 || format == .nv21 ? pixels.map { $0 + rowStride * height } : nil
        chromaRowStride = rowStride
    }

    /// An NV12/NV21 frame whose planes are apart (e.g. two V4L2 planes).
    public init(luma: UnsafeRawPointer?, lumaRowStride: Int, chroma: UnsafeRawPointer?, chromaRowStride: Int,
                width: Int, height: Int, format: PixelFormat) {
        self.pixels = luma
        self.rowStride = lumaRowStride
        self.chroma = chroma
        self.chromaRowStride = chromaRowStride
        self.width = width
        self.height = height
        self.format = format
    }

    /// Checks the pointers, size and strides.
    /// - Throws: ``PixelBufferError``.
    public func validate() throws {
        guard pixels != nil else { throw PixelBufferError.missingPixels }
        guard (1...ImageDecoder.maxDimension).contains(width), (1...ImageDecoder.maxDimension).contains(height) else {
            throw PixelBufferError.invalidSize(width: width, height: height)
        }
        let rowBytes = width * format.bytesPerPixel
        guard rowStride >= rowBytes else { throw PixelBufferError.strideTooSmall(stride: rowStride, minimum: rowBytes) }
        switch format {
        case .nv12, .nv21:
            guard width % 2 == 0, height % 2 == 0 else { throw PixelBufferError.oddSize(format: format, width: width, height: height) }
            guard chroma != nil else { throw PixelBufferError.missingPixels }
            guard chromaRowStride >= width else { throw PixelBufferError.strideTooSmall(stride: chromaRowStride, minimum: width) }
        case .yuyv:
            guard width % 2 == 0 else { throw PixelBufferError.oddSize(format: format, width: width, height: height) }
        default: break
        }
    }

    /// The C kernels' view of the frame.
    var frame: cnx_frame {
        cnx_frame(pixels: pixels?.assumingMemoryBound(to: UInt8.self), stride: rowStride,
                  chroma: chroma?.assumingMemoryBound(to: UInt8.self), chroma_stride: chromaRowStride,
                  width: Int32(width), height: Int32(height), format: format.rawValue)
    }

    /// The frame as 8-bit RGB, each pixel converted on its own (chroma taken from the sample that
    /// covers it, rounded to the nearest byte): the input of the exact path.
    /// - Throws: ``PixelBufferError``.
    public func rgbImage(colorSpace: YUVColorSpace = .bt601Limited) throws -> DecodedImage {
        try validate()
        var f = frame
        var m = colorSpace.matrix
        var rgb = [Float](repeating: 0, count: width * 3)
        var acc = [UInt32](repeating: 0, count: width * 4)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            cnx_frame_box_rgb(&f, 0, Int32(y), 1, Int32(width), 1, &m, &rgb, &acc)
            for i in 0..<(width * 3) { pixels[y * width * 3 + i] = UInt8(min(max(rgb[i], 0), 255).rounded()) }
        }
        return DecodedImage(width: width, height: height, pixels: pixels)
    }
}
