/// Collects the values of one activation tensor over a calibration run — the exact minimum and
/// maximum plus a histogram — so that afterwards ``range(for:qmin:qmax:)`` can give the clipping
/// range for every ``CalibrationMethod`` from the same data, without running the model again.
///
/// **The histogram.** `binCount` bins of equal width, always covering 0 and every observed value.
/// The first tensor with a non-zero value sets the range to `[min(0, min), max(0, max)]`. When a
/// later tensor falls outside it, the histogram grows by an integer factor `k >= 2`: each new bin
/// is exactly `k` old bins (the new lower edge is the old one moved down by a whole number of old
/// bins), so re-binning only merges counts and the result equals binning every value directly
/// with the coarser grid. The cost is resolution: after growing, the observed values span at
/// least half the bins. Values equal to the top edge go into the last bin. Within a bin, the
/// methods treat values as spread uniformly between the bin's edges clipped to the observed
/// minimum and maximum.
///
/// **Cost.** ``observe(_:)-([Float])`` is two passes over the data (a SIMD min/max/finiteness
/// pass, then one histogram increment per value), O(n), no allocation (other than when the
/// histogram grows, O(binCount), at most `log2` of the range growth times).
///
/// Values are per tensor, in any layout; the observer never sees shapes.
public struct ActivationObserver: Sendable {
    /// The default number of bins, 8192: entropy calibration needs at least `qmax - qmin + 1`
    /// bins inside the range it picks, so outliers 30x beyond the bulk still leave enough.
    public static let defaultBinCount = 8192

    /// The tensor's name, used in errors; nil if not given.
    public let name: String?
    /// Number of histogram bins.
    public let binCount: Int
    /// Number of values observed.
    public private(set) var count = 0
    /// The smallest value observed (`+infinity` before any).
    public private(set) var minimum = Float.infinity
    /// The largest value observed (`-infinity` before any).
    public private(set) var maximum = -Float.infinity
    /// Lower edge of bin 0 (0 before the histogram exists).
    public private(set) var histogramLower = 0.0
    /// Width of every bin (0 until a non-zero value has been observed).
    public private(set) var binWidth = 0.0
    /// Values per bin; all values are zeros while `binWidth == 0` (kept in `pendingZeros`).
    private(set) var counts: [UInt64]
    /// Zeros observed before the histogram existed.
    private var pendingZeros: UInt64 = 0

    /// - Parameters:
    ///   - name: the tensor's name, for errors.
    ///   - bins: histogram bins, at least 16 (defaults to ``defaultBinCount``).
    /// - Precondition: `bins >= 16`.
    public init(name: String? = nil, bins: Int = ActivationObserver.defaultBinCount) {
        precondition(bins >= 16, "ActivationObserver: \(bins) bins, need at least 16")
        self.name = name
        self.binCount = bins
        self.counts = []
    }

    /// The histogram's upper edge, `histogramLower + binCount * binWidth`.
    public var histogramUpper: Double { histogramLower + Double(binCount) * binWidth }

    /// Adds `values` (one tensor, or part of one).
    /// - Throws: ``CalibrationError/nonFinite(tensor:index:)`` with the index of the first NaN or
    ///   infinity; the observer is then unchanged.
    public mutating func observe(_ values: [Float]) throws {
        try values.withUnsafeBufferPointer { try observe($0) }
    }

    /// Adds `values` (one tensor, or part of one).
    /// - Throws: ``CalibrationError/nonFinite(tensor:index:)`` with the index of the first NaN or
    ///   infinity; the observer is then unchanged.
    public mutating func observe(_ values: UnsafeBufferPointer<Float>) throws {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        guard let (low, high) = Self.finiteExtrema(base, count: values.count) else {
            throw CalibrationError.nonFinite(tensor: name, index: values.firstIndex { !$0.isFinite } ?? 0)
        }
        minimum = min(minimum, low)
        maximum = max(maximum, high)
        count += values.count
        if binWidth == 0 {
            guard low != 0 || high != 0 else {
                pendingZeros += UInt64(values.count)
                return
            }
            createHistogram(lower: min(Double(low), 0), upper: max(Double(high), 0))
        } else {
            grow(toCover: Double(low), Double(high))
        }
        accumulate(base, count: values.count)
    }

    /// The minimum and maximum of `count` floats, or nil if any is NaN or infinite.
    /// (`replace(with:where:)` compiles to vector min/max; `pointwiseMin` did not, 100x slower.)
    static func finiteExtrema(_ base: UnsafePointer<Float>, count: Int) -> (Float, Float)? {
        typealias V = SIMD8<Float>
        var low = V(repeating: .infinity), high = V(repeating: -.infinity), poison = V()
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + V.scalarCount <= count {
            let x = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Float>.stride, as: V.self)
            low.replace(with: x, where: x .< low)
            high.replace(with: x, where: x .> high)
            poison += x * 0  // NaN for NaN or ±infinity, 0 otherwise
            i += V.scalarCount
        }
        var lo = low.min(), hi = high.max(), bad = poison.sum()
        while i < count {
            let x = base[i]
            lo = min(lo, x)
            hi = max(hi, x)
            bad += x * 0
            i += 1
        }
        return bad.isNaN || !lo.isFinite || !hi.isFinite ? nil : (lo, hi)
    }

    private mutating func createHistogram(lower: Double, upper: Double) {
        histogramLower = lower
        binWidth = (upper - lower) / Double(binCount)
        counts = [UInt64](repeating: 0, count: binCount)
        if pendingZeros > 0 {
            counts[bin(of: 0)] += pendingZeros
            pendingZeros = 0
        }
    }

    /// The bin `x` falls into, clamped to the histogram.
    @inline(__always)
    func bin(of x: Double) -> Int {
        Int(min(max((x - histogramLower) / binWidth, 0), Double(binCount - 1)))
    }

    /// Widens the histogram by merging `k` bins into one so that it covers `low...high`.
    private mutating func grow(toCover low: Double, _ high: Double) {
        let upperEdge = histogramUpper
        guard low < histogramLower || high > upperEdge else { return }
        // In old-bin units: how far to extend below, and how far above the old lower edge to reach.
        let below = low < histogramLower ? ((histogramLower - low) / binWidth).rounded(.up) : 0
        let above = high > upperEdge ? ((high - histogramLower) / binWidth).rounded(.up) : Double(binCount)
        let units = below + above
        guard units < 0x1p52 else {
            // The old data is negligible at the new resolution: restart, keeping its mass at 0's bin.
            let mass = counts.reduce(0, +)
            binWidth = 0
            pendingZeros = mass
            createHistogram(lower: min(low, histogramLower), upper: max(high, upperEdge))
            return
        }
        let k = Int((units / Double(binCount)).rounded(.up))
        let shift = Int(below)
        var merged = [UInt64](repeating: 0, count: binCount)
        for (i, c) in counts.enumerated() where c != 0 { merged[(i + shift) / k] += c }
        counts = merged
        histogramLower -= Double(shift) * binWidth
        binWidth *= Double(k)
    }

    /// One increment per value. The bin index is computed in Float (error about 1e-7 of the
    /// span, under 1e-3 of a bin: only values that close to an edge can land in the neighbouring
    /// bin). Scalar on purpose: the SIMD float-to-integer conversion is ten times slower.
    private mutating func accumulate(_ base: UnsafePointer<Float>, count n: Int) {
        let lower = Float(histogramLower), inverse = Float(1 / binWidth), last = Float(binCount - 1)
        counts.withUnsafeMutableBufferPointer { bins in
            let b = bins.baseAddress!
            for i in 0..<n {
                let t = min(max((base[i] - lower) * inverse, 0), last)
                b[Int(Int32(t))] &+= 1
            }
        }
    }
}
