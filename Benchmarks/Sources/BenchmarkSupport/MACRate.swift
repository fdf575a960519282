import Benchmark

/// The `MAC/s` column: multiply-accumulates per second of one iteration, timed around the kernel
/// call alone. The framework's `throughput` counts iterations per second; this scales it by the
/// work of one iteration so rows of different shapes compare. Rows show it in millions (`MAC/s (M)`,
/// 7982 is 7.98 GMAC/s): the metric is an `Int`, and G would round every kernel to one digit.
public var macRate: BenchmarkMetric { .custom("MAC/s", polarity: .prefersLarger, useScalingFactor: false) }

/// Metrics for a kernel or model row: time, iterations per second, MAC rate, and the malloc count
/// (0 per iteration is the "kernels never allocate" rule; it needs the MallocInterposer trait).
public var computeMetrics: [BenchmarkMetric] { [.wallClock, .throughput, macRate, .mallocCountTotal] }

/// Metrics for a row whose work is not multiply-accumulates (normalisation, scale and bias).
public var memoryBoundMetrics: [BenchmarkMetric] { [.wallClock, .throughput, .mallocCountTotal] }

extension Benchmark {
    /// Runs `body` once, timed on its own, and records `macs / seconds` as ``macRate``.
    @inlinable
    public func measuringMACs(_ macs: Int, _ body: () throws -> Void) rethrows {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let elapsed = start.duration(to: clock.now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        if seconds > 0 { measurement(macRate, Int(Double(macs) / seconds)) }
    }
}
