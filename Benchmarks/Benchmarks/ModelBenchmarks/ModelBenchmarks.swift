import Benchmark
import BenchmarkSupport
import CNXEdge

/// Whole-model rows: batch-1 inference on one 224x224 image with deterministic synthetic weights
/// (latency does not depend on the weight values). Named
/// `model/<model>-<input size>-<precision>__<backend>-<threads>t`; `throughput` is images per second
/// and `MAC/s` uses ``ModelConfig/macs(height:width:)``.
///
/// - `__native-Nt`, `__swift-Nt`: the compiled graph (`Compiler.compile`) run by `CompiledModel`
///   on ``NativeBackend`` (only with the `Native` trait) or ``SwiftBackend``.
/// - Femto and Pico: `model/convnextv2_femto-224-fp32__swift-1t`, `…pico…__swift-1t` (and
///   `__native-1t` with the trait), the larger sizes at one thread.
/// - `-int8__native-Nt`, `-int8__swift-Nt`: that graph quantized by ``Quantizer`` with the default
///   options, calibrated on two random inputs (ranges do not change the work; no block is left
///   float, unlike the trained Atto's one block, ~4% of its MACs).
let benchmarks: @Sendable () -> Void = {
    let side = 224
    var compiled: [(backend: String, threads: Int)] = [("swift", 1), ("swift", 2)]
    #if Native
    compiled = [("native", 1), ("native", 2)] + compiled
    #endif
    let atto = ModelConfig(.atto)
    for int8 in [false, true] {
        for row in compiled {
            let name = "model/\(atto)-\(side)-\(int8 ? "int8" : "fp32")__\(row.backend)-\(row.threads)t"
            Benchmark(name, configuration: .model(seconds: 10, maxIterations: 50)) { benchmark, state in
                try benchmark.measuringMACs(state.macs) {
                    blackHole(try state.model.predict(state.input))
                }
            } setup: {
                try CompiledModelState(config: atto, backend: row.backend, threads: row.threads, side: side, int8: int8)
            }
        }
    }

    for size in [ModelSize.femto, .pico] {
        let config = ModelConfig(size)
        for backend in compiled.filter({ $0.threads == 1 }).map(\.backend) {
            Benchmark("model/\(config)-\(side)-fp32__\(backend)-1t", configuration: .model(seconds: 10, maxIterations: 50)) { benchmark, state in
                try benchmark.measuringMACs(state.macs) {
                    blackHole(try state.model.predict(state.input))
                }
            } setup: {
                try CompiledModelState(config: config, backend: backend, threads: 1, side: side)
            }
        }
    }
}

/// A compiled graph with a prepared backend and its arena, and one input, built outside the measurement.
final class CompiledModelState: @unchecked Sendable {
    let model: CompiledModel
    let input: [Float]
    let macs: Int

    init(config: ModelConfig, backend name: String, threads: Int, side: Int, int8: Bool = false) throws {
        var graph = try Compiler.compile(.synthetic(config: config), height: side, width: side)
        if int8 {
            let inputs = (0..<2).map { gaussianArray(3 * side * side, std: 1, seed: UInt64(20 + $0)) }
            let statistics = try Quantizer.calibrate(graph, backend: SwiftBackend(), inputs: inputs)
            graph = try Quantizer.quantize(graph, statistics: statistics)
        }
        let options = ExecutionOptions(threads: threads)
        let backend: any Backend
        switch name {
        #if Native
        case "native": backend = NativeBackend(options: options)
        #endif
        default: backend = SwiftBackend(options: options)
        }
        model = try CompiledModel(graph: graph, backend: backend)
        input = gaussianArray(3 * side * side, std: 1, seed: 11)
        macs = config.macs(height: side, width: side)
    }
}
