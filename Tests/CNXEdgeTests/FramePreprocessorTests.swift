@testable import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// Camera frames: pixel formats, the fast frame path against a float64 reference of its own
/// definition, and against timm's exact transform on the eval images.
@Suite("Frame preprocessing")
struct FramePreprocessorTests {
    /// A frame's bytes in `format` from interleaved RGB (`rowPadding` extra bytes per row);
    /// YUV with BT.601 limited range, chroma averaged over each 2x2 (NV12/NV21) or 2x1 (YUYV) group.
    static func frame(_ rgb: DecodedImage, _ format: PixelFormat, rowPadding: Int = 0) -> (bytes: [UInt8], stride: Int) {
        let w = rgb.width, h = rgb.height
        func px(_ x: Int, _ y: Int) -> (Double, Double, Double) {
            let i = (y * w + x) * 3
            return (Double(rgb.pixels[i]), Double(rgb.pixels[i + 1]), Double(rgb.pixels[i + 2]))
        }
        func yuv(_ p: (Double, Double, Double)) -> (Double, Double, Double) {
            let ey = (0.299 * p.0 + 0.587 * p.1 + 0.114 * p.2) / 255
            return (16 + 219 * ey, 128 + 224 * (p.2 / 255 - ey) / 1.772, 128 + 224 * (p.0 / 255 - ey) / 1.402)
        }
        func byte(_ v: Double) -> UInt8 { UInt8(min(max(v.rounded(), 0), 255)) }
        let rowBytes = w * format.bytesPerPixel + rowPadding
        switch format {
        case .rgb8, .bgr8, .rgba8, .bgra8:
            var out = [UInt8](repeating: 7, count: rowBytes * h)
            for y in 0..<h { for x in 0..<w {
                let p = px(x, y), o = y * rowBytes + x * format.bytesPerPixel
                let c = [byte(p.0), byte(p.1), byte(p.2)]
                let order = format == .rgb8 || format == .rgba8 ? [0, 1, 2] : [2, 1, 0]
                for k in 0..<3 { out[o + k] = c[order[k]] }
                if format.bytesPerPixel == 4 { out[o + 3] = 255 }
            } }
            return (out, rowBytes)
        case .nv12, .nv21:
            var out = [UInt8](repeating: 7, count: rowBytes * h * 3 / 2)
            for y in 0..<h { for x in 0..<w { out[y * rowBytes + x] = byte(yuv(px(x, y)).0) } }
            for y in stride(from: 0, to: h, by: 2) { for x in stride(from: 0, to: w, by: 2) {
                let q = [yuv(px(x, y)), yuv(px(x + 1, y)), yuv(px(x, y + 1)), yuv(px(x + 1, y + 1))]
                let u = q.map { $0.1 }.reduce(0, +) / 4, v = q.map { $0.2 }.reduce(0, +) / 4
                let o = h * rowBytes + (y / 2) * rowBytes + x
                out[o] = byte(format == .nv12 ? u : v); out[o + 1] = byte(format == .nv12 ? v : u)
            } }
            return (out, rowBytes)
        case .yuyv:
            var out = [UInt8](repeating: 7, count: rowBytes * h)
            for y in 0..<h { for x in stride(from: 0, to: w, by: 2) {
                let a = yuv(px(x, y)), b = yuv(px(x + 1, y)), o = y * rowBytes + x * 2
                out[o] = byte(a.0); out[o + 1] = byte((a.1 + b.1) / 2); out[o + 2] = byte(b.0); out[o + 3] = byte((a.2 + b.2) / 2)
            } }
            return (out, rowBytes)
        }
    }

    static func tensor(_ pre: FramePreprocessor, _ bytes: [UInt8], _ w: Int, _ h: Int, _ stride: Int, _ format: PixelFormat) throws -> [Float] {
        try bytes.withUnsafeBytes { try pre.tensor(from: PixelBuffer(pixels: $0.baseAddress, width: w, height: h, rowStride: stride, format: format)) }
    }

    static func randomImage(width: Int, height: Int, seed: UInt64) -> DecodedImage {
        var rng = SplitMix64(seed: seed)
        // Smooth gradients plus noise, so resampling matters and every byte value occurs.
        let pixels = (0..<(width * height * 3)).map { i -> UInt8 in
            let x = (i / 3) % width, y = (i / 3) / width, c = i % 3
            let base = 128 + 100 * sin(Double(x) * 0.05 * Double(c + 1)) * cos(Double(y) * 0.03)
            return UInt8(min(max(base + 40 * Double(rng.nextGaussian()), 0), 255))
        }
        return DecodedImage(width: width, height: height, pixels: pixels)
    }

    /// The fast path's definition in float64, written from the documentation (not from the code):
    /// k x k box means of RGB (converted from YUV block means), then per axis the filter
    /// `bicubic((x + 0.5 - c) / s)`, `c = ((crop + j + 0.5) * scale - origin) / k`, `s = max(scale / k, 1)`,
    /// taps within the reduced image, normalised; clamp, then `(v / 255 - mean) / std`.
    static func reference(_ rgb: DecodedImage, _ pre: ImagePreprocessor, k: Int, originX: Int, originY: Int) -> [Double] {
        let resized = pre.resizedSize(imageHeight: rgb.height, imageWidth: rgb.width)
        let (top, left) = pre.cropOrigin(resizedHeight: resized.height, resizedWidth: resized.width)
        let sx = Double(rgb.width) / Double(resized.width), sy = Double(rgb.height) / Double(resized.height)
        let bw = (rgb.width - originX) / k, bh = (rgb.height - originY) / k
        func box(_ bx: Int, _ by: Int, _ c: Int) -> Double {
            var s = 0.0
            for y in 0..<k { for x in 0..<k { s += Double(rgb.pixels[((originY + by * k + y) * rgb.width + originX + bx * k + x) * 3 + c]) } }
            return s / Double(k * k)
        }
        func cubic(_ x: Double) -> Double {
            let a = -0.5, x = abs(x)
            return x < 1 ? ((a + 2) * x - (a + 3)) * x * x + 1 : x < 2 ? (((x - 5) * x + 8) * x - 4) * a : 0
        }
        func weights(_ j: Int, crop: Int, scale: Double, origin: Int, blocks: Int) -> [(Int, Double)] {
            let s = max(scale / Double(k), 1), c = ((Double(crop + j) + 0.5) * scale - Double(origin)) / Double(k)
            let taps = (max(Int((c - 2 * s + 0.5).rounded(.down)), 0)..<min(Int((c + 2 * s + 0.5).rounded(.down)), blocks)).map { ($0, cubic((Double($0) + 0.5 - c) / s)) }
            let total = taps.map(\.1).reduce(0, +)
            return taps.map { ($0.0, $0.1 / total) }
        }
        var out = [Double](repeating: 0, count: pre.tensorCount)
        for i in 0..<pre.height {
            let wy = weights(i, crop: top, scale: sy, origin: originY, blocks: bh)
            for j in 0..<pre.width {
                let wx = weights(j, crop: left, scale: sx, origin: originX, blocks: bw)
                for c in 0..<3 {
                    var v = 0.0
                    for (y, a) in wy { for (x, b) in wx { v += a * b * box(x, y, c) } }
                    v = min(max(v, 0), 255)
                    out[c * pre.height * pre.width + i * pre.width + j] = (v / 255 - Double(pre.mean[c])) / Double(pre.std[c])
                }
            }
        }
        return out
    }

    @Test("fast path equals its float64 definition (rgb8 frames at several box factors)", arguments: [(200, 150, 4), (97, 61, 1), (640, 480, 13)])
    func matchesDefinition(width: Int, height: Int, k: Int) throws {
        let image = Self.randomImage(width: width, height: height, seed: UInt64(width))
        let pre = ImagePreprocessor(size: 32)
        let fast = FramePreprocessor(pre)
        let (bytes, stride) = Self.frame(image, .rgb8, rowPadding: 5)
        let frame = bytes.withUnsafeBytes { PixelBuffer(pixels: $0.baseAddress, width: width, height: height, rowStride: stride, format: .rgb8) }
        let plan = try #require(fast.makePlan(frame))
        #expect(plan.k == k)
        let ours = try Self.tensor(fast, bytes, width, height, stride, .rgb8)
        let expected = Self.reference(image, pre, k: plan.k, originX: plan.x.origin, originY: plan.y.origin)
        let worst = zip(ours, expected).map { abs(Double($0) - $1) }.max()!
        #expect(worst < 2e-4, "max |fast - reference| \(worst)")
    }

    @Test("every pixel format of one picture: packed orders bit-identical, NV12 = NV21, YUV close to RGB")
    func formats() throws {
        let image = Self.randomImage(width: 1280, height: 720, seed: 3)
        let fast = FramePreprocessor(ImagePreprocessor(size: 224))
        let rgb = try Self.tensor(fast, Self.frame(image, .rgb8).bytes, 1280, 720, 1280 * 3, .rgb8)
        for format in [PixelFormat.bgr8, .rgba8, .bgra8] {
            let (bytes, stride) = Self.frame(image, format, rowPadding: 12)
            #expect(try Self.tensor(fast, bytes, 1280, 720, stride, format) == rgb, "\(format)")
        }
        let nv12 = try Self.tensor(fast, Self.frame(image, .nv12).bytes, 1280, 720, 1280, .nv12)
        #expect(try Self.tensor(fast, Self.frame(image, .nv21).bytes, 1280, 720, 1280, .nv21) == nv12)
        let yuyv = try Self.tensor(fast, Self.frame(image, .yuyv).bytes, 1280, 720, 2560, .yuyv)
        // YUV rounding and chroma subsampling of a noisy picture: within a few codes.
        for t in [nv12, yuyv] {
            let worst = zip(t, rgb).map { abs($0 - $1) }.max()!
            #expect(worst < 0.25, "worst |yuv - rgb| \(worst) (normalised units; 1 code is about 0.017)")
            #expect(relativeL2Error(t, rgb) < 0.02)
        }
        // A separate chroma plane gives the same result as the contiguous layout.
        let (bytes, _) = Self.frame(image, .nv12)
        let split = try bytes.withUnsafeBytes { all in
            try fast.tensor(from: PixelBuffer(luma: all.baseAddress, lumaRowStride: 1280, chroma: all.baseAddress! + 1280 * 720,
                                              chromaRowStride: 1280, width: 1280, height: 720, format: .nv12))
        }
        #expect(split == nv12)
    }

    @Test("bad pixel buffers: each a typed error")
    func badBuffers() throws {
        let fast = FramePreprocessor(ImagePreprocessor(size: 32))
        let bytes = [UInt8](repeating: 0, count: 64 * 64 * 4)
        try bytes.withUnsafeBytes { b in
            let p = b.baseAddress
            #expect(throws: PixelBufferError.missingPixels) { try fast.tensor(from: PixelBuffer(pixels: nil, width: 8, height: 8, rowStride: 24, format: .rgb8)) }
            #expect(throws: PixelBufferError.invalidSize(width: 0, height: 8)) { try fast.tensor(from: PixelBuffer(pixels: p, width: 0, height: 8, rowStride: 24, format: .rgb8)) }
            #expect(throws: PixelBufferError.invalidSize(width: 8, height: -1)) { try fast.tensor(from: PixelBuffer(pixels: p, width: 8, height: -1, rowStride: 24, format: .rgb8)) }
            #expect(throws: PixelBufferError.strideTooSmall(stride: 20, minimum: 24)) { try fast.tensor(from: PixelBuffer(pixels: p, width: 8, height: 8, rowStride: 20, format: .rgb8)) }
            #expect(throws: PixelBufferError.oddSize(format: .nv12, width: 9, height: 8)) { try fast.tensor(from: PixelBuffer(pixels: p, width: 9, height: 8, rowStride: 16, format: .nv12)) }
            #expect(throws: PixelBufferError.oddSize(format: .yuyv, width: 7, height: 8)) { try fast.tensor(from: PixelBuffer(pixels: p, width: 7, height: 8, rowStride: 16, format: .yuyv)) }
        }
        #expect("\(PixelBufferError.unknownFormat(9))".contains("unknown pixel format 9"))
    }

    @Test("small frames (below the crop size) and tiny frames still give a tensor, finite")
    func smallFrames() throws {
        let fast = FramePreprocessor(ImagePreprocessor(size: 224))
        for (w, h) in [(160, 120), (2, 2), (1, 1), (3000, 8)] {
            let image = Self.randomImage(width: w, height: h, seed: 5)
            let t = try Self.tensor(fast, Self.frame(image, .rgb8).bytes, w, h, w * 3, .rgb8)
            #expect(t.count == 3 * 224 * 224 && t.allSatisfy(\.isFinite), "\(w)x\(h)")
        }
    }

    /// Whether `fast` and `exact` have the same top-1, and the SQNR of `fast` against `exact` in dB.
    static func compare(_ fast: [Float], _ exact: [Float]) -> (sameTop1: Bool, sqnr: Double) {
        func best(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }
        var signal = 0.0, noise = 0.0
        for i in exact.indices {
            let e = Double(exact[i]), d = Double(fast[i]) - e
            signal += e * e
            noise += d * d
        }
        return (best(fast) == best(exact), 10 * log10(signal / max(noise, 1e-30)))
    }

    /// `image` enlarged `factor` times by bilinear interpolation (a stand-in for a high-resolution
    /// camera frame of the same scene).
    static func upscaled(_ image: DecodedImage, by factor: Int) -> DecodedImage {
        let w = image.width * factor, h = image.height * factor
        var out = [UInt8](repeating: 0, count: w * h * 3)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<h {
                let fy = max(0, (Double(y) + 0.5) / Double(factor) - 0.5), y0 = min(Int(fy), image.height - 1), y1 = min(y0 + 1, image.height - 1)
                let ay = fy - Double(y0)
                for x in 0..<w {
                    let fx = max(0, (Double(x) + 0.5) / Double(factor) - 0.5), x0 = min(Int(fx), image.width - 1), x1 = min(x0 + 1, image.width - 1)
                    let ax = fx - Double(x0)
                    for c in 0..<3 {
                        func p(_ xx: Int, _ yy: Int) -> Double { Double(src[(yy * image.width + xx) * 3 + c]) }
                        let v = (p(x0, y0) * (1 - ax) + p(x1, y0) * ax) * (1 - ay) + (p(x0, y1) * (1 - ax) + p(x1, y1) * ax) * ay
                        out[(y * w + x) * 3 + c] = UInt8(v.rounded())
                    }
                }
            }
        }
        return DecodedImage(width: w, height: h, pixels: out)
    }

    /// The eval images' logits through the exact transform and through the fast frame path, as
    /// RGB frames of the decoded pixels and as NV12 frames made from them (against the exact
    /// transform of the same NV12 frame converted to RGB), at the images' own size (about 500x375:
    /// box factor 1) and enlarged 4 times (about 2000x1500, box factor 4, like a 1080p-4K frame).
    @Test("fast frame path against timm's exact transform on the eval images (trained Atto, fp32): top-1 agreement >= 99%")
    func agreementOnEvalImages() throws {
        let classifier = try Classifier(contentsOf: ReferenceFiles.reference("trained/convnextv2_atto_exemplar.safetensors"))
        let dir = ReferenceFiles.shared.appendingPathComponent("eval-images")
        var files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        if let limit = ProcessInfo.processInfo.environment["CNX_EDGE_TEST_EVAL_LIMIT"].flatMap(Int.init) { files = Array(files.prefix(limit)) }
        let session = try classifier.makeSession()
        let variants = ["rgb8", "nv12", "rgb8 x4", "nv12 x4"]
        var agree = [String: Int](), sqnr = [String: [Double]]()
        for file in files {
            let decoded = try ImageDecoder.decode(path: dir.appendingPathComponent(file).path)
            let big = Self.upscaled(decoded, by: 4)
            for variant in variants {
                let image = variant.hasSuffix("x4") ? big : decoded
                let format: PixelFormat = variant.hasPrefix("nv12") ? .nv12 : .rgb8
                var w = image.width, h = image.height
                if format == .nv12 { w &= ~1; h &= ~1 }
                let cropped = w == image.width && h == image.height ? image
                    : DecodedImage(width: w, height: h, pixels: (0..<h).flatMap { y in image.pixels[(y * image.width * 3)..<(y * image.width * 3 + w * 3)] })
                let (bytes, stride) = Self.frame(cropped, format)
                let (fast, exact) = try bytes.withUnsafeBytes { b in
                    let frame = PixelBuffer(pixels: b.baseAddress, width: w, height: h, rowStride: stride, format: format)
                    return (try session.logits(for: session.tensor(from: frame)),
                            try session.logits(for: session.preprocessor.tensor(from: format == .rgb8 ? cropped : frame.rgbImage())))
                }
                let (same, db) = Self.compare(fast, exact)
                if same { agree[variant, default: 0] += 1 }
                sqnr[variant, default: []].append(db)
            }
        }
        for variant in variants {
            let s = sqnr[variant]!.sorted()
            let rate = Double(agree[variant, default: 0]) / Double(files.count)
            print("frame path \(variant) vs exact: top-1 agreement \(agree[variant, default: 0])/\(files.count), logits SQNR median \(String(format: "%.1f", s[s.count / 2])) dB, min \(String(format: "%.1f", s[0])) dB")
            #expect(rate >= 0.99, "\(variant): top-1 agreement \(rate)")
        }
    }

    /// Eval images enlarged 4 times (about 2000x1500) and stored as JPEG (quality 95): the full
    /// decode against the reduced-scale one (1/4 here), both through the exact transform.
    /// CNX_EDGE_SAVE_LARGE_JPEGS=DIR keeps the files (for timing `cnx-edge run --fast-decode`).
    @Test("reduced-scale JPEG decode against the full decode on large JPEGs (trained Atto, fp32): top-1 agreement >= 99%")
    func reducedJPEGDecode() throws {
        let classifier = try Classifier(contentsOf: ReferenceFiles.reference("trained/convnextv2_atto_exemplar.safetensors"))
        let dir = ReferenceFiles.shared.appendingPathComponent("eval-images")
        var files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        if let limit = ProcessInfo.processInfo.environment["CNX_EDGE_TEST_EVAL_LIMIT"].flatMap(Int.init) { files = Array(files.prefix(limit)) }
        let keep = ProcessInfo.processInfo.environment["CNX_EDGE_SAVE_LARGE_JPEGS"]
        let session = try classifier.makeSession()
        let need = session.preprocessor.minimumSourceShortSide
        var agree = 0, sqnr: [Double] = []
        for file in files {
            let big = Self.upscaled(try ImageDecoder.decode(path: dir.appendingPathComponent(file).path), by: 4)
            let jpeg = try #require(ImageDecoder.encodeJPEG(big))
            if let keep { try jpeg.write(to: URL(fileURLWithPath: keep).appendingPathComponent(file)) }
            let full = try ImageDecoder.decode(jpeg, source: file)
            let reduced = try ImageDecoder.decode(jpeg, source: file, minimumShortSide: need)
            // At least the needed size, and under twice it unless 1/8 (the largest reduction) was used.
            let short = min(reduced.width, reduced.height)
            #expect(short >= need && (short < 2 * need || short == (min(big.width, big.height) + 7) / 8), "\(reduced.width)x\(reduced.height)")
            let exact = try session.logits(for: session.preprocessor.tensor(from: full))
            let fast = try session.logits(for: session.preprocessor.tensor(from: reduced))
            let (same, db) = Self.compare(fast, exact)
            if same { agree += 1 }
            sqnr.append(db)
        }
        sqnr.sort()
        print("reduced JPEG decode vs full: top-1 agreement \(agree)/\(files.count), logits SQNR median \(String(format: "%.1f", sqnr[sqnr.count / 2])) dB, min \(String(format: "%.1f", sqnr[0])) dB")
        #expect(Double(agree) >= 0.99 * Double(files.count))
        // A small image is never reduced.
        let small = try ImageDecoder.decode(path: dir.appendingPathComponent(files[0]).path, minimumShortSide: need)
        #expect(small == (try ImageDecoder.decode(path: dir.appendingPathComponent(files[0]).path)))
    }
}
