#if Native
import CNXEdge
import CCNXKernels
@testable import CNXEdgeRuntime
import Foundation
import Testing
import _CNXEdgeTestSupport

/// The reference vectors through compile → plan → ``NativeBackend`` (C kernels), folded and
/// unfolded, at 1 and 2 threads: against timm, against itself across thread counts, and against
/// ``SwiftBackend``.
@Suite("Reference parity, compiled graph on the native backend")
struct NativeBackendTests {
    /// Native vs Swift backend logits, relative L2.
    static let backendTolerance = 1e-5

    static let foldings = [(true, false), (false, false), (true, true)]

    @Test("logits and taps within 1e-4 of timm; 1 and 2 threads bit-identical; within 1e-5 of the Swift backend",
          arguments: ReferenceFiles.modelIndices)
    func parity(modelIndex: Int) throws {
        let m = ReferenceModelTests.models[modelIndex]
        let weights = try WeightLoader.load(path: ReferenceFiles.reference(m.weights), expected: m.size)
        let vectors = try ReferenceFiles.vectors(m.vectors)
        var worst = 0.0, worstBackend = 0.0
        for tag in ReferenceModelTests.tags {
            let input = try #require(vectors["input_" + tag])
            let (h, w) = (input.shape[2], input.shape[3])
            for (fold, foldGRN) in Self.foldings {
                let graph = try Compiler.compile(weights, height: h, width: w,
                                                 options: CompilerOptions(foldNormAffines: fold, foldGRN: foldGRN, verifyEachPass: true))
                let swift = try CompiledModel(graph: graph, backend: SwiftBackend()).predict(input.values)
                var logitsByThreads: [[Float]] = []
                for threads in [1, 2] {
                    let model = try CompiledModel(graph: graph, backend: NativeBackend(options: ExecutionOptions(threads: threads)))
                    var seen: [String: [Float]] = [:]
                    let logits = try model.predict(input.values) { name, nchw, _ in seen[name] = nchw }
                    logitsByThreads.append(logits)
                    let err = relativeL2Error(logits, try #require(vectors["logits_" + tag]).values)
                    worst = max(worst, err)
                    #expect(err <= ReferenceModelTests.tolerance, "\(m.size) \(tag) fold=\(fold) grn=\(foldGRN) t=\(threads) logits: \(err)")
                    let vsSwift = relativeL2Error(logits, swift)
                    worstBackend = max(worstBackend, vsSwift)
                    #expect(vsSwift <= Self.backendTolerance, "\(m.size) \(tag) fold=\(fold) grn=\(foldGRN) t=\(threads) native vs swift: \(vsSwift)")
                    // A folded `sSbB_norm` lacks its affine by design; `dwconv` and `fc2` are inside fused ops.
                    let errors = intermediateErrors(seen, vectors, tag: tag) { fold && $0.hasSuffix("_norm") }
                    for (name, e) in errors {
                        worst = max(worst, e)
                        #expect(e <= ReferenceModelTests.tolerance, "\(m.size) \(tag) fold=\(fold) t=\(threads) \(name): \(e)")
                    }
                    let compared = errors.count
                    if tag == "random_224" {
                        let blockTaps = fold ? (foldGRN ? 1 : 2) : 3
                        #expect(compared == 5 + (m.size == .atto ? blockTaps : 0), "\(m.size) fold=\(fold) grn=\(foldGRN): compared \(compared)")
                    }
                }
                #expect(logitsByThreads[0].map(\.bitPattern) == logitsByThreads[1].map(\.bitPattern),
                        "\(m.size) \(tag) fold=\(fold) grn=\(foldGRN): 1 vs 2 threads differ")
            }
        }
        print("native parity \(m.size): worst relative L2 vs timm \(worst), vs swift backend \(worstBackend)")
    }

    @Test("kernel names are the C kernels' names for this CPU")
    func kernelNames() throws {
        let graph = try Compiler.compile(zeroWeights(.atto), height: 64, width: 64)
        let backend = NativeBackend()
        for op in graph.ops {
            let name = backend.kernelName(for: op)
            #expect(name.contains("f32-"), "\(op.kind): \(name)")
            #expect(!name.contains("__swift") || name.contains(" + "), "\(op.kind) runs only Swift code: \(name)")
        }
    }

    @Test("ExecutionOptions.isa picks a supported instruction set; an unsupported one falls back to the best with a note")
    func isaOption() throws {
        let best = cnx_kernels_best_isa()
        let none = NativeBackend.isa(requested: nil)
        #expect(none.0 == best && none.1 == nil)
        #expect(NativeBackend.canRun(.scalar) && NativeBackend.runnableISAs.first == .scalar)
        let scalar = NativeBackend(options: ExecutionOptions(isa: .scalar))
        #expect(scalar.isa == cnx_isa_scalar)
        let graph = try Compiler.compile(.synthetic(config: ModelConfig(.atto), seed: 3), height: 64, width: 64)
        try scalar.prepare(graph)
        #expect(scalar.kernelName(for: graph.ops[1]).hasSuffix("__scalar"))
        #expect(scalar.selectionReason(for: graph.ops[1]).contains("requested"))
        let foreign: KernelISA = best == cnx_isa_neon ? .avx2 : .neon
        #expect(!NativeBackend.canRun(foreign))
        let unsupported = NativeBackend.isa(requested: foreign)
        #expect(unsupported.0 == best && unsupported.1?.contains("not run by this CPU") == true)
    }

    @Test("a .cnx-style graph (constants in the Swift layouts) runs like the value graph")
    func packedConstants() throws {
        let weights = ConvNeXtV2Weights.synthetic(config: ModelConfig(.atto), seed: 3)
        var rng = SplitMix64(seed: 9)
        let input = (0..<(3 * 64 * 96)).map { _ in rng.nextGaussian() }
        for foldGRN in [false, true] {
            let graph = try Compiler.compile(weights, height: 64, width: 96, options: CompilerOptions(foldGRN: foldGRN))
            var packed = graph
            var keep: [AnyObject] = []
            for (t, layout) in ConstantPacking.layouts(graph) {
                let floats = ConstantPacking.pack(graph.constants[t]!, shape: graph[t].shape, layout: layout)
                let storage = UnsafeMutableRawPointer.allocate(byteCount: floats.count * 4, alignment: 64)
                storage.copyMemory(from: floats, byteCount: floats.count * 4)
                let owner = Storage(storage)
                keep.append(owner)
                packed.packedConstants[t] = PackedConstant(base: storage, floatCount: floats.count, layout: layout, owner: owner)
                packed.constants[t] = nil
            }
            let expected = try CompiledModel(graph: graph, backend: NativeBackend()).predict(input)
            let found = try CompiledModel(graph: packed, backend: NativeBackend()).predict(input)
            #expect(found.map(\.bitPattern) == expected.map(\.bitPattern), "foldGRN=\(foldGRN)")
            _ = keep
        }
    }
}

/// Owns a test's raw allocation.
private final class Storage {
    let pointer: UnsafeMutableRawPointer
    init(_ pointer: UnsafeMutableRawPointer) { self.pointer = pointer }
    deinit { pointer.deallocate() }
}
#endif
