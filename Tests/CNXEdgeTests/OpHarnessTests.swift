import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// The cross-backend op harness (ggml's `test-backend-ops` for cnx-edge): every op of ``FusedOp``
/// at every precision and weight storage, alone in a graph (``OneOpGraph``), at shapes around the
/// kernels' tiles (``OneOpCases``), run on every backend and on every native instruction set this
/// CPU runs, at one and two threads, against:
/// - float32 ops: the float64 definition (``ReferenceOps/fused(_:)``), by normalized L2 error;
/// - int8 ops whose math is integer (`qu8Pointwise`, `qu8PointwiseGELU` and its sums, `qu8GRN`):
///   their documented rule (``ReferenceOps/int8Rule(_:)``), bit for bit;
/// - `qu8GRNPointwise` (weights requantized per image): the float64 GRN + 1x1, by SQNR, and the
///   same bits on every backend;
/// - `qu8DepthwiseConvLN`, `qu8Downsample` (a float LayerNorm quantized): codes within one step
///   of the float64 result's, rarely off.
@Suite("Op harness: every op × precision × backend × ISA")
struct OpHarnessTests {
    /// Normalized L2 error allowed against float64 for float32 ops (worst measured 8.1e-7, the
    /// 1280-deep 1x1 + GELU; each case prints its worst).
    static let floatTolerance = 5e-6

    static func backends() -> [(name: String, make: () -> any Backend)] {
        var list: [(name: String, make: () -> any Backend)] = [
            ("swift", { SwiftBackend() }), ("swift-2t", { SwiftBackend(options: ExecutionOptions(threads: 2)) }),
        ]
        #if Native
        for isa in NativeBackend.runnableISAs {
            list.append(("native/\(isa)", { NativeBackend(options: ExecutionOptions(isa: isa)) }))
        }
        list.append(("native-2t", { NativeBackend(options: ExecutionOptions(threads: 2)) }))
        if Provider.available.contains(.xnnpack) {
            // XNNPACK wherever it runs the op (our kernels around it on each ISA), native elsewhere.
            for isa in NativeBackend.runnableISAs {
                list.append(("xnnpack/\(isa)", { PlacedBackend(policy: .prefer(.xnnpack), options: ExecutionOptions(isa: isa)) }))
            }
            list.append(("xnnpack-2t", { PlacedBackend(policy: .prefer(.xnnpack), options: ExecutionOptions(threads: 2)) }))
        }
        #endif
        return list
    }

    @Test("every op on every backend and ISA against its reference", arguments: OneOpCases.all)
    func op(_ c: OneOpCase) throws {
        let one = try c.make()
        let op = one.op, g = one.graph
        let reference = ReferenceOps.fused(one), rule = ReferenceOps.int8Rule(one)
        let xnnpackRule = ReferenceOps.int8Rule(one, xnnpack: true)
        var first: (name: String, outputs: [TensorID: OpValues])?
        var worst = 0.0
        for backend in Self.backends() {
            let made = backend.make()
            let out = try one.run(on: made)
            let label = "\(c) on \(backend.name)"
            // On XNNPACK where it runs the op (checked: the placement gave it to XNNPACK).
            var onXNNPACK = false
            if let placed = made as? PlacedBackend, placed.policy == .prefer(.xnnpack) {
                onXNNPACK = PlacedBackend.supports(.xnnpack, op)
                #expect(placed.placement?.providers == [onXNNPACK ? .xnnpack : .native], "\(label): placed \(placed.placement?.providers ?? [])")
            }
            if onXNNPACK, case .qu8PointwiseGELU = op {
                // XNNPACK's qc8 requantizes with a float32 multiplier: its rule, bit for bit.
                #expect(out == xnnpackRule, "\(label): not XNNPACK's qc8 rule's result")
                let codes = out[op.outputs[0]]!.bytes, ours = rule![op.outputs[0]]!.bytes
                let off = zip(codes, ours).filter { $0 != $1 }.count
                if off > 0 { print("op harness \(c) on \(backend.name): \(off) of \(codes.count) GELU codes differ from our kernels' (float32 multiplier)") }
            } else if let rule {
                #expect(out == rule, "\(label): not the integer rule's result")
            }
            switch op {
            case .qu8Pointwise, .qu8PointwiseGELU, .qu8GRN, .qu8GRNPointwise:
                // Integer math and Swift requantization shared by every backend: the same bits.
                if let first, !onXNNPACK { #expect(out == first.outputs, "\(label) differs from \(first.name)") }
            case .stem, .depthwiseConvLN, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .downsample, .head, .qu8DepthwiseConvLN,
                 .qu8Downsample: break
            }
            if first == nil { first = (backend.name, out) }
            switch op {
            case .qu8Pointwise, .qu8PointwiseGELU, .qu8GRN: break
            case let .qu8GRNPointwise(p):
                let sqnr = Self.sqnr(out[p.output]!.floats, reference[p.output]!)
                #expect(sqnr >= 35, "\(label): \(sqnr) dB against float64 GRN + 1x1")
                if first?.name == backend.name { print("op harness \(c): \(sqnr) dB against float64 GRN + 1x1") }
            case let .qu8DepthwiseConvLN(p):
                let q = g[p.output].quantization!, codes = out[p.output]!.bytes
                let expected = reference[p.output]!.map { UInt8(min(max(($0 / Double(q.scale)).rounded() + Double(q.zeroPoint), 0), 255)) }
                let off = zip(codes, expected).filter { $0 != $1 }
                #expect(off.allSatisfy { abs(Int($0) - Int($1)) <= 1 } && off.count * 200 <= codes.count + 200,
                        "\(label): \(off.count) of \(codes.count) codes differ from float64's")
            case let .qu8Downsample(p):
                let e = ReferenceOps.normalizedError(out[p.output]!.floats, reference[p.output]!)
                worst = max(worst, e)
                #expect(e <= 2e-3, "\(label): normalized error \(e) (LayerNorm codes off by one at most)")
            case .stem, .depthwiseConvLN, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .downsample, .head:
                for (t, expected) in reference {
                    let got = out[t]!, values = g[t].dataType == .float64 ? got.doubles.map(Float.init) : got.floats
                    let e = ReferenceOps.normalizedError(values, expected)
                    worst = max(worst, e)
                    #expect(e <= Self.floatTolerance, "\(label) \(g[t].name): normalized error \(e)")
                }
            }
        }
        if worst > 0 { print("op harness \(c): worst normalized error \(worst)") }
    }

    #if Native
    /// The bound XNNPACK's int8 downsample keeps: its qc8 convolution writes int8 codes of the
    /// per-channel output steps (`max |y| / 127`, here from native's own output, as the quantizer
    /// takes them from calibration), so every output lies within half a step of native's float32.
    @Test("qu8Downsample on XNNPACK: within half an output step of native's float32, on 1 and 2 threads",
          arguments: OneOpCases.all.filter { "\($0)".hasPrefix("qu8Downsample") })
    func xnnpackDownsample(_ c: OneOpCase) throws {
        guard Provider.available.contains(.xnnpack) else { return }
        var one = try c.make()
        guard case var .qu8Downsample(p) = one.op else { Issue.record("\(c) is no qu8Downsample"); return }
        let native = try one.run(on: NativeBackend())[p.output]!.floats, n = one.graph[p.output].shape[3]
        var largest = [Float](repeating: 0, count: n)
        for (i, v) in native.enumerated() { largest[i % n] = max(largest[i % n], abs(v)) }
        let steps = largest.map { max($0, 1e-6) / 127 }
        p.outputSteps = one.graph.addConstant("y.steps", [n], steps)
        one.graph.ops[0] = .qu8Downsample(p)
        for threads in [1, 2] {
            let placed = PlacedBackend(policy: .prefer(.xnnpack), options: ExecutionOptions(threads: threads))
            let out = try one.run(on: placed)[p.output]!.floats
            #expect(placed.placement?.providers == [.xnnpack])
            let worst = native.indices.map { abs(out[$0] - native[$0]) / steps[$0 % n] }.max() ?? 0
            #expect(worst <= 0.5 + 1e-3, "\(c) on xnnpack-\(threads)t: \(worst) output steps from native's float32")
        }
    }
    #endif

    static func sqnr(_ test: [Float], _ reference: [Double]) -> Double {
        var signal = 0.0, noise = 0.0
        for i in reference.indices { signal += reference[i] * reference[i]; noise += (reference[i] - Double(test[i])) * (reference[i] - Double(test[i])) }
        return noise > 0 ? 10 * log10(signal / noise) : .infinity
    }

    @Test("the harness covers every op kind at both precisions, and the native ISAs this CPU runs")
    func coverage() throws {
        let kinds = Set(try OneOpCases.all.map { try $0.make().op.kind })
        let all = ["stem", "depthwiseConvLN", "pointwiseGELU", "grn", "pointwise", "grnPointwise", "downsample", "head",
                   "qu8DepthwiseConvLN", "qu8PointwiseGELU", "qu8GRN", "qu8Pointwise", "qu8GRNPointwise", "qu8Downsample"]
        #expect(kinds == Set(all))
        #if Native
        let xnnpack = Provider.available.contains(.xnnpack) ? 1 + NativeBackend.runnableISAs.count : 0
        #expect(Self.backends().count == 3 + NativeBackend.runnableISAs.count + xnnpack)
        #endif
    }

    @Test("a one-op graph's external inputs are checked: an input tensor that is no activation is refused")
    func externalInputs() throws {
        var g = Graph(inputHeight: 4, inputWidth: 4)
        let w = g.addConstant("w", [1], [1])
        g.externalInputs = [w]
        #expect(throws: GraphError.invalidExternalInput(tensor: "\(w)")) { try g.verify() }
    }
}
