@testable import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

@Suite("Weight loading: formats, names, validation")
struct WeightLoadingTests {
    static let attoPath = ReferenceFiles.reference("convnextv2_atto.safetensors")

    static func attoTensors() throws -> [RawTensor] {
        Array(try WeightLoader.readArchive(path: attoPath).values)
    }

    static func load(_ tensors: [RawTensor], expected: ModelSize? = nil) throws -> ConvNeXtV2Weights {
        try ConvNeXtV2Weights(archive: WeightLoader.readArchive(data: SafeTensorsEncoder.encode(tensors)), expected: expected)
    }

    @Test("sizes are inferred from shapes for every reference checkpoint and dtype")
    func inferSizes() throws {
        for (file, size, params) in [("convnextv2_atto.safetensors", ModelSize.atto, 3_708_400),
                                     ("convnextv2_femto.f16.safetensors", .femto, 5_233_240),
                                     ("convnextv2_pico.bf16.safetensors", .pico, 9_066_280)] {
            let w = try WeightLoader.load(path: ReferenceFiles.reference(file))
            #expect(w.config.size == size)
            #expect(w.config.parameterCount == params, "\(size): parameter count from the manifest")
        }
    }

    @Test("F16 and BF16 widen exactly")
    func halfWidening() {
        #expect(Float(halfBits: 0x3C00) == 1)
        #expect(Float(halfBits: 0xC000) == -2)
        #expect(Float(halfBits: 0x0001) == 0x1p-24)
        #expect(Float(halfBits: 0x7BFF) == 65504)
        #expect(Float(halfBits: 0x7C00) == .infinity)
        #expect(Float(halfBits: 0x7E00).isNaN)
        let bf = RawTensor(name: "x", dtype: .bfloat16, shape: [2], bytes: Data([0x80, 0x3F, 0x49, 0xC0]))
        #expect(bf.floats() == [1, -3.140625])
    }

    @Test("Hugging Face transformers names load to the same weights as timm names")
    func transformersNames() throws {
        let timm = try Self.attoTensors()
        let renamed = timm.map { t -> RawTensor in
            var r = t
            r.name = Self.transformersName(t.name)
            // transformers stores pwconv as Linear [out, in] and GRN as [1, 1, 1, C].
            if t.name.contains("mlp.fc") { r.shape = Array(t.shape.prefix(2)) }
            if t.name.contains("mlp.grn") { r.shape = [1, 1, 1, t.shape[0]] }
            return r
        }
        let a = try Self.load(timm), b = try Self.load(renamed)
        #expect(b.config == a.config)
        #expect(b.stemWeight == a.stemWeight && b.headWeight == a.headWeight && b.headNorm.gamma == a.headNorm.gamma)
        for s in 0..<4 {
            #expect(b.stages[s].downsample?.convWeight == a.stages[s].downsample?.convWeight)
            for (x, y) in zip(a.stages[s].blocks, b.stages[s].blocks) {
                #expect(x.dwconvWeight == y.dwconvWeight && x.fc1Weight == y.fc1Weight && x.fc2Bias == y.fc2Bias)
                #expect(x.grnGamma == y.grnGamma && x.grnBeta == y.grnBeta && x.norm.beta == y.norm.beta)
            }
        }
    }

    /// timm name → transformers name.
    static func transformersName(_ n: String) -> String {
        var p = n.split(separator: ".").map(String.init)
        if p[0] == "stem" { return "convnextv2.embeddings." + (p[1] == "0" ? "patch_embeddings." : "layernorm.") + p[2] }
        if p[0] == "head" { return (p[1] == "fc" ? "classifier." : "convnextv2.layernorm.") + p[2] }
        if p[2] == "downsample" { return "convnextv2.encoder.stages.\(p[1]).downsampling_layer.\(p[3]).\(p[4])" }
        let leaf = ["conv_dw": "dwconv", "norm": "layernorm"][p[4]] ?? ["fc1": "pwconv1", "fc2": "pwconv2", "grn": "grn"][p[5]]!
        let param = p.last!
        p = ["convnextv2", "encoder", "stages", p[1], "layers", p[3], leaf, param]
        return p.joined(separator: ".")
    }

    @Test("model size is checked when one is asked for")
    func modelMismatch() throws {
        #expect(throws: WeightLoadingError.modelMismatch(requested: "pico", found: "convnextv2_atto")) {
            try WeightLoader.load(path: Self.attoPath, expected: .pico)
        }
    }

    @Test("a missing tensor is named")
    func missingTensor() throws {
        let tensors = try Self.attoTensors().filter { $0.name != "stages.2.blocks.3.mlp.grn.bias" }
        #expect(throws: WeightLoadingError.missingTensor("stages.2.blocks.3.mlp.grn.bias")) { try Self.load(tensors) }
    }

    @Test("a wrong shape names the tensor, expected and found")
    func wrongShape() throws {
        let tensors = try Self.attoTensors().map { t in
            t.name == "stages.1.blocks.0.conv_dw.weight" ? SafeTensorsEncoder.f32(t.name, [80, 1, 5, 5], .init(repeating: 0, count: 2000)) : t
        }
        #expect(throws: WeightLoadingError.shapeMismatch(tensor: "stages.1.blocks.0.conv_dw.weight", expected: [80, 1, 7, 7], found: [80, 1, 5, 5])) {
            try Self.load(tensors)
        }
    }

    @Test("a NaN weight is refused")
    func nanWeight() throws {
        let tensors = try Self.attoTensors().map { t in
            t.name == "head.fc.bias" ? SafeTensorsEncoder.f32(t.name, [1000], (0..<1000).map { $0 == 7 ? .nan : 0 }) : t
        }
        #expect(throws: WeightLoadingError.nonFiniteValue(tensor: "head.fc.bias", index: 7)) { try Self.load(tensors) }
    }

    @Test("empty, garbage and legacy-pickle files get typed errors")
    func unrecognized() throws {
        #expect(throws: WeightLoadingError.emptyFile(path: "<memory>")) { try WeightLoader.readArchive(data: Data()) }
        #expect(throws: WeightLoadingError.self) { try WeightLoader.readArchive(data: Data("hello world".utf8)) }
        #expect(throws: WeightLoadingError.self) { try WeightLoader.readArchive(data: Data([0x80, 0x02, 0x8A, 0x0A])) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnx-empty-\(getpid())")
        #expect(FileManager.default.createFile(atPath: dir.path, contents: Data()))
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: WeightLoadingError.emptyFile(path: dir.path)) { try WeightLoader.load(path: dir.path) }
        #expect(throws: WeightLoadingError.self) { try WeightLoader.load(path: "/nonexistent/weights.safetensors") }
    }

    @Test("a truncated safetensors file is an error at every cut, never a crash")
    func truncated() throws {
        let full = try Data(contentsOf: URL(fileURLWithPath: Self.attoPath))
        let headerEnd = 8 + Int(full.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect(throws: WeightLoadingError.truncated(what: "safetensors header length", offset: 0, needed: 8, available: 5)) {
            try SafeTensors.parse(full.prefix(5))
        }
        for cut in [9, 100, headerEnd - 1, headerEnd, headerEnd + 1000, full.count - 1] {
            #expect(throws: WeightLoadingError.self, "cut at \(cut)") { try WeightLoader.readArchive(data: full.prefix(cut)) }
        }
        // Cut in the data: the error names a tensor whose range runs past the end.
        do {
            _ = try SafeTensors.parse(full.prefix(full.count - 1))
            Issue.record("no error")
        } catch let WeightLoadingError.tensorOutOfBounds(_, _, end, limit) {
            #expect(end > limit && limit == full.count - 1)
        }
    }

    @Test("a header that lies about offsets, sizes or its own length is refused")
    func lyingHeader() throws {
        let t = SafeTensorsEncoder.f32("w", [2, 2], [1, 2, 3, 4])
        func patched(_ transform: (inout [String: Any]) -> Void) -> Data {
            let good = SafeTensorsEncoder.encode([t])
            let n = Int(good.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            var header = try! JSONSerialization.jsonObject(with: good[8..<(8 + n)]) as! [String: Any]
            transform(&header)
            let json = try! JSONSerialization.data(withJSONObject: header)
            var out = Data()
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
            return out + json + good[(8 + n)...]
        }
        #expect(try SafeTensors.parse(patched { _ in })["w"]?.floats() == [1, 2, 3, 4])
        let beyond = patched { $0["w"] = ["dtype": "F32", "shape": [2, 2], "data_offsets": [0, 1600]] }
        let dataStart = 8 + Int(beyond.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect(throws: WeightLoadingError.tensorOutOfBounds(tensor: "w", begin: dataStart, end: dataStart + 1600, limit: beyond.count)) {
            try SafeTensors.parse(beyond)
        }
        let inverted = patched { $0["w"] = ["dtype": "F32", "shape": [2, 2], "data_offsets": [16, 0]] }
        #expect(throws: WeightLoadingError.self) { try SafeTensors.parse(inverted) }
        let wrongSize = patched { $0["w"] = ["dtype": "F32", "shape": [3, 2], "data_offsets": [0, 16]] }
        #expect(throws: WeightLoadingError.sizeMismatch(tensor: "w", shape: [3, 2], dtype: "F32", expectedBytes: 24, foundBytes: 16)) {
            try SafeTensors.parse(wrongSize)
        }
        let hugeShape = patched { $0["w"] = ["dtype": "F32", "shape": [1 << 40, 1 << 40], "data_offsets": [0, 16]] }
        #expect(throws: WeightLoadingError.self) { try SafeTensors.parse(hugeShape) }
        let negative = patched { $0["w"] = ["dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 16]] }
        #expect(throws: WeightLoadingError.self) { try SafeTensors.parse(negative) }
        let float64 = patched { $0["w"] = ["dtype": "F64", "shape": [2], "data_offsets": [0, 16]] }
        #expect(throws: WeightLoadingError.unsupportedDType(tensor: "w", dtype: "F64")) { try SafeTensors.parse(float64) }
        var longHeader = SafeTensorsEncoder.encode([t])
        longHeader.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        #expect(throws: WeightLoadingError.self) { try SafeTensors.parse(longHeader) }
        var notJSON = SafeTensorsEncoder.encode([t])
        notJSON[9] = UInt8(ascii: "#")
        #expect(throws: WeightLoadingError.malformedHeader(reason: "header is not valid JSON", offset: 8)) { try SafeTensors.parse(notJSON) }
    }
}
