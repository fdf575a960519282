import Benchmark
import BenchmarkSupport
import CNXEdge

/// Whole-model rows: batch-1 `predict` on one 224x224 image with deterministic synthetic weights
/// (latency does not depend on the weight values). Named
/// `model/<model>-<input size>-<precision>__<backend>-<threads>t`; `throughput` is images per second
/// and `MAC/s` uses ``ModelConfig/macs(height:width:)``.
let benchmarks: @Sendable () -> Void = {
    let rows: [(size: ModelSize, threads: Int)] = [(.atto, 1), (.atto, 2), (.femto, 1), (.pico, 1)]
    for row in rows {
        let config = ModelConfig(row.size)
        let side = 224
        let name = "model/\(config)-\(side)-fp32__swift-\(row.threads)t"
        Benchmark(name, configuration: .model(seconds: 10, maxIterations: 50)) { benchmark, state in
            try benchmark.measuringMACs(state.macs) {
                blackHole(try state.model.predict(state.input, height: side, width: side))
            }
        } setup: {
            ModelState(config: config, threads: row.threads, side: side)
        }
    }
}

/// A model with its weights packed and one normalised-looking input, built outside the measurement.
final class ModelState: @unchecked Sendable {
    let model: SwiftFP32Model
    let input: [Float]
    let macs: Int

    init(config: ModelConfig, threads: Int, side: Int) {
        model = SwiftFP32Model(weights: .synthetic(config: config), options: ExecutionOptions(threads: threads))
        input = gaussianArray(3 * side * side, std: 1, seed: 11)
        macs = config.macs(height: side, width: side)
    }
}
