import CPNG
import Foundation

extension ImageDecoder {
    /// Decodes a PNG with libpng's classic reader (see `Sources/CPNG/shim.h` for why not the
    /// simplified API), then maps the stored samples to RGB with Pillow's rules.
    static func decodePNG(_ data: Data, source: String) throws -> DecodedImage {
        // IHDR sits at a fixed place; reading its size first gives typed zero-size and too-large
        // errors (libpng would only say "Invalid IHDR data") and bounds every allocation.
        if data.count >= 24 {
            let ihdr = [UInt8](data[(data.startIndex + 12)..<(data.startIndex + 24)])
            if ihdr[0..<4] == [0x49, 0x48, 0x44, 0x52] {
                let width = ihdr[4..<8].reduce(0) { $0 << 8 | Int($1) }
                let height = ihdr[8..<12].reduce(0) { $0 << 8 | Int($1) }
                try checkSize(width: width, height: height, source: source)
            }
        }
        let decoder = UnsafeMutablePointer<cnx_png_decoder>.allocate(capacity: 1)
        decoder.initialize(to: cnx_png_decoder())
        defer {
            cnx_png_end(decoder)
            decoder.deinitialize(count: 1)
            decoder.deallocate()
        }
        return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> DecodedImage in
            guard let base = raw.bindMemory(to: UInt8.self).baseAddress else { throw ImageError.empty(source: source) }
            if cnx_png_begin(decoder, base, raw.count, UInt32(maxDimension)) != 0 {
                throw pngError(decoder, source: source)
            }
            let d = decoder.pointee
            let width = Int(d.width), height = Int(d.height), channels = Int(d.channels)
            try checkSize(width: width, height: height, source: source)
            guard (1...4).contains(channels), d.bit_depth == 8 || d.bit_depth == 16,
                  d.row_bytes == width * channels * Int(d.bit_depth) / 8 else {
                throw ImageError.unsupportedLayout(source: source, format: .png,
                                                   detail: "\(channels) channels of \(d.bit_depth) bits after expansion")
            }
            let (stored, status) = decoderOutput(height * d.row_bytes) { cnx_png_finish(decoder, $0) }
            if status != 0 { throw pngError(decoder, source: source) }
            let rgb = pillowRGB(fromPNGSamples: stored, pixelCount: width * height,
                                channels: channels, sixteenBit: d.bit_depth == 16)
            return DecodedImage(width: width, height: height, pixels: rgb)
        }
    }

    /// Pillow's `convert("RGB")` of a PNG's stored samples (big-endian when 16-bit):
    /// gray is replicated, alpha dropped; 16-bit samples keep their high byte, except 16-bit gray
    /// without alpha, which Pillow opens as `I;16` and clamps to 0...255.
    static func pillowRGB(fromPNGSamples stored: [UInt8], pixelCount n: Int, channels: Int, sixteenBit: Bool) -> [UInt8] {
        let bytesPerSample = sixteenBit ? 2 : 1
        let stride = channels * bytesPerSample
        let isGray = channels <= 2
        let clampGray16 = sixteenBit && channels == 1
        return [UInt8](unsafeUninitializedCapacity: n * 3) { out, initialized in
            stored.withUnsafeBufferPointer { src in
                for i in 0..<n {
                    let p = i * stride
                    for c in 0..<3 {
                        let s = p + (isGray ? 0 : c * bytesPerSample)
                        let value: UInt8
                        if clampGray16 {
                            value = src[s] == 0 ? src[s + 1] : 255
                        } else {
                            value = src[s]  // the 8-bit sample, or the high byte of a 16-bit one
                        }
                        out[i * 3 + c] = value
                    }
                }
            }
            initialized = n * 3
        }
    }

    private static func pngError(_ decoder: UnsafeMutablePointer<cnx_png_decoder>, source: String) -> ImageError {
        let message = withUnsafeBytes(of: decoder.pointee.message) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        let reason = message.isEmpty ? "unknown libpng error" : message
        if decoder.pointee.ran_out != 0 || reason.contains("Not enough image data") {
            return .truncated(source: source, format: .png, reason: reason)
        }
        return .corrupt(source: source, format: .png, reason: reason)
    }
}
