import Benchmark

/// Tolerances for `baseline check` / `thresholds check`: p50 wall clock may move 10 % (the
/// machines these run on are small and shared), and a row may not gain a single allocation.
public var regressionThresholds: [BenchmarkMetric: BenchmarkThresholds] { [
    .wallClock: BenchmarkThresholds(relative: [.p50: 10.0, .p75: 15.0]),
    .mallocCountTotal: BenchmarkThresholds(absolute: [.p50: 0, .p90: 0]),
] }

extension Benchmark.Configuration {
    /// A kernel row: microseconds, up to a second or 2,000 calls, whichever comes first, after five warm-up calls.
    public static func kernel(metrics: [BenchmarkMetric]) -> Benchmark.Configuration {
        .init(metrics: metrics, timeUnits: .microseconds, units: [macRate: .mega], warmupIterations: 5,
              maxDuration: .seconds(1), maxIterations: 2_000, thresholds: regressionThresholds)
    }

    /// A whole-model row: up to `maxIterations` images or `seconds`, whichever comes first, after
    /// two warm-up images (the first allocates the model's workspace). Microseconds, because the
    /// table prints integers and 16 ms would hide a 5 % change.
    public static func model(seconds: Int, maxIterations: Int) -> Benchmark.Configuration {
        .init(metrics: computeMetrics, timeUnits: .microseconds, units: [macRate: .mega], warmupIterations: 2,
              maxDuration: .seconds(seconds), maxIterations: maxIterations, thresholds: regressionThresholds)
    }
}
