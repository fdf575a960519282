import Benchmark
import BenchmarkSupport
import CNXEdge

/// One row per distinct fused-op shape of the compiled ConvNeXt V2 Atto graph at 224x224
/// (synthetic weights), fp32 and int8, per provider (swift, native, and xnnpack for the ops it runs: `__xnnpack-1t`), single-threaded, so a regression in one fused
/// op shows on its own. Named `op/<kind>-<shape>__<backend>-1t` after the op's ``FusedOp`` case,
/// e.g. `op/pointwiseGELU-196x160x640__native-1t`, `op/qu8PointwiseGELU-3136x40x160__swift-1t`;
/// see ``OpRow/shapeName(_:in:)`` for what the shape means for each kind. The int8 graph is the
/// fp32 one through ``Quantizer`` with the default options, calibrated on two random inputs (as
/// the model rows), so every block and downsample is int8 and the float ops keep weight-only int8
/// weights (their rows end in `-w8`).
///
/// Each row's setup compiles and prepares a `CompiledModel`, allocates an arena for its memory
/// plan and runs ops `0..<i` once, so op `i` reads the activations it reads inside the model.
/// Only `backend.execute(op: i, ...)` is measured.
let benchmarks: @Sendable () -> Void = {
    let side = 224
    let graphs: [SendableGraph]
    do {
        let fp32 = try Compiler.compile(.synthetic(config: ModelConfig(.atto)), height: side, width: side)
        let inputs = (0..<2).map { gaussianArray(3 * side * side, std: 1, seed: UInt64(20 + $0)) }
        let statistics = try Quantizer.calibrate(fp32, backend: SwiftBackend(), inputs: inputs)
        graphs = [SendableGraph(fp32), SendableGraph(try Quantizer.quantize(fp32, statistics: statistics))]
    } catch {
        fatalError("compiling ConvNeXt V2 Atto failed: \(error)")
    }

    // The first op of every distinct name (stage 2's six identical blocks give one row each kind).
    var seen: Set<String> = []
    var rows: [OpRow] = []
    for shared in graphs {
        let graph = shared.graph
        for (i, op) in graph.ops.enumerated() {
            let name = "\(op.kind)-\(OpRow.shapeName(op, in: graph))"
            if seen.insert(name).inserted { rows.append(OpRow(graph: shared, index: i, name: name, macs: op.macs(in: graph))) }
        }
    }

    var backends: [(name: String, make: @Sendable () -> any Backend)] = [
        ("swift", { SwiftBackend(options: ExecutionOptions(threads: 1)) }),
    ]
    #if Native
    backends.insert(("native", { NativeBackend(options: ExecutionOptions(threads: 1)) }), at: 0)
    if Provider.available.contains(.xnnpack) {
        // XNNPACK's operators with our steps around them: only the ops it runs.
        backends.append(("xnnpack", { PlacedBackend(policy: .prefer(.xnnpack), options: ExecutionOptions(threads: 1)) }))
    }
    #endif

    for backend in backends {
        for row in rows where backend.name != "xnnpack" || PlacedBackend.supports(.xnnpack, row.graph.graph.ops[row.index]) {
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
                try OpState(graph: row.graph.graph, backend: backend.make(), op: row.index, side: side)
            }
        }
    }
}

/// One distinct fused op of a graph: the graph, its index (the first op with this name) and row name.
struct OpRow: Sendable {
    let graph: SendableGraph
    let index: Int
    let name: String
    let macs: Int

    /// The op's shape, in the form the kernel rows use:
    /// - GEMM-like ops as `ROWSxKxN` (output pixels x input features x output channels):
    ///   `stem` (K = 3·4·4 = 48), the 1x1s, the downsamples (K = 4·Cin), `head` (ROWS = 1); a 1x1
    ///   gets `-noresidual` without a residual add;
    /// - the depthwise 7x7s and GRNs as `HxWxC`;
    /// - `-w8` for a float op whose weights are stored as int8 (``WeightStorage``).
    static func shapeName(_ op: FusedOp, in graph: Graph) -> String {
        func nhwc(_ t: TensorID) -> (h: Int, w: Int, c: Int) {
            let s = graph[t].shape
            return (s[1], s[2], s[3])
        }
        func gemm(_ output: TensorID, k: Int) -> String {
            let o = nhwc(output)
            return "\(o.h * o.w)x\(k)x\(o.c)"
        }
        func spatial(_ t: TensorID) -> String {
            let o = nhwc(t)
            return "\(o.h)x\(o.w)x\(o.c)"
        }
        func residual(_ r: TensorID?) -> String { r == nil ? "-noresidual" : "" }
        func w8(_ s: WeightStorage) -> String { s == .float32 ? "" : "-w8" }
        return switch op {
        case let .stem(p): gemm(p.output, k: graph[p.input].shape[1] * 16)
        case let .depthwiseConvLN(p), let .qu8DepthwiseConvLN(p): spatial(p.output) + w8(p.weightStorage)
        case let .pointwiseGELU(p): gemm(p.output, k: nhwc(p.input).c) + w8(p.weightStorage)
        case let .grn(p), let .qu8GRN(p): spatial(p.output)
        case let .pointwise(p): gemm(p.output, k: nhwc(p.input).c) + residual(p.residual) + w8(p.weightStorage)
        case let .grnPointwise(p): gemm(p.output, k: nhwc(p.input).c) + residual(p.residual)
        case let .downsample(p): gemm(p.output, k: nhwc(p.input).c * 4) + w8(p.weightStorage)
        case let .head(p): "1x\(nhwc(p.input).c)x\(graph[p.output].shape.last!)" + w8(p.weightStorage)
        case let .qu8PointwiseGELU(p): gemm(p.output, k: nhwc(p.input).c)
        case let .qu8Pointwise(p): gemm(p.output, k: nhwc(p.input).c) + residual(p.residual)
        case let .qu8GRNPointwise(p): gemm(p.output, k: nhwc(p.input).c) + residual(p.residual)
        case let .qu8Downsample(p): gemm(p.output, k: nhwc(p.input).c * 4)
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
