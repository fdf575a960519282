import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

@Suite("Compiled model file (.cnx)")
struct ModelFileTests {
    static let weights = ConvNeXtV2Weights.synthetic(config: ModelConfig(.atto), seed: 21)

    static func graph() throws -> Graph { try Compiler.compile(weights, height: 64, width: 96) }

    static func input() -> [Float] {
        var rng = SplitMix64(seed: 9)
        return (0..<(3 * 64 * 96)).map { _ in rng.nextGaussian() }
    }

    /// Writes `data` to a fresh temporary file and returns its path.
    static func temporary(_ data: Data) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cnx-\(UUID().uuidString).cnx").path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    static func load(_ data: Data) throws -> Graph {
        let path = try temporary(data)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ModelFile.load(path: path)
    }

    /// `data` with its checksum recomputed, so a corruption reaches the table decoder.
    static func resealed(_ data: Data) -> Data {
        var d = data
        let sum = d.withUnsafeBytes { ModelFileFormat.checksum($0) }
        withUnsafeBytes(of: sum.littleEndian) { d.replaceSubrange(48..<56, with: $0) }
        return d
    }

    @Test("round trip: compile → write → load → run equals running the compiled graph", arguments: [1, 2], [false, true])
    func roundTrip(threads: Int, foldGRN: Bool) throws {
        let graph = try Compiler.compile(Self.weights, height: 64, width: 96, options: CompilerOptions(foldGRN: foldGRN))
        let path = try Self.temporary(try ModelFileWriter.encode(graph))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try CompiledModel(contentsOf: path, backend: SwiftBackend(options: ExecutionOptions(threads: threads)))
        #expect(loaded.graph.ops == graph.ops)
        #expect(loaded.graph.tensors == graph.tensors)
        #expect(loaded.graph.constants.isEmpty, "weights must come from the map, not copies")
        #expect(loaded.plan == MemoryPlanner.plan(graph) { loaded.backend.scratchBytes(for: graph.ops[$0], in: graph) })
        let direct = try runCompiled(graph, Self.input(), threads: threads)
        #expect(try loaded.predict(Self.input()) == direct)
    }

    @Test("wrong magic, wrong version, truncation, bad checksum, trailing bytes: each its typed error")
    func typedErrors() throws {
        let good = try ModelFileWriter.encode(try Self.graph())
        var magic = good; magic[0] = UInt8(ascii: "X")
        #expect(throws: ModelFileError.wrongMagic) { try Self.load(magic) }
        for found: UInt8 in [1, 2, 3, 6] {
            var version = good; version[8] = found
            #expect(throws: ModelFileError.unsupportedVersion(found: UInt32(found), supported: 5)) { try Self.load(version) }
        }
        for cut in [0, 7, 8, 63, 64, 100, good.count / 2, good.count - 1] {
            let expected = cut < 64 ? 64 : good.count
            #expect(throws: ModelFileError.truncated(expectedBytes: expected, foundBytes: cut)) { try Self.load(good.prefix(cut)) }
        }
        for position in [70, good.count / 2, good.count - 3] {
            var flipped = good; flipped[position] ^= 0x40
            #expect {
                try Self.load(flipped)
            } throws: { error in
                if case .checksumMismatch = error as? ModelFileError { return true } else { return false }
            }
        }
        #expect(throws: ModelFileError.corrupt(reason: "4 trailing bytes", offset: good.count)) { try Self.load(good + Data(count: 4)) }
        #expect(throws: ModelFileError.unreadable(path: "/nonexistent/model.cnx", reason: "No such file or directory")) {
            try ModelFile.load(path: "/nonexistent/model.cnx")
        }
    }

    @Test("every table byte corrupted (checksum resealed) gives a typed error or a valid graph, never a crash")
    func corruptTables() throws {
        // A tiny network keeps the file (and the thousands of loads) small.
        let tiny = ConvNeXtV2Weights.synthetic(config: ModelConfig(dims: [8, 16, 8, 16], depths: [1, 1, 1, 1], numClasses: 10))
        let good = try ModelFileWriter.encode(try Compiler.compile(tiny, height: 32, width: 32))
        let tablesEnd = 64 + Int(good.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self) })
        var errors = 0
        for position in stride(from: 16, to: tablesEnd, by: 3) {
            for pattern: UInt8 in [0xFF, 0x01] {
                var bad = good
                bad[position] ^= pattern
                do { _ = try Self.load(Self.resealed(bad)) } catch is ModelFileError { errors += 1 }
            }
        }
        print("corrupt tables: \(errors) typed errors")
        #expect(errors > 0)
    }
}
