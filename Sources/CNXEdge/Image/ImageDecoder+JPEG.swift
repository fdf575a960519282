import CTurboJPEG
import Foundation

extension ImageDecoder {
    /// Decodes a JPEG with TurboJPEG's default (libjpeg default) settings, as Pillow does.
    /// Warnings stop decoding and become errors (TJFLAG_STOPONWARNING).
    /// - Parameter minimumShortSide: if given and the image's shorter side is at least twice it,
    ///   decode at the smallest DCT scale (1/2, 1/4 or 1/8) whose shorter side is still at least
    ///   `minimumShortSide`: libjpeg-turbo skips most of the inverse DCT and upsampling work.
    static func decodeJPEG(_ data: Data, source: String, minimumShortSide: Int? = nil) throws -> DecodedImage {
        guard let handle = tjInitDecompress() else {
            throw ImageError.decoderFailure(source: source, format: .jpeg, reason: "tjInitDecompress failed")
        }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> DecodedImage in
            let jpeg = raw.bindMemory(to: UInt8.self)
            guard let base = jpeg.baseAddress else { throw ImageError.empty(source: source) }
            let size = UInt(jpeg.count)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            if tjDecompressHeader3(handle, base, size, &width, &height, &subsampling, &colorspace) != 0 {
                throw jpegError(handle, source: source)
            }
            if width <= 0 || height <= 0 {
                // TurboJPEG accepts a tables-only stream, and libjpeg turns a file cut off before
                // its frame header into one; neither holds an image.
                let complete = jpeg.count >= 4 && jpeg[jpeg.count - 2] == 0xFF && jpeg[jpeg.count - 1] == 0xD9
                if complete {
                    throw ImageError.corrupt(source: source, format: .jpeg, reason: "no frame header: the JPEG holds no image")
                }
                throw ImageError.truncated(source: source, format: .jpeg, reason: "data ends before the frame header")
            }
            try checkSize(width: Int(width), height: Int(height), source: source)
            if let minimumShortSide, minimumShortSide > 0, Int(min(width, height)) >= 2 * minimumShortSide {
                let short = Int(min(width, height))
                let d = [8, 4, 2].first { (short + $0 - 1) / $0 >= minimumShortSide } ?? 1
                (width, height) = (Int32((Int(width) + d - 1) / d), Int32((Int(height) + d - 1) / d))
            }
            let pixelCount = Int(width) * Int(height)
            let flags = TJFLAG_STOPONWARNING

            switch colorspace {
            case Int32(TJCS_RGB.rawValue), Int32(TJCS_YCbCr.rawValue), Int32(TJCS_GRAY.rawValue):
                // Gray is replicated by libjpeg's gray-to-RGB conversion, matching convert("RGB").
                let (rgb, status) = decoderOutput(pixelCount * 3) {
                    tjDecompress2(handle, base, size, $0, width, 0, height, Int32(TJPF_RGB.rawValue), flags)
                }
                if status != 0 { throw jpegError(handle, source: source) }
                return DecodedImage(width: Int(width), height: Int(height), pixels: rgb)

            case Int32(TJCS_CMYK.rawValue), Int32(TJCS_YCCK.rawValue):
                // libjpeg converts YCCK to CMYK; the conversion to RGB is Pillow's.
                let (cmyk, status) = decoderOutput(pixelCount * 4) {
                    tjDecompress2(handle, base, size, $0, width, 0, height, Int32(TJPF_CMYK.rawValue), flags)
                }
                if status != 0 { throw jpegError(handle, source: source) }
                return DecodedImage(width: Int(width), height: Int(height), pixels: pillowRGB(fromInvertedCMYK: cmyk))

            default:
                throw ImageError.unsupportedLayout(source: source, format: .jpeg,
                                                   detail: "TurboJPEG colour space \(colorspace)")
            }
        }
    }

    /// `image` as a baseline JPEG (4:2:0, `quality`), for tests that need large JPEG files.
    static func encodeJPEG(_ image: DecodedImage, quality: Int32 = 95) -> Data? {
        guard let handle = tjInitCompress() else { return nil }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                        &buffer, &size, Int32(TJSAMP_420.rawValue), quality, 0)
        }
        defer { tjFree(buffer) }
        guard status == 0, let buffer else { return nil }
        return Data(bytes: buffer, count: Int(size))
    }

    /// Pillow's reading of 4-channel JPEG samples: it unpacks them as `CMYK;I` (inverted, the
    /// Adobe convention) and converts with `cmyk2rgb`:
    /// `nk = 255 - K`, `out = nk - MULDIV255(C, nk)` where `MULDIV255(a, b) = (t + (t >> 8)) >> 8`,
    /// `t = a * b + 128`. With the inversion folded in, `nk` is the stored K sample and `C` is
    /// `255 - stored C`. Input: `count / 4` pixels of stored (libjpeg output) CMYK bytes.
    static func pillowRGB(fromInvertedCMYK cmyk: [UInt8]) -> [UInt8] {
        let n = cmyk.count / 4
        return [UInt8](unsafeUninitializedCapacity: n * 3) { out, initialized in
            cmyk.withUnsafeBufferPointer { src in
                for i in 0..<n {
                    let nk = Int(src[i * 4 + 3])
                    for c in 0..<3 {
                        let t = (255 - Int(src[i * 4 + c])) * nk + 128
                        let v = nk - (((t >> 8) + t) >> 8)
                        out[i * 3 + c] = UInt8(clamping: v)
                    }
                }
            }
            initialized = n * 3
        }
    }

    /// Turns TurboJPEG's last error or warning into an ``ImageError``. libjpeg reports a file that
    /// ends early as "Premature end of JPEG file" (a warning) or "... of input file".
    private static func jpegError(_ handle: tjhandle, source: String) -> ImageError {
        let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown TurboJPEG error"
        if message.lowercased().contains("premature end of") && !message.contains("data segment") {
            return .truncated(source: source, format: .jpeg, reason: message)
        }
        let kind = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) ? " (libjpeg warning)" : ""
        return .corrupt(source: source, format: .jpeg, reason: message + kind)
    }
}
