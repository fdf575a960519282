import CNXEdge
@testable import CNXEdgeRuntime
import Foundation
import Testing
import _CNXEdgeTestSupport

/// `.cnx` version 4 with int8 graphs: round trip, packed layouts, and hostile int8 fields.
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

    /// Byte offsets of each tensor record and op record in an encoded file (a reader of the v3
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
            switch op {
            case let .qu8PointwiseGELU(p, c, _): (conv, weight, bias) = (c, p.weight, p.bias)
            case let .qu8Pointwise(p, c): (conv, weight, bias) = (c, p.weight, p.bias)
            case let .qu8Downsample(p, _, c): (conv, weight, bias) = (c, p.weight, p.bias)
            case let .qu8GRNPointwise(p, f):
                // A folded GRN's 1x1 reads its stored codes, steps, float bias and γ in place.
                #expect(UnsafeRawPointer(f.codes.panels.base) == loaded.graph.packedConstants[p.weight]?.base)
                #expect(UnsafeRawPointer(f.bias.base) == loaded.graph.packedConstants[p.bias]?.base)
                #expect(UnsafeRawPointer(f.weightScale.base) == loaded.graph.packedConstants[p.weightScale]?.base)
                #expect(UnsafeRawPointer(f.gamma.base) == loaded.graph.packedConstants[p.grn.gamma]?.base)
                folded += 1
                continue
            case .stem, .depthwiseConvLN, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .downsample, .head, .qu8DepthwiseConvLN,
                 .qu8GRN: continue
            case .absent: Issue.record("op \(i) not prepared"); continue
            }
            #expect(UnsafeRawPointer(conv.weights.panels.base) == loaded.graph.packedConstants[weight]?.base)
            #expect(UnsafeRawPointer(conv.weights.bias.base) == loaded.graph.packedConstants[bias]?.base)
            borrowed += 1
        }
        #expect(borrowed == graph.integerConstants.keys.filter { graph[$0].dataType == .int32 }.count)
        #expect(folded > 0 && folded == graph.ops.filter { if case .qu8GRNPointwise = $0 { true } else { false } }.count,
                "every int8 block's GRN is folded into its 1x1")
        #expect(!graph.ops.contains { $0.kind == "qu8GRN" }, "GRN folded, so none runs on codes")
        // The float ops the quantizer kept (at least the head) store int8 weights, read in place too.
        let weightOnly = graph.ops.filter { if case let .head(p) = $0 { p.weightStorage != .float32 } else { false } }
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
        let int8 = QU8PWConvVariant.preferred.name
        for op in Self.atto.ops {
            let name = backend.kernelName(for: op)
            switch op {
            case .qu8PointwiseGELU: #expect(name == "\(int8)-u8-table + u8-sumsq__swift")
            case .qu8GRNPointwise:
                #expect(name.hasPrefix("f32-grn-scale + qs8-grn-requantize + \(int8)-f32") && name.hasSuffix("__swift"))
            case .qu8Pointwise: #expect(name.hasPrefix("\(int8)-f32") && name.hasSuffix("__swift"))
            case .qu8Downsample: #expect(name.hasSuffix("u8-patchify2x2 + \(int8)-f32__swift"))
            case .qu8GRN: #expect(name == "u8-grn-affine + u8-channel-affine__swift")
            case .qu8DepthwiseConvLN: #expect(name.contains("f32-quantize-u8"))
            case .head: #expect(name == "f32-avgpool + f32-layernorm + f32-pwconv-none-w8__swift", "the head is weight-only int8")
            case .stem, .depthwiseConvLN, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .downsample:
                #expect(!name.contains("qu8"), "\(op.kind): \(name)")
            }
        }
    }

    @Test("files of format version 2 (int8 as optional fields of the float ops) are refused with a clear error")
    func version2Refused() throws {
        var d = try ModelFileWriter.encode(Self.tiny)
        d[8] = 2
        #expect(throws: ModelFileError.unsupportedVersion(found: 2, supported: 5)) { _ = try ModelFileTests.load(d) }
        #expect("\(ModelFileError.unsupportedVersion(found: 2, supported: 5))".contains("compile the model again"))
    }

    @Test("weight storage: the verifier refuses a second plane off the head or without its steps, and float weights called int8")
    func weightOnlyVerifier() throws {
        var g = Self.tiny
        let head = try #require(g.ops.lastIndex { $0.kind == "head" })
        guard case var .head(p) = g.ops[head], case let .int8(w) = p.weightStorage else { Issue.record("head is not weight-only"); return }
        #expect(w.residualWeight != nil && w.residualScale != nil, "the head has its second plane")
        p.weightStorage = .int8(WeightOnlyInt8(weightScale: w.weightScale, residualWeight: w.residualWeight, residualScale: nil))
        g.ops[head] = .head(p)
        #expect(throws: GraphError.self) { try g.verify() }
        // The same two planes on a depthwise 7x7 (not the head).
        g = Self.tiny
        let dw = try #require(g.ops.firstIndex { $0.kind == "qu8DepthwiseConvLN" || $0.kind == "depthwiseConvLN" })
        switch g.ops[dw] {
        case var .qu8DepthwiseConvLN(d), var .depthwiseConvLN(d):
            guard case let .int8(dwWeights) = d.weightStorage else { Issue.record("depthwise taps are not weight-only"); return }
            d.weightStorage = .int8(WeightOnlyInt8(weightScale: dwWeights.weightScale, residualWeight: d.weight,
                                                   residualScale: dwWeights.weightScale))
            g.ops[dw] = g.ops[dw].kind == "qu8DepthwiseConvLN" ? .qu8DepthwiseConvLN(d) : .depthwiseConvLN(d)
        default: Issue.record("not a depthwise op")
        }
        #expect(throws: GraphError.self) { try g.verify() }
        // int8 weights declared float32: the weight's element type no longer matches.
        g = Self.tiny
        guard case var .head(h) = g.ops[head] else { return }
        h.weightStorage = .float32
        g.ops[head] = .head(h)
        #expect(throws: GraphError.self) { try g.verify() }
    }

    @Test("int8 panels and int32 biases are PackedInt8PointwiseWeights's layout, zero-padded",
          arguments: [1, 15, 16, 17, 33], [1, 3, 4, 5, 7, 40])
    func int8Layout(n: Int, k: Int) throws {
        let w = (0..<(n * k)).map { Int32(($0 * 37 + 11) % 255) - 127 }, b = (0..<n).map { Int32($0 * 100_003 - 7) }
        let panels = ConstantPacking.packIntegers(w, shape: [n, k], layout: .int8PointwisePanels)
        let groups = (k + 3) / 4
        #expect(panels.count == (n + 15) / 16 * groups * 64)
        #expect(panels.count == ConstantLayout.int8PointwisePanels.storedBytes(for: [n, k]))
        var expected = [UInt8](repeating: 0, count: panels.count)
        for o in 0..<n { for j in 0..<k { expected[((o / 16 * groups + j / 4) * 16 + o % 16) * 4 + j % 4] = UInt8(bitPattern: Int8(w[o * k + j])) } }
        #expect(panels == expected)
        let bias = ConstantPacking.packIntegers(b, shape: [n], layout: .int32Bias16)
        #expect(bias.count == (n + 15) / 16 * 64)
        let words = (0..<(bias.count / 4)).map { i in Int32(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bias[4 * i + $1]) << (8 * $1) }) }
        #expect(words == b + [Int32](repeating: 0, count: words.count - n))
        #expect(ConstantLayout.int8PointwisePanels.storedBytes(for: [n]) == nil)
        // Weight-only int8: the float panels' arrangement with one byte per code.
        let codes = ConstantPacking.packIntegers(w, shape: [n, k], layout: .int8FloatPanels)
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
        let geluOp = try #require(r.ops.indices.first { good[r.ops[$0]] == 10 && good[r.parameters[$0]] == 1 })
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

        // The weight-scale slot of an int8 1x1 emptied: a required slot.
        let pointwise = try #require(r.ops.first { good[$0] == 12 || good[$0] == 13 })
        var noScale = good; Self.put(ModelFileFormat.noTensor, at: pointwise + 2 + 4 * 5, in: &noScale)
        Self.expectCorrupt("slot 5 is empty") { _ = try Self.load(noScale) }
        // The GELU table's input quantization removed (parameter count 0, payload kept as junk): required.
        var noParameter = good; noParameter[gelu] = 0
        #expect(throws: ModelFileError.self) { _ = try Self.load(noParameter) }
        // A weight-only steps slot emptied on a float op over int8 weights: the verifier refuses it.
        let head = try #require(r.ops.first { good[$0] == 8 })
        var noSteps = good; Self.put(ModelFileFormat.noTensor, at: head + 2 + 4 * 6, in: &noSteps)
        #expect(throws: ModelFileError.self) { _ = try Self.load(noSteps) }

        for cut in [r.tensors[int8] + 2, q + 5, r.parameters.last!, good.count - 1] {
            #expect(throws: ModelFileError.truncated(expectedBytes: good.count, foundBytes: cut)) { _ = try ModelFileTests.load(good.prefix(cut)) }
        }
        var v1 = good; v1[8] = 1
        #expect(throws: ModelFileError.unsupportedVersion(found: 1, supported: 5)) { _ = try ModelFileTests.load(v1) }
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
