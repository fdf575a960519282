import CNXEdge
@testable import CNXEdgeRuntime
import Foundation
import Testing
import _CNXEdgeTestSupport

/// `.cnx` version 2 with int8 graphs: round trip, packed layouts, and hostile int8 fields.
@Suite("Compiled model file (.cnx), int8")
struct ModelFileInt8Tests {
    /// `weights` compiled at `height`x`width`, calibrated on the Swift backend over `images` random
    /// inputs, and quantized with the default options.
    static func int8Graph(_ weights: ConvNeXtV2Weights, height: Int, width: Int, images: Int = 3) throws -> Graph {
        let graph = try Compiler.compile(weights, height: height, width: width)
        var rng = SplitMix64(seed: 5)
        let inputs = (0..<images).map { _ in (0..<(3 * height * width)).map { _ in rng.nextGaussian() } }
        let statistics = try Quantizer.calibrate(graph, backend: SwiftBackend(), inputs: inputs)
        return try Quantizer.quantize(graph, statistics: statistics)
    }

    static let atto: Graph = try! int8Graph(.synthetic(config: ModelConfig(.atto), seed: 21), height: 64, width: 64)
    static let tiny: Graph = try! int8Graph(.synthetic(config: ModelConfig(dims: [8, 16, 8, 16], depths: [1, 1, 1, 1], numClasses: 10)),
                                            height: 32, width: 32, images: 2)

    static func input(_ h: Int, _ w: Int) -> [Float] {
        var rng = SplitMix64(seed: 9)
        return (0..<(3 * h * w)).map { _ in rng.nextGaussian() }
    }

    /// Byte offsets of each tensor record and op record in an encoded file (a reader of the v2
    /// layout written out independently of the library's).
    struct Records {
        var tensors: [Int] = []
        var types: [UInt8] = []
        var layouts: [UInt8] = []
        /// Offset of the quantization (scale f32, zero point i32) of each uint8 tensor, by index.
        var quantization: [Int: Int] = [:]
        var ops: [Int] = []
        /// Offset of each op record's parameter count byte.
        var parameters: [Int] = []
    }

    static func records(_ d: Data) -> Records {
        var r = Records()
        var o = 64
        func u8() -> UInt8 { defer { o += 1 }; return d[o] }
        func u16() -> Int { defer { o += 2 }; return Int(d[o]) | Int(d[o + 1]) << 8 }
        func u32() -> Int { defer { o += 4 }; return (0..<4).reduce(0) { $0 | Int(d[o + $1]) << (8 * $1) } }
        o += 16
        let tensors = u32(), ops = u32()
        for i in 0..<tensors {
            r.tensors.append(o)
            _ = u8(); let type = u8(); let rank = Int(u8()); let layout = u8()
            r.types.append(type); r.layouts.append(layout)
            o += u16() + 8 * rank + 16
            if type == 2 { r.quantization[i] = o; o += 8 }
        }
        for _ in 0..<ops {
            r.ops.append(o)
            _ = u8(); let slots = Int(u8())
            o += 4 * slots + 4
            r.parameters.append(o)
            let count = Int(u8())
            for _ in 0..<count { _ = u8(); o += Int(u8()) }
        }
        return r
    }

    static func load(_ data: Data) throws -> Graph { try ModelFileTests.load(ModelFileTests.resealed(data)) }

    static func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in d: inout Data) {
        withUnsafeBytes(of: value.littleEndian) { d.replaceSubrange(offset..<(offset + MemoryLayout<T>.size), with: $0) }
    }

    /// Whether `body` throws a ``ModelFileError/corrupt(reason:offset:)`` whose reason contains `text`.
    static func expectCorrupt(_ text: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        #expect(sourceLocation: sourceLocation) { try body() } throws: { error in
            guard case let .corrupt(reason, _) = error as? ModelFileError else { return false }
            return reason.contains(text)
        }
    }

    @Test("int8 Atto round trip: same graph, constants borrowed from the map, bit-identical logits", arguments: [1, 3])
    func roundTrip(threads: Int) throws {
        let graph = Self.atto
        #expect(!graph.integerConstants.isEmpty)
        let data = try ModelFileWriter.encode(graph)
        let path = try ModelFileTests.temporary(data)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let backend = SwiftBackend(options: ExecutionOptions(threads: threads))
        let loaded = try CompiledModel(contentsOf: path, backend: backend)
        #expect(loaded.graph.ops == graph.ops)
        #expect(loaded.graph.tensors == graph.tensors, "data types and quantization survive")
        #expect(loaded.graph.constants.isEmpty && loaded.graph.integerConstants.isEmpty, "weights must come from the map, not copies")
        for t in graph.usedConstants {
            let c = try #require(loaded.graph.packedConstants[t])
            switch graph[t].dataType {
            case .int8: #expect([.int8PointwisePanels, .int8FloatPanels, .int8Raw].contains(c.layout))
            case .int32: #expect(c.layout == .int32Bias16)
            default: #expect(c.layout.dataType == .float32)
            }
        }
        // The Swift backend's int8 convolutions read the file's bytes where they are.
        var borrowed = 0, folded = 0
        for (i, op) in backend.prepared.enumerated() {
            let conv: Int8Conv, weight: TensorID, bias: TensorID
            switch (op, graph.ops[i]) {
            case let (.int8(.pointwiseGELU(_, c, _)), .pointwiseGELU(p)): (conv, weight, bias) = (c, p.weight, p.bias)
            case let (.int8(.pointwise(_, c)), .pointwise(p)): (conv, weight, bias) = (c, p.weight, p.bias)
            case let (.int8(.downsample(_, _, c)), .downsample(p)): (conv, weight, bias) = (c, p.weight, p.bias)
            case let (.int8(.foldedPointwise(_, f)), .pointwise(p)):
                // A folded GRN's 1x1 reads its stored codes, steps, float bias and γ in place.
                #expect(UnsafeRawPointer(f.codes.panels.base) == loaded.graph.packedConstants[p.weight]?.base)
                #expect(UnsafeRawPointer(f.bias.base) == loaded.graph.packedConstants[p.bias]?.base)
                #expect(UnsafeRawPointer(f.weightScale.base) == loaded.graph.packedConstants[p.int8!.weightScale]?.base)
                #expect(UnsafeRawPointer(f.gamma.base) == loaded.graph.packedConstants[p.inputScale!.gamma]?.base)
                folded += 1
                continue
            default: continue
            }
            #expect(UnsafeRawPointer(conv.weights.panels.base) == loaded.graph.packedConstants[weight]?.base)
            #expect(UnsafeRawPointer(conv.weights.bias.base) == loaded.graph.packedConstants[bias]?.base)
            borrowed += 1
        }
        #expect(borrowed == graph.integerConstants.keys.filter { graph[$0].dataType == .int32 }.count)
        #expect(folded > 0 && folded == graph.ops.filter { if case let .pointwise(p) = $0 { p.inputScale != nil } else { false } }.count,
                "every int8 block's GRN is folded into its 1x1")
        // The float ops the quantizer kept (at least the head) store int8 weights, read in place too.
        let weightOnly = graph.ops.filter { if case let .head(p) = $0 { p.weightOnly != nil } else { false } }
        #expect(weightOnly.count == 1, "the head's weights are weight-only int8")
        let direct = try runCompiled(graph, Self.input(64, 64), threads: threads)
        #expect(try loaded.predict(Self.input(64, 64)) == direct)
        // A loaded graph writes back to the same bytes (packed constants copied as they are).
        #expect(try ModelFileWriter.encode(loaded.graph) == data)
    }

    @Test("the swift backend names its int8 and weight-only kernels by what they run")
    func swiftKernelNames() throws {
        let backend = SwiftBackend()
        try backend.prepare(Self.atto)
        let int8 = Int8GEMMKernel.preferred.name
        for op in Self.atto.ops {
            let name = backend.kernelName(for: op)
            switch op {
            case let .pointwiseGELU(p) where p.int8 != nil: #expect(name == "\(int8)-u8-table + u8-sumsq__swift")
            case let .pointwise(p) where p.int8 != nil && p.inputScale != nil:
                #expect(name.hasPrefix("f32-grn-scale + qs8-grn-requantize + \(int8)-f32") && name.hasSuffix("__swift"))
            case let .pointwise(p) where p.int8 != nil: #expect(name.hasPrefix("\(int8)-f32") && name.hasSuffix("__swift"))
            case let .downsample(p) where p.int8 != nil: #expect(name.hasSuffix("u8-patchify2x2 + \(int8)-f32__swift"))
            case let .grn(p) where Self.atto[p.input].dataType == .uint8: #expect(name == "u8-grn-affine + u8-channel-affine__swift")
            case let .depthwiseConvLN(p) where Self.atto[p.output].dataType == .uint8: #expect(name.contains("f32-quantize-u8"))
            case .head: #expect(name == "f32-avgpool + f32-layernorm + f32-pwconv-none-w8__swift", "the head is weight-only int8")
            default: #expect(!name.contains("qu8"), "\(op.kind): \(name)")
            }
        }
    }

    @Test("files from before weight-only int8 (fewer op slots) still load, as float ops")
    func legacySlots() throws {
        let graph = try ModelFileTests.graph()
        let data = try ModelFileWriter.encode(graph)
        let r = Self.records(data)
        // Rewrite each op record with the old slot count, dropping its trailing (empty) slots.
        let legacy: [UInt8: Int] = [2: 6, 3: 6, 5: 8, 6: 7, 7: 6]
        var tables = Data(data[64..<r.ops[0]])
        var dropped = 0
        for (i, at) in r.ops.enumerated() {
            let end = i + 1 < r.ops.count ? r.ops[i + 1] : r.parameters[i] + 1
            var record = Data(data[at..<end])
            let code = record[record.startIndex], slots = Int(record[record.startIndex + 1])
            if let old = legacy[code] {
                let tail = record.startIndex + 2 + 4 * old
                #expect(record[tail..<(record.startIndex + 2 + 4 * slots)].allSatisfy { $0 == 0xFF }, "op \(i): trailing slots empty")
                record.removeSubrange(tail..<(record.startIndex + 2 + 4 * slots))
                record[record.startIndex + 1] = UInt8(old)
                dropped += 4 * (slots - old)
            }
            tables.append(record)
        }
        #expect(dropped > 0)
        var d = data
        let tablesEnd = 64 + Int(d[24..<32].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) })
        d.replaceSubrange(64..<tablesEnd, with: tables + Data(count: dropped))
        Self.put(UInt64(tables.count), at: 24, in: &d)
        let loaded = try Self.load(d)
        #expect(loaded.ops == graph.ops)
    }

    @Test("weight-only int8: the verifier refuses it beside int8 weights, and a second plane off the head")
    func weightOnlyVerifier() throws {
        var g = Self.tiny
        let head = try #require(g.ops.lastIndex { $0.kind == "head" })
        guard case var .head(p) = g.ops[head], let w = p.weightOnly else { Issue.record("head is not weight-only"); return }
        #expect(w.residualWeight != nil && w.residualScale != nil, "the head has its second plane")
        p.weightOnly = WeightOnlyInt8(weightScale: w.weightScale, residualWeight: w.residualWeight, residualScale: nil)
        g.ops[head] = .head(p)
        #expect(throws: GraphError.self) { try g.verify() }
        g = Self.tiny
        let fc2 = try #require(g.ops.firstIndex { if case let .pointwise(p) = $0 { p.int8 != nil } else { false } })
        guard case var .pointwise(q) = g.ops[fc2] else { return }
        q.weightOnly = WeightOnlyInt8(weightScale: q.int8!.weightScale)
        g.ops[fc2] = .pointwise(q)
        #expect(throws: GraphError.self) { try g.verify() }
    }

    @Test("int8 panels and int32 biases are PackedInt8PointwiseWeights's layout, zero-padded",
          arguments: [1, 15, 16, 17, 33], [1, 3, 4, 5, 7, 40])
    func int8Layout(n: Int, k: Int) throws {
        let w = (0..<(n * k)).map { Int32(($0 * 37 + 11) % 255) - 127 }, b = (0..<n).map { Int32($0 * 100_003 - 7) }
        let panels = SwiftBackend.packIntegers(w, shape: [n, k], layout: .int8PointwisePanels)
        let groups = (k + 3) / 4
        #expect(panels.count == (n + 15) / 16 * groups * 64)
        #expect(panels.count == ConstantLayout.int8PointwisePanels.storedBytes(for: [n, k]))
        var expected = [UInt8](repeating: 0, count: panels.count)
        for o in 0..<n { for j in 0..<k { expected[((o / 16 * groups + j / 4) * 16 + o % 16) * 4 + j % 4] = UInt8(bitPattern: Int8(w[o * k + j])) } }
        #expect(panels == expected)
        let bias = SwiftBackend.packIntegers(b, shape: [n], layout: .int32Bias16)
        #expect(bias.count == (n + 15) / 16 * 64)
        let words = (0..<(bias.count / 4)).map { i in Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bias[4 * i + $1]) << (8 * $1) }) }
        #expect(words == b + [Int32](repeating: 0, count: words.count - n))
        #expect(ConstantLayout.int8PointwisePanels.storedBytes(for: [n]) == nil)
        // Weight-only int8: the float panels' arrangement with one byte per code.
        let codes = SwiftBackend.packIntegers(w, shape: [n, k], layout: .int8FloatPanels)
        #expect(codes.count == ConstantLayout.int8FloatPanels.storedBytes(for: [n, k]))
        var expectedCodes = [UInt8](repeating: 0, count: (n + 15) / 16 * 16 * k)
        for o in 0..<n { for j in 0..<k { expectedCodes[(o / 16 * k + j) * 16 + o % 16] = UInt8(bitPattern: Int8(w[o * k + j])) } }
        #expect(codes == expectedCodes)
        #expect(ConstantLayout.int32Bias16.storedBytes(for: [n, 2]) == nil)
    }

    @Test("hostile int8 fields: data type, zero point, scale, layout, parameters, truncation — each a typed error")
    func hostile() throws {
        let good = try ModelFileWriter.encode(Self.tiny)
        let r = Self.records(good)
        _ = try Self.load(good)
        let u8 = try #require(r.quantization.keys.min()), q = r.quantization[u8]!
        let int8 = try #require(r.types.firstIndex(of: 3)), int32 = try #require(r.types.firstIndex(of: 4))

        for code: UInt8 in [5, 9, 0xFF] {
            var d = good; d[r.tensors[u8] + 1] = code
            Self.expectCorrupt("data type code \(code)") { _ = try Self.load(d) }
        }
        var activationAsInt8 = good; activationAsInt8[r.tensors[u8] + 1] = 3  // record length unchanged, wrong kind
        Self.expectCorrupt("data type code 3") { _ = try Self.load(activationAsInt8) }
        for zeroPoint: Int32 in [256, -1, .max] {
            var d = good; Self.put(UInt32(bitPattern: zeroPoint), at: q + 4, in: &d)
            Self.expectCorrupt("zero point \(zeroPoint) outside 0...255") { _ = try Self.load(d) }
        }
        for scale: Float in [.nan, -1, 0, .infinity, -.leastNonzeroMagnitude] {
            var d = good; Self.put(scale.bitPattern, at: q, in: &d)
            Self.expectCorrupt("not finite and positive") { _ = try Self.load(d) }
        }
        // int8 weight in a float layout, int32 bias in the int8 one, float weight in the int8 one.
        for (tensor, layout) in [(int8, ConstantLayout.pointwisePanels), (int8, .raw), (int32, .bias16), (int32, .int8PointwisePanels)] {
            var d = good; d[r.tensors[tensor] + 3] = layout.rawValue
            Self.expectCorrupt("layout, which holds") { _ = try Self.load(d) }
        }
        let float = try #require(r.layouts.firstIndex(of: ConstantLayout.pointwisePanels.rawValue))
        var floatAsInt8 = good; floatAsInt8[r.tensors[float] + 3] = ConstantLayout.int8PointwisePanels.rawValue
        Self.expectCorrupt("layout, which holds") { _ = try Self.load(floatAsInt8) }
        var int8AsFloat = good; int8AsFloat[r.tensors[int8] + 1] = 0  // float32 data in int8 panels
        Self.expectCorrupt("layout, which holds") { _ = try Self.load(int8AsFloat) }

        // Op parameters: a GELU-input zero point out of range, an unknown tag, a wrong byte count.
        let geluOp = try #require(r.ops.indices.first { good[r.ops[$0]] == 3 && good[r.parameters[$0]] == 1 })
        let gelu = r.parameters[geluOp]
        var badParameter = good; Self.put(UInt32(999), at: gelu + 7, in: &badParameter)
        Self.expectCorrupt("zero point 999") { _ = try Self.load(badParameter) }
        var unknownTag = good; unknownTag[gelu + 1] = 77
        Self.expectCorrupt("unknown parameter tag 77") { _ = try Self.load(unknownTag) }
        var badLength = good; badLength[gelu + 2] = 9
        Self.expectCorrupt("has 9 bytes, expected 8") { _ = try Self.load(badLength) }
        // A parameter on an op kind that does not take it.
        var wrongOp = good; wrongOp[gelu + 1] = ModelFileFormat.OpParameter.normQuantization.rawValue
        Self.expectCorrupt("takes no parameter normQuantization") { _ = try Self.load(wrongOp) }

        // The weight-scale slot emptied: a float convolution over int8 weights fails verification.
        let pointwise = try #require(r.ops.first { good[$0] == 5 })
        var noScale = good; Self.put(ModelFileFormat.noTensor, at: pointwise + 2 + 4 * 7, in: &noScale)
        #expect { _ = try Self.load(noScale) } throws: { error in
            if case .invalidGraph = error as? ModelFileError { return true } else { return false }
        }

        for cut in [r.tensors[int8] + 2, q + 5, r.parameters.last!, good.count - 1] {
            #expect(throws: ModelFileError.truncated(expectedBytes: good.count, foundBytes: cut)) { _ = try ModelFileTests.load(good.prefix(cut)) }
        }
        var v1 = good; v1[8] = 1
        #expect(throws: ModelFileError.unsupportedVersion(found: 1, supported: 2)) { _ = try ModelFileTests.load(v1) }
    }

    @Test("every table byte of an int8 file corrupted (checksum resealed): a typed error or a valid graph, never a crash")
    func corruptTables() throws {
        let good = try ModelFileWriter.encode(Self.tiny)
        let tablesEnd = 64 + Int(good.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 24, as: UInt64.self) })
        var errors = 0, loaded = 0
        for position in 16..<tablesEnd {
            for pattern: UInt8 in [0xFF, 0x01, 0x80] {
                var bad = good
                bad[position] ^= pattern
                do {
                    let g = try Self.load(bad)
                    _ = try CompiledModel(graph: g, backend: SwiftBackend()).predict(Self.input(32, 32))
                    loaded += 1
                } catch is ModelFileError { errors += 1 }
            }
        }
        print("corrupt int8 tables: \(errors) typed errors, \(loaded) still valid")
        #expect(errors > 0)
    }
}
