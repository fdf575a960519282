import Foundation
import Testing
@testable import CNXEdge

@Suite("Image preprocessing: decoding like Pillow's convert(\"RGB\")")
struct ImagePreprocessingDecodingTests {
    @Test("decoded bytes equal Pillow's", arguments: ImageFixtures.entries)
    func matchesPillow(_ entry: ImageFixtures.Entry) throws {
        let image = try ImageDecoder.decode(path: ImageFixtures.path(entry.file))
        #expect(image.width == entry.width && image.height == entry.height)
        let expected = [UInt8](try ImageFixtures.data(entry.file + ".rgb"))
        #expect(image.pixels.count == expected.count)
        let differing = zip(image.pixels, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(entry.file): \(differing) of \(expected.count) bytes differ from Pillow")
    }

    @Test("the format comes from the bytes, not the file name")
    func sniffsContent() throws {
        let png = try ImageFixtures.data("photo72x54.png")
        let image = try ImageDecoder.decode(png, source: "misnamed.jpg")
        #expect(image.width == 72 && image.height == 54)
        #expect(ImageDecoder.sniff(try ImageFixtures.data("gray.jpg")) == .jpeg)
    }

    /// Throws the error `decode` throws, or records an issue when it succeeds.
    private func decodeError(_ data: Data, source: String = "test") -> ImageError? {
        do {
            let image = try ImageDecoder.decode(data, source: source)
            Issue.record("\(source): decoded to \(image.width)x\(image.height) instead of failing")
            return nil
        } catch let error as ImageError {
            return error
        } catch {
            Issue.record("\(source): untyped error \(error)")
            return nil
        }
    }

    @Test("empty, non-image and unsupported inputs")
    func notImages() {
        #expect(decodeError(Data(), source: "zero.jpg") == .empty(source: "zero.jpg"))
        #expect(decodeError(Data("hello, world\n".utf8)) == .notAnImage(source: "test"))
        #expect(decodeError(Data([0xFF])) == .notAnImage(source: "test"))
        #expect(decodeError(Data("GIF89a\u{1}\0\u{1}\0".utf8)) == .unsupportedFormat(source: "test", format: "GIF"))
        #expect(decodeError(Data("RIFF\0\0\0\0WEBPVP8 ".utf8)) == .unsupportedFormat(source: "test", format: "WebP"))
        #expect(decodeError(Data([0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0])) == .unsupportedFormat(source: "test", format: "TIFF"))
    }

    @Test("unreadable paths")
    func unreadable() {
        let missing = "/nonexistent/cnx-edge/image.jpg"
        #expect(throws: ImageError.unreadable(source: missing, reason: "no such file")) { try ImageDecoder.decode(path: missing) }
        let directory = ImageFixtures.directory.path
        #expect(throws: ImageError.unreadable(source: directory, reason: "is a directory")) { try ImageDecoder.decode(path: directory) }
    }

    @Test("a truncated file is an error, never a partly gray image",
          arguments: ["color420.jpg", "progressive444.jpg", "gray.jpg", "cmyk.jpg", "ycck.jpg",
                      "photo72x54.png", "interlaced.png", "palette.png", "rgba16.png"])
    func truncated(_ name: String) throws {
        let data = try ImageFixtures.data(name)
        let format: ImageFormat = name.hasSuffix(".png") ? .png : .jpeg
        // Cuts inside the headers, inside the compressed data and just before the end marker.
        for cut in [4, 9, 30, data.count / 3, data.count / 2, data.count - 16] {
            guard let error = decodeError(data.prefix(cut), source: name) else { continue }
            switch error {
            case .truncated(let source, let f, _), .corrupt(let source, let f, _):
                #expect(source == name && f == format)
            case .notAnImage where cut < 8 && format == .png:
                break  // a PNG signature cut short is not a PNG signature
            default:
                Issue.record("\(name) cut at \(cut): \(error)")
            }
        }
        // Most cuts inside the compressed data must say "truncated", not just "corrupt".
        let error = decodeError(data.prefix(data.count / 2), source: name)
        guard case .truncated = error else { Issue.record("\(name) cut in half: \(String(describing: error))"); return }
    }

    @Test("corrupt compressed data is an error")
    func corrupt() throws {
        var jpeg = try ImageFixtures.data("color420.jpg")
        let start = jpeg.count / 2
        for i in start..<(start + 64) { jpeg[i] = 0xFF &- jpeg[i] &* 7 }  // garbage in the scan
        if let error = decodeError(jpeg, source: "bad.jpg") {
            switch error {
            case .corrupt, .truncated: break
            default: Issue.record("bad.jpg: \(error)")
            }
        }
        var png = try ImageFixtures.data("photo72x54.png")
        for i in 60..<90 { png[i] ^= 0x5A }  // IDAT bytes: CRC and zlib both fail
        if let error = decodeError(png, source: "bad.png") {
            guard case .corrupt(_, .png, let reason) = error else { Issue.record("bad.png: \(error)"); return }
            #expect(!reason.isEmpty)
        }
    }

    /// A PNG with IHDR `width` x `height` and nothing after it.
    private func pngHeader(width: UInt32, height: UInt32) -> Data {
        var d = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        d += Data("IHDR".utf8)
        for v in [width, height] { d += Data([UInt8(v >> 24), UInt8((v >> 16) & 255), UInt8((v >> 8) & 255), UInt8(v & 255)]) }
        d += Data([8, 2, 0, 0, 0, 0, 0, 0, 0])
        return d
    }

    /// `gray.jpg` with its SOF frame size replaced.
    private func jpegWithSize(width: UInt16, height: UInt16) throws -> Data {
        var d = try ImageFixtures.data("gray.jpg")
        let sof = try #require((0..<(d.count - 1)).first { d[$0] == 0xFF && (0xC0...0xC2).contains(d[$0 + 1]) })
        d[sof + 5] = UInt8(height >> 8); d[sof + 6] = UInt8(height & 255)
        d[sof + 7] = UInt8(width >> 8); d[sof + 8] = UInt8(width & 255)
        return d
    }

    @Test("zero-sized and oversized images are refused before allocating")
    func sizeLimits() throws {
        #expect(decodeError(pngHeader(width: 0, height: 10)) == .zeroSize(source: "test", width: 0, height: 10))
        let limits = (ImageDecoder.maxDimension, ImageDecoder.maxPixels)
        #expect(decodeError(pngHeader(width: 40_000, height: 10))
                == .tooLarge(source: "test", width: 40_000, height: 10, maxDimension: limits.0, maxPixels: limits.1))
        #expect(decodeError(pngHeader(width: 20_000, height: 20_000))
                == .tooLarge(source: "test", width: 20_000, height: 20_000, maxDimension: limits.0, maxPixels: limits.1))
        #expect(decodeError(try jpegWithSize(width: 50_000, height: 50_000))
                == .tooLarge(source: "test", width: 50_000, height: 50_000, maxDimension: limits.0, maxPixels: limits.1))
        // A plausible size whose data is far too short: truncated, not a crash or a gray image.
        let error = decodeError(try jpegWithSize(width: 4000, height: 3000))
        switch error {
        case .truncated?, .corrupt?: break
        default: Issue.record("enlarged gray.jpg: \(String(describing: error))")
        }
    }

    @Test("errors read as one line naming the source")
    func messages() {
        let e = ImageError.truncated(source: "a.jpg", format: .jpeg, reason: "Premature end of JPEG file")
        #expect(e.description == "a.jpg: truncated JPEG file: Premature end of JPEG file")
        #expect(ImageError.empty(source: "b.png").description.hasPrefix("b.png: "))
    }

    @Test("Pillow's CMYK rule on extreme values")
    func cmykRule() {
        // Stored (inverted) samples: K stored 255 means no black; C stored 255 means no cyan.
        let rgb = ImageDecoder.pillowRGB(fromInvertedCMYK: [255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 128, 64, 200, 200])
        #expect(Array(rgb[0..<9]) == [255, 255, 255, 0, 0, 0, 0, 0, 0])
        // nk = 200: C = 127 -> 200 - (127*200 + 128 + ((127*200 + 128) >> 8)) >> 8.
        func pillow(_ c: Int, _ nk: Int) -> UInt8 { let t = c * nk + 128; return UInt8(nk - (((t >> 8) + t) >> 8)) }
        #expect(Array(rgb[9..<12]) == [pillow(127, 200), pillow(191, 200), pillow(55, 200)])
    }
}
