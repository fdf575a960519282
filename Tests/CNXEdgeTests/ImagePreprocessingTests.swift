import Foundation
import Testing
@testable import CNXEdge
import _CNXEdgeTestSupport

/// `Tests/CNXEdgeTests/Fixtures`, written once by `scripts/make-image-fixtures.py` (Pillow).
enum ImageFixtures {
    struct Tensor: Decodable {
        var file: String
        var height: Int
        var width: Int
        var cropPercent: Double
        var resizeRule: String
        var filter: String
        var passOrder: String
    }

    struct Entry: Decodable, CustomTestStringConvertible {
        var file: String
        var width: Int
        var height: Int
        var pillowMode: String
        var tensors: [Tensor]
        var testDescription: String { "\(file) (Pillow mode \(pillowMode))" }
    }

    private struct Manifest: Decodable { var images: [Entry] }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static let entries: [Entry] = {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("manifest.json")),
              let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else { return [] }
        return manifest.images
    }()

    static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    static func data(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }

    /// Largest and mean absolute difference.
    static func absoluteErrors(_ a: [Float], _ b: [Float]) -> (max: Float, mean: Double) {
        precondition(a.count == b.count)
        var worst: Float = 0, total = 0.0
        for i in a.indices {
            let d = abs(a[i] - b[i])
            worst = max(worst, d)
            total += Double(d)
        }
        return (worst, total / Double(max(a.count, 1)))
    }

    /// Little-endian float32 file.
    static func floats(_ name: String) throws -> [Float] {
        let data = try data(name)
        return data.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

@Suite("Image preprocessing: timm eval transform")
struct ImagePreprocessingTests {
    /// timm's transform of real photos, as stored with the reference vectors.
    static let referenceImages: [(vectors: String, tensor: String, image: String)] = {
        var cases: [(String, String, String)] = []
        if let manifest = try? ReferenceFiles.manifest(), let models = manifest["models"] as? [String: Any] {
            for (_, value) in models.sorted(by: { $0.key < $1.key }) {
                guard let model = value as? [String: Any], let files = model["files"] as? [String: Any],
                      let vectors = files["vectors"] as? String, let inputs = model["inputs"] as? [String: Any] else { continue }
                for tag in ["input_image_0", "input_image_1"] {
                    if let input = inputs[tag] as? [String: Any], let file = input["file"] as? String {
                        cases.append((vectors, tag, "images/" + file))
                    }
                }
            }
        }
        let trained = ReferenceFiles.reference("trained/vectors.json")
        if let data = FileManager.default.contents(atPath: trained),
           let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let images = json["images"] as? [String] {
            for (i, file) in images.enumerated() {
                cases.append(("trained/convnextv2_atto_exemplar_vectors.safetensors", "input_image_\(i)", "eval-images/" + file))
            }
        }
        return cases
    }()

    @Test("reference images match timm within 0.05 max / 0.005 mean (exact in practice)")
    func referenceImagesMatchTimm() throws {
        #expect(Self.referenceImages.count == 8, "expected 6 model images and 2 trained-exemplar images")
        let preprocessor = ImagePreprocessor()
        for c in Self.referenceImages {
            let expected = try #require(try ReferenceFiles.vectors(c.vectors)[c.tensor])
            #expect(expected.shape == [1, 3, 224, 224])
            let image = try ImageDecoder.decode(path: ReferenceFiles.shared.appendingPathComponent(c.image).path)
            let ours = preprocessor.tensor(from: image)
            let (maxError, meanError) = ImageFixtures.absoluteErrors(ours, expected.values)
            print("reference \(c.image): max abs error \(maxError), mean abs error \(meanError)")
            #expect(maxError <= 0.05 && meanError <= 0.005, "\(c.image): max \(maxError) mean \(meanError)")
            #expect(maxError <= 1e-6, "\(c.image) is no longer bit-exact: max \(maxError)")
        }
    }

    @Test("fixture tensors match the Pillow/timm emulation bit for bit",
          arguments: ImageFixtures.entries.filter { !$0.tensors.isEmpty })
    func fixtureTensors(_ entry: ImageFixtures.Entry) throws {
        let image = try ImageDecoder.decode(path: ImageFixtures.path(entry.file))
        for t in entry.tensors {
            let rule = try #require(ResizeRule(rawValue: t.resizeRule))
            let filter = try #require(ResampleFilter(rawValue: t.filter))
            let order = try #require(ResamplePassOrder(rawValue: t.passOrder))
            let defaults = ImagePreprocessor(height: t.height, width: t.width, cropPercent: t.cropPercent)
            let p = ImagePreprocessor(height: t.height, width: t.width, cropPercent: t.cropPercent,
                                      resizeRule: rule, filter: filter, passOrder: order)
            let expected = try ImageFixtures.floats(t.file)
            let ours = p.tensor(from: image)
            #expect(ours.count == expected.count)
            let mismatches = zip(ours, expected).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(mismatches == 0, "\(t.file): \(mismatches) of \(expected.count) values differ")
            // The generator leaves rule/filter unset to record timm's defaults; those must agree.
            if defaults.resizeRule == rule && defaults.filter == filter && defaults.passOrder == order {
                #expect(defaults.tensor(from: image) == ours)
            }
        }
    }

    @Test("timm's choices: square uses shorter side + bicubic, non-square keep-ratio + bilinear")
    func defaults() {
        let square = ImagePreprocessor()
        #expect(square.height == 224 && square.width == 224 && square.scaleHeight == 256 && square.scaleWidth == 256)
        #expect(square.resizeRule == .shorterSide && square.filter == .bicubic)
        let wide = ImagePreprocessor(height: 160, width: 256)
        #expect(wide.scaleHeight == 182 && wide.scaleWidth == 292)
        #expect(wide.resizeRule == .keepRatio && wide.filter == .bilinear)
        #expect(ImagePreprocessor(height: 160, width: 256, resizeRule: .squash).filter == .bicubic)
        #expect(square.tensorCount == 3 * 224 * 224)
    }

    @Test("resize sizes follow torchvision and timm rounding")
    func resizeSizes() {
        let p = ImagePreprocessor()
        // torchvision: shorter side 256, longer int(256 * long / short).
        #expect(p.resizedSize(imageHeight: 375, imageWidth: 500) == (256, 341))
        #expect(p.resizedSize(imageHeight: 500, imageWidth: 333) == (384, 256))
        #expect(p.resizedSize(imageHeight: 1, imageWidth: 1) == (256, 256))
        #expect(p.resizedSize(imageHeight: 5, imageWidth: 3) == (426, 256))
        #expect(p.resizedSize(imageHeight: 256, imageWidth: 256) == (256, 256))
        // timm ResizeKeepRatio: round-half-even of side / min ratio.
        let wide = ImagePreprocessor(height: 160, width: 256)
        #expect(wide.resizedSize(imageHeight: 375, imageWidth: 500) == (219, 292))
        #expect(wide.resizedSize(imageHeight: 100, imageWidth: 1000) == (182, 1820))
        let squash = ImagePreprocessor(height: 160, width: 256, resizeRule: .squash)
        #expect(squash.resizedSize(imageHeight: 375, imageWidth: 500) == (182, 292))
    }

    @Test("center crop origin uses Python's round-half-even, padding when the image is smaller")
    func cropOrigins() {
        let p = ImagePreprocessor()
        #expect(p.cropOrigin(resizedHeight: 256, resizedWidth: 341) == (16, 58))  // 117 / 2 = 58.5 -> 58
        #expect(p.cropOrigin(resizedHeight: 257, resizedWidth: 259) == (16, 18))  // 16.5 -> 16, 17.5 -> 18
        #expect(p.cropOrigin(resizedHeight: 224, resizedWidth: 224) == (0, 0))
        #expect(p.cropOrigin(resizedHeight: 179, resizedWidth: 200) == (-22, -12))  // pads 22/23 and 12/12
    }

    @Test("pass order follows the Pillow release")
    func passOrders() {
        // Square pipeline, 300x700 -> 256x597: the height loses 103 > 2 * 44 pixels.
        #expect(ResamplePassOrder.pillow13.verticalFirst(inHeight: 700, inWidth: 300, outHeight: 597, outWidth: 256))
        #expect(!ResamplePassOrder.pillow13.verticalFirst(inHeight: 375, inWidth: 500, outHeight: 256, outWidth: 341))
        #expect(!ResamplePassOrder.pillow13.verticalFirst(inHeight: 100, inWidth: 30, outHeight: 853, outWidth: 256))
        #expect(!ResamplePassOrder.pillow12_2.verticalFirst(inHeight: 700, inWidth: 300, outHeight: 597, outWidth: 256))
        #expect(ResamplePassOrder.pillow12_2.verticalFirst(inHeight: 2100, inWidth: 20, outHeight: 1890, outWidth: 18))
        #expect(!ResamplePassOrder.pillow12_1.verticalFirst(inHeight: 2100, inWidth: 20, outHeight: 1890, outWidth: 18))
    }

    @Test("tiny images are upsampled, extreme aspect ratios stay cheap")
    func tinyAndExtreme() {
        let p = ImagePreprocessor()
        let one = DecodedImage(width: 1, height: 1, pixels: [255, 0, 128])
        let t = p.tensor(from: one)
        #expect(t.count == 3 * 224 * 224)
        #expect(t[0] == (1 - 0.485) / 0.229 && t[224 * 224] == (0 - 0.456) / 0.224)
        // 3000x1: the resized image would be 768000 x 256; only the crop is computed.
        let strip = DecodedImage(width: 3000, height: 1, pixels: [UInt8](repeating: 77, count: 9000))
        let s = p.tensor(from: strip)
        #expect(s.allSatisfy { $0 == s[0] || $0 == s[224 * 224] || $0 == s[2 * 224 * 224] })
    }

    @Test("writeTensor fills a batch slot like tensor(from:)")
    func writeIntoBuffer() throws {
        let image = try ImageDecoder.decode(path: ImageFixtures.path("photo72x54.png"))
        let p = ImagePreprocessor(size: 32)
        var batch = [Float](repeating: .nan, count: 2 * p.tensorCount)
        batch.withUnsafeMutableBufferPointer { p.writeTensor(from: image, into: UnsafeMutableBufferPointer(rebasing: $0[p.tensorCount...])) }
        #expect(Array(batch[p.tensorCount...]) == p.tensor(from: image))
        #expect(batch[0].isNaN)
    }
}
