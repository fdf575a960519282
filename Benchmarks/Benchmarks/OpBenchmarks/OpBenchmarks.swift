import Benchmark
import BenchmarkSupport
import CNXEdge

/// One row per distinct fused-op shape of the compiled ConvNeXt V2 Atto graph at 224x224
/// (synthetic weights), per backend, single-threaded, so a regression in one fused op shows on its
/// own. Named `op/<kind>-<shape>__<backend>-1t`, e.g. `op/pointwiseGELU-196x160x640__native-1t`;
/// see ``OpRow/shapeName(_:in:)`` for what the shape means for each kind.
///
/// Each row's setup compiles and prepares a `CompiledModel`, allocates an arena for its memory
/// plan and runs ops `0..<i` once, so op `i` reads the activations it reads inside the model.
/// Only `backend.execute(op: i, ...)` is measured.
let benchmarks: @Sendable () -> Void = {
    let side = 224
    let graph: Graph
    do {
        graph = try Compiler.compile(.synthetic(config: ModelConfig(.atto)), height: side, width: side)
    } catch {
        fatalError("compiling ConvNeXt V2 Atto failed: \(error)")
    }
    let shared = SendableGraph(graph)

    // The first op of every distinct name (stage 2's six identical blocks give one row each kind).
    var seen: Set<String> = []
    var rows: [OpRow] = []
    for (i, op) in graph.ops.enumerated() {
        let name = "\(op.kind)-\(OpRow.shapeName(op, in: graph))"
        if seen.insert(name).inserted { rows.append(OpRow(index: i, name: name, macs: op.macs(in: graph))) }
    }

    var backends: [(name: String, make: @Sendable () -> any Backend)] = [
        ("swift", { SwiftBackend(options: ExecutionOptions(threads: 1)) }),
    ]
    #if Native
    backends.insert(("native", { NativeBackend(options: ExecutionOptions(threads: 1)) }), at: 0)
    #endif

    for backend in backends {
        for row in rows {
            let name = "op/\(row.name)__\(backend.name)-1t"
            let metrics = row.macs > 0 ? computeMetrics : memoryBoundMetrics
            Benchmark(name, configuration: .kernel(metrics: metrics)) { benchmark, state in
                // In-place ops (GRN, fc2's residual add) get their input back before every call,
                // outside the measured region, so the values stay those of one model run.
                state.restoreInPlaceInput()
                benchmark.startMeasurement()
                if row.macs > 0 {
                    benchmark.measuringMACs(row.macs) { state.run() }
                } else {
                    state.run()
                }
                benchmark.stopMeasurement()
            } setup: {
                try OpState(graph: shared.graph, backend: backend.make(), op: row.index, side: side)
            }
        }
    }
}

/// One distinct fused op of the graph: its index (the first op with this name) and row name.
struct OpRow: Sendable {
    let index: Int
    let name: String
    let macs: Int

    /// The op's shape, in the form the kernel rows use:
    /// - GEMM-like ops as `ROWSxKxN` (output pixels x input features x output channels):
    ///   `stem` (K = 3·4·4 = 48), `pointwiseGELU`, `pointwise`, `downsample` (K = 4·Cin), `head` (ROWS = 1);
    ///   `pointwise` gets `-noresidual` without a residual add and `-grnfolded` when GRN is folded in;
    /// - `depthwiseConvLN` and `grn` as `HxWxC`.
    static func shapeName(_ op: FusedOp, in graph: Graph) -> String {
        func nhwc(_ t: TensorID) -> (h: Int, w: Int, c: Int) {
            let s = graph[t].shape
            return (s[1], s[2], s[3])
        }
        func gemm(_ output: TensorID, k: Int) -> String {
            let o = nhwc(output)
            return "\(o.h * o.w)x\(k)x\(o.c)"
        }
        switch op {
        case let .stem(p):
            return gemm(p.output, k: graph[p.input].shape[1] * 16)
        case let .depthwiseConvLN(p):
            let o = nhwc(p.output)
            return "\(o.h)x\(o.w)x\(o.c)"
        case let .pointwiseGELU(p):
            return gemm(p.output, k: nhwc(p.input).c)
        case let .grn(p):
            let o = nhwc(p.output)
            return "\(o.h)x\(o.w)x\(o.c)"
        case let .pointwise(p):
            var name = gemm(p.output, k: nhwc(p.input).c)
            if p.residual == nil { name += "-noresidual" }
            if p.inputScale != nil { name += "-grnfolded" }
            return name
        case let .downsample(p):
            return gemm(p.output, k: nhwc(p.input).c * 4)
        case let .head(p):
            return "1x\(nhwc(p.input).c)x\(graph[p.output].shape.last!)"
        }
    }
}

/// The graph, handed to every row's setup (it is a value type holding only arrays and dictionaries).
struct SendableGraph: @unchecked Sendable {
    let graph: Graph
    init(_ graph: Graph) { self.graph = graph }
}

/// A prepared backend, an arena for the graph's memory plan holding the activations of one model
/// run up to op `op`, and a copy of the in-place op's input (if any) to restore between calls.
final class OpState: @unchecked Sendable {
    let model: CompiledModel
    let op: Int
    let input: FloatBuffer
    let arena: UnsafeMutableRawPointer
    let buffers: ExecutionBuffers
    /// Where the in-place tensor lives in the arena, and a copy of it as op `op` first saw it.
    let inPlace: (at: UnsafeMutableRawPointer, saved: UnsafeMutableRawPointer, bytes: Int)?

    init(graph: Graph, backend: any Backend, op: Int, side: Int) throws {
        model = try CompiledModel(graph: graph, backend: backend)
        self.op = op
        input = FloatBuffer(count: 3 * side * side, seed: 11)
        let plan = model.plan
        arena = .allocate(byteCount: max(plan.arenaBytes, MemoryPlan.alignment), alignment: MemoryPlan.alignment)
        buffers = ExecutionBuffers(arena: arena, plan: plan, inputID: graph.input, input: input.pointer)
        for i in 0..<op { backend.execute(op: i, buffers) }
        if let (t, _) = graph.ops[op].inPlace {
            let bytes = graph[t].byteCount
            let at = arena + plan.offsets[t]!
            let saved = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: MemoryPlan.alignment)
            saved.copyMemory(from: at, byteCount: bytes)
            inPlace = (at, saved, bytes)
        } else {
            inPlace = nil
        }
    }

    deinit {
        arena.deallocate()
        inPlace?.saved.deallocate()
    }

    @inline(__always)
    func restoreInPlaceInput() {
        if let inPlace { inPlace.at.copyMemory(from: inPlace.saved, byteCount: inPlace.bytes) }
    }

    @inline(__always)
    func run() { model.backend.execute(op: op, buffers) }
}
