import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// Weights of the right shapes, all zero: enough to lower and plan any size quickly.
func zeroWeights(_ size: ModelSize) -> ConvNeXtV2Weights {
    let cfg = ModelConfig(size), d = cfg.dims
    func z(_ n: Int) -> [Float] { [Float](repeating: 0, count: n) }
    func norm(_ c: Int) -> LayerNormWeights { LayerNormWeights(gamma: z(c), beta: z(c)) }
    let stages = (0..<4).map { s in
        let c = d[s]
        return StageWeights(
            downsample: s == 0 ? nil : DownsampleWeights(norm: norm(d[s - 1]), convWeight: z(c * d[s - 1] * 4), convBias: z(c)),
            blocks: (0..<cfg.depths[s]).map { _ in
                BlockWeights(dwconvWeight: z(c * 49), dwconvBias: z(c), norm: norm(c), fc1Weight: z(4 * c * c),
                             fc1Bias: z(4 * c), grnGamma: z(4 * c), grnBeta: z(4 * c), fc2Weight: z(4 * c * c), fc2Bias: z(c))
            })
    }
    return ConvNeXtV2Weights(config: cfg, stemWeight: z(d[0] * 48), stemBias: z(d[0]), stemNorm: norm(d[0]), stages: stages,
                             headNorm: norm(d[3]), headWeight: z(1000 * d[3]), headBias: z(1000))
}

/// Runs `graph` on the Swift backend.
func runCompiled(_ graph: Graph, _ input: [Float], threads: Int = 1) throws -> [Float] {
    try CompiledModel(graph: graph, backend: SwiftBackend(options: ExecutionOptions(threads: threads))).predict(input)
}

@Suite("Compiler: lowering, folds, verifier")
struct CompilerTests {
    static let sizes: [ModelSize] = [.atto, .femto, .pico, .nano, .tiny, .base]

    @Test("op count and kinds per size; verifier passes after every pass", arguments: sizes)
    func opCounts(size: ModelSize) throws {
        let cfg = ModelConfig(size)
        var seen: [String] = []
        let graph = try Compiler.compile(zeroWeights(size), height: 224, width: 224,
                                         options: CompilerOptions(verifyEachPass: true)) { name, _ in seen.append(name) }
        #expect(seen == ["lower", "fold-depthwise-norm", "fold-downsample-norm", "fold-head-norm", "verify"])
        let blocks = cfg.depths.reduce(0, +)
        var kinds: [String: Int] = [:]
        for op in graph.ops { kinds[op.kind, default: 0] += 1 }
        #expect(graph.ops.count == 2 + 3 + 4 * blocks)
        #expect(kinds == ["stem": 1, "downsample": 3, "head": 1, "depthwiseConvLN": blocks, "pointwiseGELU": blocks,
                          "grn": blocks, "pointwise": blocks])
        #expect(graph.macs == cfg.macs(height: 224, width: 224))
        // Folded: no LN affine left except the stem's, and the weight bytes equal the parameters
        // minus the folded γ/β.
        let params = graph.usedConstants.reduce(0) { $0 + graph[$1].elementCount }
        let blockNorms = (0..<4).reduce(0) { $0 + cfg.depths[$1] * cfg.dims[$1] }
        let folded = 2 * (blockNorms + cfg.dims[0...2].reduce(0, +) + cfg.dims[3])
        #expect(params == cfg.parameterCount - folded)
        #expect(graph.ops.reduce(0) { $0 + $1.weightBytes(in: graph) } >= 4 * params)
    }

    /// Logits of `graph` against the unfolded graph's, on synthetic atto weights.
    func foldError(_ pass: CompilerPass) throws -> Double {
        let weights = ConvNeXtV2Weights.synthetic(config: ModelConfig(.atto), seed: 7)
        let lowered = try CompilerPass.lower(weights, height: 64, width: 96)
        let folded = try pass.run(lowered)
        try folded.verify()
        #expect(folded.ops != lowered.ops, "\(pass.name) changed nothing")
        var rng = SplitMix64(seed: 3)
        let input = (0..<(3 * 64 * 96)).map { _ in rng.nextGaussian() }
        return relativeL2Error(try runCompiled(folded, input), try runCompiled(lowered, input))
    }

    @Test("each fold matches the unfolded computation within 1e-5",
          arguments: [CompilerPass.foldDepthwiseNorm, .foldDownsampleNorm, .foldHeadNorm, .foldGRN].map { $0.name })
    func foldParity(name: String) throws {
        let pass = [CompilerPass.foldDepthwiseNorm, .foldDownsampleNorm, .foldHeadNorm, .foldGRN].first { $0.name == name }!
        let err = try foldError(pass)
        print("\(name): relative L2 error \(err)")
        #expect(err <= 1e-5)
    }

    @Test("fold-grn removes every GRN; the 1x1 convolutions take its scale", arguments: [ModelSize.atto, .tiny])
    func grnFold(size: ModelSize) throws {
        var passes: [String] = []
        let graph = try Compiler.compile(zeroWeights(size), height: 64, width: 64,
                                         options: CompilerOptions(foldGRN: true, verifyEachPass: true)) { name, _ in passes.append(name) }
        #expect(passes.contains("fold-grn"))
        let blocks = ModelConfig(size).depths.reduce(0, +)
        #expect(graph.ops.count == 2 + 3 + 3 * blocks)
        #expect(!graph.ops.contains { $0.kind == "grn" })
        let scaled = graph.ops.filter { if case .grnPointwise = $0 { true } else { false } }
        #expect(scaled.count == blocks)
    }

    @Test("the verifier catches broken graphs")
    func verifierCatches() throws {
        let good = try CompilerPass.lower(zeroWeights(.atto), height: 64, width: 64)
        try good.verify()

        var swapped = good
        swapped.ops.swapAt(1, 2)
        #expect(throws: GraphError.usedBeforeProduced(op: 1, kind: "pointwiseGELU", tensor: "s0b0_norm")) { try swapped.verify() }

        var missing = good
        let stemWeight = good.ops[0].constants[0]
        missing.constants[stemWeight] = nil
        #expect(throws: GraphError.missingConstant(op: 0, kind: "stem", tensor: "stem.weight")) { try missing.verify() }

        var misshapen = good
        guard case var .pointwiseGELU(p) = good.ops[2] else { Issue.record("op 2 is not pointwiseGELU"); return }
        p.weight = p.bias
        misshapen.ops[2] = .pointwiseGELU(p)
        #expect(throws: GraphError.shapeMismatch(op: 2, kind: "pointwiseGELU", tensor: "s0b0.fc1.bias", expected: [160, 40], found: [160])) {
            try misshapen.verify()
        }

        var constantAsInput = good
        guard case var .depthwiseConvLN(dw) = good.ops[1] else { Issue.record("op 1 is not depthwiseConvLN"); return }
        dw.weight = dw.input
        constantAsInput.ops[1] = .depthwiseConvLN(dw)
        #expect(throws: GraphError.wrongKind(op: 1, kind: "depthwiseConvLN", tensor: "stem", expected: .constant, found: .activation)) {
            try constantAsInput.verify()
        }

        var headless = good
        headless.ops.removeLast()
        #expect(throws: GraphError.outputNotProduced(tensor: "logits")) { try headless.verify() }

        var twice = good
        twice.ops.insert(good.ops[0], at: 1)
        #expect(throws: GraphError.producedTwice(op: 1, kind: "stem", tensor: "stem")) { try twice.verify() }
    }

    @Test("lowering rejects sizes that are not multiples of 32")
    func badSize() {
        #expect(throws: ExecutionError.invalidInputSize(height: 100, width: 224)) {
            try CompilerPass.lower(zeroWeights(.atto), height: 100, width: 224)
        }
    }
}
