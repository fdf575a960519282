import Foundation
import Testing
import ZIPFoundation
@testable import CNXEdge

/// `PyTorchCheckpoint`: the official ConvNeXt V2 `.pt` against the same weights as safetensors, the
/// pickle and zip features a real checkpoint may use, and hostile inputs that must each end in a
/// typed ``WeightLoadingError``.
@Suite("PyTorchCheckpoint")
struct PyTorchCheckpointTests {
    /// `<repo>/../shared/reference/<name>`, from this file's place in `Tests/CNXEdgeTests/`.
    static func reference(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/reference").appendingPathComponent(name).path
    }

    static let officialPath = reference("convnextv2_atto_official.pt")
    static let safetensorsPath = reference("convnextv2_atto.safetensors")

    static func mapped(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    }

    // MARK: - The official checkpoint

    @Test("every tensor of the official .pt equals its safetensors twin bit for bit")
    func officialTensorsMatchSafetensors() throws {
        let official = try PyTorchCheckpoint.parse(Self.mapped(Self.officialPath))
        let timm = try SafeTensors.parse(Self.mapped(Self.safetensorsPath))
        #expect(official.count == 140)
        #expect(official.count == timm.count)
        #expect(official["downsample_layers.0.0.weight"]?.shape == [40, 3, 4, 4])
        #expect(official["stages.0.0.grn.gamma"]?.shape == [1, 1, 1, 160])
        for (name, tensor) in official {
            let canonical = try #require(CheckpointNaming.canonicalName(name, scheme: .official), "no timm name for \(name)")
            let twin = try #require(timm[canonical], "\(name) -> \(canonical) not in the safetensors file")
            #expect(tensor.dtype == .float32 && twin.dtype == .float32, "\(name)")
            #expect(tensor.count == twin.count, "\(name): \(tensor.shape) vs \(twin.shape)")
            // GRN is [1,1,1,C] in the official code, [C] in timm; timm's MLP is a 1x1 conv, [out,in,1,1].
            #expect(tensor.shape.filter { $0 != 1 } == twin.shape.filter { $0 != 1 }, "\(name): \(tensor.shape) vs \(twin.shape)")
            #expect(tensor.bytes == twin.bytes, "\(name) differs from \(canonical)")
            #expect(tensor.bytes.startIndex > 0, "\(name) should be a slice of the mapped file, not a copy")
        }
    }

    @Test("WeightLoader gives the same model from the .pt and the safetensors file")
    func officialModelMatchesSafetensorsModel() throws {
        let official = try WeightLoader.load(path: Self.officialPath, expected: .atto)
        let timm = try WeightLoader.load(path: Self.safetensorsPath, expected: .atto)
        #expect(official.config.dims == timm.config.dims && official.config.depths == timm.config.depths)
        let a = Self.fields(official), b = Self.fields(timm)
        #expect(a.map(\.name) == b.map(\.name))
        for (x, y) in zip(a, b) {
            #expect(x.values.map(\.bitPattern) == y.values.map(\.bitPattern), "\(x.name) differs")
        }
    }

    static func fields(_ w: ConvNeXtV2Weights) -> [(name: String, values: [Float])] {
        var out: [(String, [Float])] = [("stem.w", w.stemWeight), ("stem.b", w.stemBias),
                                        ("stem.ln.g", w.stemNorm.gamma), ("stem.ln.b", w.stemNorm.beta)]
        for (s, stage) in w.stages.enumerated() {
            if let d = stage.downsample {
                out += [("s\(s).ds.ln.g", d.norm.gamma), ("s\(s).ds.ln.b", d.norm.beta),
                        ("s\(s).ds.w", d.convWeight), ("s\(s).ds.b", d.convBias)]
            }
            for (i, b) in stage.blocks.enumerated() {
                let p = "s\(s).b\(i)."
                out += [(p + "dw.w", b.dwconvWeight), (p + "dw.b", b.dwconvBias), (p + "ln.g", b.norm.gamma),
                        (p + "ln.b", b.norm.beta), (p + "fc1.w", b.fc1Weight), (p + "fc1.b", b.fc1Bias),
                        (p + "grn.g", b.grnGamma), (p + "grn.b", b.grnBeta), (p + "fc2.w", b.fc2Weight), (p + "fc2.b", b.fc2Bias)]
            }
        }
        out += [("head.ln.g", w.headNorm.gamma), ("head.ln.b", w.headNorm.beta), ("head.w", w.headWeight), ("head.b", w.headBias)]
        return out
    }

    @Test("a deflate-compressed copy under another prefix reads the same")
    func deflatedCopyUnderAnotherPrefix() throws {
        let original = try Archive(url: URL(fileURLWithPath: Self.officialPath), accessMode: .read)
        var entries: [(String, Data)] = []
        for entry in original {
            var contents = Data()
            _ = try original.extract(entry) { contents.append($0) }
            let rest = entry.path.split(separator: "/", maxSplits: 1)[1]
            entries.append(("some other_name/\(rest)", contents))
        }
        let copy = try ZipFixture.make(entries, method: .deflate)
        let reread = try PyTorchCheckpoint.parse(copy)
        let direct = try PyTorchCheckpoint.parse(Self.mapped(Self.officialPath))
        #expect(reread.count == direct.count)
        for (name, tensor) in direct {
            #expect(reread[name]?.bytes == tensor.bytes, "\(name)")
            #expect(reread[name]?.shape == tensor.shape, "\(name)")
        }
    }
}

/// Builds zip archives in memory with ZIPFoundation.
enum ZipFixture {
    static func make(_ entries: [(String, Data)], method: CompressionMethod = .none) throws -> Data {
        let archive = try Archive(accessMode: .create)
        for (path, contents) in entries {
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(contents.count), compressionMethod: method) { position, size in
                let start = contents.startIndex + Int(position)
                return contents.subdata(in: start..<(start + size))
            }
        }
        return try #require(archive.data)
    }

    /// A checkpoint directory `ckpt/` holding `pickle`, the storages by key and a byteorder entry.
    static func checkpoint(_ pickle: [UInt8], storages: [String: Data] = [:], byteorder: String? = "little") throws -> Data {
        var entries: [(String, Data)] = [("ckpt/data.pkl", Data(pickle))]
        if let byteorder { entries.append(("ckpt/byteorder", Data(byteorder.utf8))) }
        for key in storages.keys.sorted() { entries.append(("ckpt/data/\(key)", storages[key]!)) }
        entries.append(("ckpt/version", Data("3\n".utf8)))
        return try make(entries)
    }
}

/// Little-endian bytes of float32 values.
func float32Bytes(_ values: [Float], bigEndian: Bool = false) -> Data {
    Data(values.flatMap { v -> [UInt8] in
        let le = withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init)
        return bigEndian ? le.reversed() : le
    })
}
