import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// End-to-end checks of the fp32 Swift model against timm's outputs in `../shared/reference`.
@Suite("Reference parity, fp32 Swift model")
struct ReferenceModelTests {
    static let models: [(size: ModelSize, weights: String, vectors: String)] = [
        (.atto, "convnextv2_atto.safetensors", "convnextv2_atto_vectors.safetensors"),
        (.femto, "convnextv2_femto.f16.safetensors", "convnextv2_femto_vectors.safetensors"),
        (.pico, "convnextv2_pico.bf16.safetensors", "convnextv2_pico_vectors.safetensors"),
    ]
    static let tags = ["random_224", "random_160x256", "image_0", "image_1"]
    static let tolerance = 1e-4

    @Test("logits and every stored intermediate within 1e-4 relative L2", arguments: [0, 1, 2], [1, 2])
    func parity(modelIndex: Int, threads: Int) throws {
        let m = Self.models[modelIndex]
        let weights = try WeightLoader.load(path: ReferenceFiles.reference(m.weights), expected: m.size)
        let model = SwiftFP32Model(weights: weights, options: ExecutionOptions(threads: threads))
        let vectors = try ReferenceFiles.vectors(m.vectors)
        var worst = 0.0
        for tag in Self.tags {
            let input = try #require(vectors["input_" + tag])
            var seen: [String: [Float]] = [:]
            let logits = try model.predict(input.values, height: input.shape[2], width: input.shape[3]) { name, nchw, _ in
                seen[name] = nchw
            }
            let reference = try #require(vectors["logits_" + tag])
            let err = relativeL2Error(logits, reference.values)
            worst = max(worst, err)
            #expect(err <= Self.tolerance, "\(m.size) \(tag) logits: relative error \(err)")
            let errors = intermediateErrors(seen, vectors, tag: tag)
            for (name, e) in errors {
                worst = max(worst, e)
                #expect(e <= Self.tolerance, "\(m.size) \(tag) \(name): relative error \(e)")
            }
            let compared = errors.count
            if tag == "random_224" || tag == "image_0" {
                // stem + 4 stages, plus the 5 block internals for atto.
                #expect(compared == (m.size == .atto ? 10 : 5), "\(m.size) \(tag): compared \(compared) intermediates")
            }
        }
        print("parity \(m.size) threads=\(threads): worst relative L2 error \(worst)")
    }
}
