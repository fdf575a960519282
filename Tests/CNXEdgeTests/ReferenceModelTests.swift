import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// End-to-end checks of the fp32 model against timm's outputs in `../shared/reference`, through
/// the one Swift engine: compile (LayerNorm affines unfolded, so `sSbB_norm` is timm's) → plan →
/// ``SwiftBackend``. Every op's output is read as it is produced (``CompiledModel/predict(_:observe:)``);
/// a block's `fc2` (before the residual add, which the fused 1x1 does in place) is its output minus
/// the residual it read.
@Suite("Reference parity, fp32 Swift engine")
struct ReferenceModelTests {
    static let models: [(size: ModelSize, weights: String, vectors: String)] = [
        (.atto, "convnextv2_atto.safetensors", "convnextv2_atto_vectors.safetensors"),
        (.femto, "convnextv2_femto.f16.safetensors", "convnextv2_femto_vectors.safetensors"),
        (.pico, "convnextv2_pico.bf16.safetensors", "convnextv2_pico_vectors.safetensors"),
    ]
    static let tags = ["random_224", "random_160x256", "image_0", "image_1"]
    static let tolerance = 1e-4

    /// The logits and every NHWC float activation of `model` for `input` as NCHW by tensor name,
    /// plus `sSbB_fc2` for each residual 1x1.
    static func run(_ model: CompiledModel, _ input: [Float]) throws -> (logits: [Float], seen: [String: [Float]]) {
        let g = model.graph
        var seen: [String: [Float]] = [:], before: [Float] = []
        func nchw(_ p: UnsafePointer<Float>, _ s: [Int]) -> [Float] {
            let (h, w, c) = (s[1], s[2], s[3])
            var out = [Float](repeating: 0, count: h * w * c)
            for y in 0..<h { for x in 0..<w { for ch in 0..<c { out[(ch * h + y) * w + x] = p[(y * w + x) * c + ch] } } }
            return out
        }
        let logits = try model.predict(input) { i, after, buffers in
            let op = g.ops[i]
            if case let .pointwise(p) = op, let r = p.residual {
                if !after {
                    before = nchw(buffers.float(r), g[r].shape)
                } else {
                    seen[Self.block(g, i) + "_fc2"] = zip(nchw(buffers.float(p.output), g[p.output].shape), before).map { $0 - $1 }
                }
            }
            guard after else { return }
            for t in op.outputs where g[t].shape.count == 4 && g[t].dataType == .float32 {
                seen[g[t].name] = nchw(buffers.float(t), g[t].shape)
            }
        }
        return (logits, seen)
    }

    /// The block name (`sSbB`) of op `i`, from the 1x1 + GELU before it.
    static func block(_ g: Graph, _ i: Int) -> String {
        for j in stride(from: i - 1, through: 0, by: -1) {
            if case let .pointwiseGELU(p) = g.ops[j] { return String(g[p.output].name.dropLast("_gelu".count)) }
        }
        return "?"
    }

    @Test("logits and every stored intermediate within 1e-4 relative L2", arguments: ReferenceFiles.modelIndices, [1, 2])
    func parity(modelIndex: Int, threads: Int) throws {
        let m = Self.models[modelIndex]
        let weights = try WeightLoader.load(path: ReferenceFiles.reference(m.weights), expected: m.size)
        let vectors = try ReferenceFiles.vectors(m.vectors)
        var worst = 0.0
        for tag in Self.tags {
            let input = try #require(vectors["input_" + tag])
            let graph = try Compiler.compile(weights, height: input.shape[2], width: input.shape[3],
                                             options: CompilerOptions(foldNormAffines: false, verifyEachPass: true))
            let model = try CompiledModel(graph: graph, backend: SwiftBackend(options: ExecutionOptions(threads: threads)))
            let (logits, seen) = try Self.run(model, input.values)
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
                // stem + 4 stages, plus norm, gelu, grn and fc2 of the stored atto block (its
                // dwconv, before the LayerNorm, is inside the fused op).
                #expect(compared == (m.size == .atto ? 9 : 5), "\(m.size) \(tag): compared \(compared) intermediates")
            }
        }
        print("parity \(m.size) threads=\(threads): worst relative L2 error \(worst)")
    }
}
