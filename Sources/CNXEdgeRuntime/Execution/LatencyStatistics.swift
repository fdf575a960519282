/// Summary of repeated latency measurements, in milliseconds.
public struct LatencyStatistics: Equatable, Sendable, Codable {
    public var count: Int
    public var min: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var mean: Double
    public var max: Double

    /// Nearest-rank percentiles of `samples` (milliseconds); `samples` must not be empty.
    public init(samples: [Double]) {
        precondition(!samples.isEmpty, "LatencyStatistics needs at least one sample")
        let sorted = samples.sorted()
        func percentile(_ p: Double) -> Double {
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
        }
        count = sorted.count
        min = sorted[0]
        max = sorted[sorted.count - 1]
        p50 = percentile(50)
        p90 = percentile(90)
        p99 = percentile(99)
        mean = sorted.reduce(0, +) / Double(sorted.count)
    }

    /// Images per second at the mean latency of one image per run.
    public var imagesPerSecond: Double { 1000 / mean }
}
