import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// The reference vectors through compile → plan → ``SwiftBackend``, folded and unfolded.
@Suite("Reference parity, compiled graph on the Swift backend")
struct CompiledModelTests {
    @Test("logits and tapped intermediates within 1e-4 relative L2", arguments: ReferenceFiles.modelIndices, [1, 2])
    func parity(modelIndex: Int, threads: Int) throws {
        let m = ReferenceModelTests.models[modelIndex]
        let weights = try WeightLoader.load(path: ReferenceFiles.reference(m.weights), expected: m.size)
        let vectors = try ReferenceFiles.vectors(m.vectors)
        var worst = 0.0
        for tag in ReferenceModelTests.tags {
            let input = try #require(vectors["input_" + tag])
            let (h, w) = (input.shape[2], input.shape[3])
            for (fold, foldGRN) in [(true, false), (false, false), (true, true)] {
                let graph = try Compiler.compile(weights, height: h, width: w,
                                                 options: CompilerOptions(foldNormAffines: fold, foldGRN: foldGRN, verifyEachPass: true))
                let model = try CompiledModel(graph: graph, backend: SwiftBackend(options: ExecutionOptions(threads: threads)))
                var seen: [String: [Float]] = [:]
                let logits = try model.predict(input.values) { name, nchw, _ in seen[name] = nchw }
                let err = relativeL2Error(logits, try #require(vectors["logits_" + tag]).values)
                worst = max(worst, err)
                #expect(err <= ReferenceModelTests.tolerance, "\(m.size) \(tag) fold=\(fold) logits: \(err)")
                // A folded `sSbB_norm` lacks its affine by design; `dwconv` and `fc2` are inside fused ops.
                let errors = intermediateErrors(seen, vectors, tag: tag) { fold && $0.hasSuffix("_norm") }
                for (name, e) in errors {
                    worst = max(worst, e)
                    #expect(e <= ReferenceModelTests.tolerance, "\(m.size) \(tag) fold=\(fold) \(name): \(e)")
                }
                let compared = errors.count
                if tag == "random_224" {
                    // stem + 4 stages, plus norm/gelu/grn of the stored atto block when unfolded (gelu/grn when folded).
                    let blockTaps = fold ? (foldGRN ? 1 : 2) : 3
                    #expect(compared == 5 + (m.size == .atto ? blockTaps : 0), "\(m.size) fold=\(fold) grn=\(foldGRN): compared \(compared)")
                }
            }
        }
        print("compiled parity \(m.size) threads=\(threads): worst relative L2 error \(worst)")
    }

    @Test("compiled model input errors are typed")
    func inputErrors() throws {
        let graph = try Compiler.compile(zeroWeights(.atto), height: 64, width: 64)
        let model = try CompiledModel(graph: graph, backend: SwiftBackend())
        #expect(throws: ExecutionError.inputCountMismatch(expected: 3 * 64 * 64, found: 5)) { try model.predict([0, 0, 0, 0, 0]) }
        var bad = [Float](repeating: 0, count: 3 * 64 * 64)
        bad[17] = .nan
        #expect(throws: ExecutionError.nonFiniteInput(index: 17)) { try model.predict(bad) }
    }
}
