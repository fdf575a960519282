import CNXEdge
@testable import CNXEdgeRuntime
import Foundation
import Testing
import _CNXEdgeTestSupport

/// `.cnx` files whose checksum is valid but whose numbers are not (another tool wrote them, or a
/// fuzzer resealed them); models held in memory; decoding with the checksum skipped.
@Suite("Compiled model file (.cnx), numerics at load and in-memory models")
struct ModelFileNumericsTests {
    static let tinyWeights = ConvNeXtV2Weights.synthetic(config: ModelConfig(dims: [8, 16, 8, 16], depths: [1, 1, 1, 1], numClasses: 10))

    static func decode(_ data: Data, checksum: ModelFile.Checksum = .verify) throws -> Graph {
        try data.withUnsafeBytes { try ModelFile.decode(MappedFile(copying: $0), checksum: checksum) }
    }

    /// Each stored float constant of `data` (name, file offset, float count), from the decoder.
    static func floatConstants(_ data: Data) throws -> [(name: String, offset: Int, count: Int)] {
        try data.withUnsafeBytes { bytes in
            let file = MappedFile(copying: bytes)
            let graph = try ModelFile.decode(file)
            return graph.packedConstants.filter { $0.value.layout.dataType == .float32 }.map { id, c in
                (graph[id].name, file.bytes.baseAddress!.distance(to: c.base), c.floatCount)
            }.sorted { $0.offset < $1.offset }
        }
    }

    @Test("a NaN, +Inf or -Inf in any float constant, checksum valid: nonFiniteConstant naming the tensor, element and byte",
          arguments: [false, true])
    func nonFiniteConstants(int8: Bool) throws {
        let graph = int8 ? ModelFileInt8Tests.tiny : try Compiler.compile(Self.tinyWeights, height: 32, width: 32)
        let good = try ModelFileWriter.encode(graph)
        let constants = try Self.floatConstants(good)
        #expect(constants.count >= (int8 ? 10 : 20), "\(constants.count) float constants")
        var checked = 0
        for (k, c) in constants.enumerated() {
            // A different element each time: the first, the last, and ones between.
            let element = [0, c.count - 1, c.count / 2, min(c.count - 1, 17)][k % 4]
            let value: Float = [.nan, .infinity, -.infinity][k % 3]
            var bad = good
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bad.replaceSubrange((c.offset + 4 * element)..<(c.offset + 4 * element + 4), with: $0) }
            let expected = ModelFileError.nonFiniteConstant(tensor: c.name, element: element, value: value, offset: c.offset + 4 * element)
            #expect {
                try ModelFileTests.load(ModelFileTests.resealed(bad))
            } throws: { error in
                // NaN != NaN, so compare the NaN case by its description.
                (error as? ModelFileError).map { "\($0)" == "\(expected)" } ?? false
            }
            checked += 1
        }
        #expect(checked == constants.count)
        // The largest finite values still load.
        var big = good
        let c = try #require(constants.first)
        withUnsafeBytes(of: Float.greatestFiniteMagnitude.bitPattern.littleEndian) { big.replaceSubrange(c.offset..<(c.offset + 4), with: $0) }
        _ = try ModelFileTests.load(ModelFileTests.resealed(big))
    }

    @Test("a NaN, infinite or negative LayerNorm epsilon, checksum valid: a typed error at its byte")
    func badEpsilon() throws {
        let good = try ModelFileWriter.encode(try Compiler.compile(Self.tinyWeights, height: 32, width: 32))
        let records = ModelFileInt8Tests.records(good)
        // Each op record's epsilon is the 4 bytes before its parameter count.
        let offsets = records.parameters.map { $0 - 4 }.filter { o in good[o..<(o + 4)].contains { $0 != 0 } }
        #expect(!offsets.isEmpty, "ops with an epsilon")
        for (k, offset) in offsets.enumerated() {
            let value: Float = [.nan, .infinity, -1e-6][k % 3]
            var bad = good
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bad.replaceSubrange(offset..<(offset + 4), with: $0) }
            #expect {
                try ModelFileTests.load(ModelFileTests.resealed(bad))
            } throws: { error in
                guard case let .corrupt(reason, at) = error as? ModelFileError else { return false }
                return at == offset && reason.contains("epsilon")
            }
        }
    }

    @Test("a model from memory: the same graph and logits as from its file, and it outlives the caller's bytes")
    func fromMemory() throws {
        let graph = try Compiler.compile(ModelFileTests.weights, height: 64, width: 96)
        var data = try ModelFileWriter.encode(graph)
        let loaded = try data.withUnsafeBytes { try CompiledModel(graph: ModelFile.decode(MappedFile(copying: $0, name: "atto")), backend: SwiftBackend()) }
        data.resetBytes(in: 0..<data.count)  // the model holds its own copy
        #expect(loaded.graph.ops == graph.ops)
        #expect(try loaded.predict(ModelFileTests.input()) == (try runCompiled(graph, ModelFileTests.input(), threads: 1)))
        #expect(MappedFile(copying: UnsafeRawBufferPointer(start: nil, count: 0)).bytes.isEmpty)
        #expect(throws: ModelFileError.truncated(expectedBytes: 64, foundBytes: 0)) {
            try ModelFile.decode(MappedFile(copying: UnsafeRawBufferPointer(start: nil, count: 0)))
        }
    }

    @Test("checksum .skip: a changed weight byte decodes (and still runs), .verify refuses it")
    func skipChecksum() throws {
        let good = try ModelFileWriter.encode(try Compiler.compile(Self.tinyWeights, height: 32, width: 32))
        let c = try #require(try Self.floatConstants(good).first)
        var changed = good
        changed[c.offset] ^= 0x01
        #expect {
            try Self.decode(changed)
        } throws: { error in
            if case .checksumMismatch = error as? ModelFileError { return true } else { return false }
        }
        let graph = try Self.decode(changed, checksum: .skip)
        let model = try CompiledModel(graph: graph, backend: SwiftBackend())
        var rng = SplitMix64(seed: 3)
        #expect(try model.predict((0..<(3 * 32 * 32)).map { _ in rng.nextGaussian() }).allSatisfy(\.isFinite))
        // Skipping the checksum skips nothing else: the non-finite check still runs.
        var nan = good
        withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { nan.replaceSubrange(c.offset..<(c.offset + 4), with: $0) }
        #expect {
            try Self.decode(nan, checksum: .skip)
        } throws: { error in
            if case .nonFiniteConstant = error as? ModelFileError { return true } else { return false }
        }
    }

    @Test("firstNonFinite against a plain scan, every position and special value, odd lengths")
    func firstNonFiniteScan() {
        for count in [1, 7, 8, 9, 31, 64, 1001] {
            // Finite values up to the largest, both signs, subnormals and zeros.
            let pattern: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0, 1]
            var finite: [Float] = []
            for i in 0..<count {
                let scale: Float = i % 3 == 0 ? 1 : 0.5
                finite.append(pattern[i % 5] * scale)
            }
            let bits = finite.map(\.bitPattern)
            #expect(bits.withUnsafeBufferPointer { ModelFileTables.firstNonFinite($0.baseAddress!, count: count) } == nil)
            for position in Set([0, count / 2, count - 1]) {
                for special: Float in [.nan, .infinity, -.infinity, .signalingNaN] {
                    var b = bits
                    b[position] = special.bitPattern
                    if position + 1 < count { b[count - 1] = Float.nan.bitPattern }
                    #expect(b.withUnsafeBufferPointer { ModelFileTables.firstNonFinite($0.baseAddress!, count: count) } == position)
                }
            }
        }
    }
}

/// Inputs the fuzz targets (Fuzz/) found crashing, kept as files in Fixtures/fuzz/ and named by
/// what they broke; each must now give a typed error or a model that runs, on every provider.
@Suite("Fuzzer findings, replayed")
struct FuzzFindingTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz")

    static func files(_ suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
    }

    @Test(".cnx reproducers: decoded with the checksum skipped, as the fuzz target does, then prepared and run everywhere",
          arguments: files(".cnx"))
    func cnx(_ name: String) throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(name))
        let expected: [String: String] = ["cnx-layout-conflict.cnx": "by one op and as"]
        do {
            let graph = try data.withUnsafeBytes { try ModelFile.decode(MappedFile(copying: $0), checksum: .skip) }
            #expect(expected[name] == nil, "\(name) decodes; expected an error containing \(expected[name] ?? "")")
            for backend in BackendChoice.allCases.filter(\.isAvailable) {
                let model = try CompiledModel(graph: graph, backend: backend.makeBackend())
                if graph.inputHeight * graph.inputWidth <= 64 * 64 {
                    _ = try model.predict([Float](repeating: 0.5, count: 3 * graph.inputHeight * graph.inputWidth))
                }
            }
        } catch let error as ModelFileError {
            if let text = expected[name] { #expect("\(error)".contains(text), "\(name): \(error)") }
        }
    }

    @Test("a constant an op reads, listed without data: the graph verifier's typed error")
    func unstoredConstant() throws {
        let good = try ModelFileWriter.encode(try Compiler.compile(ModelFileNumericsTests.tinyWeights, height: 32, width: 32))
        let records = ModelFileInt8Tests.records(good)
        var refused = 0
        // Each constant record with data: set its data byte count (the record's last 8 bytes) to 0.
        for (i, start) in records.tensors.enumerated() where i + 1 < records.tensors.count {
            let end = records.tensors[i + 1]
            guard good[start] == 2, good[(end - 8)..<end].contains(where: { $0 != 0 }) else { continue }  // constants with data
            var bad = good
            for k in (end - 8)..<end { bad[k] = 0 }
            #expect {
                try ModelFileTests.load(ModelFileTests.resealed(bad))
            } throws: { error in
                guard case let .invalidGraph(e) = error as? ModelFileError else { return false }
                return "\(e)".contains("has no values")
            }
            refused += 1
        }
        #expect(refused >= 20)
    }
}
