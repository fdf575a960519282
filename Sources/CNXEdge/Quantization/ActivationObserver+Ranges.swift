/// Picking a clipping range from the observed data.
extension ActivationObserver {
    /// The clipping range `spec` picks for codes `qmin...qmax`: see ``CalibrationMethod`` and the
    /// per-method functions below. Ranges lie within `[minimum, maximum]` widened to include 0;
    /// ``ActivationQuantization/init(range:qmin:qmax:)`` turns one into scale and zero point.
    /// - Throws: ``CalibrationError/noData(tensor:)`` if nothing was observed.
    /// - Precondition: `qmin < qmax`.
    public func range(for spec: CalibrationSpec, qmin: Int32 = 0, qmax: Int32 = 255) throws -> QuantizationRange {
        precondition(qmin < qmax, "ActivationObserver: qmin \(qmin) >= qmax \(qmax)")
        guard count > 0 else { throw CalibrationError.noData(tensor: name) }
        let levels = Int(qmax) - Int(qmin) + 1
        guard binWidth > 0 else { return QuantizationRange(lower: 0, upper: 0) }  // only zeros seen
        switch spec.method {
        case .minmax: return QuantizationRange(lower: minimum, upper: maximum)
        case .percentile: return percentileRange(spec.percentile)
        case .mse: return mseRange(qmin: qmin, qmax: qmax)
        case .entropy: return entropyRange(levels: levels)
        }
    }

    /// The clipping range `method` picks (``CalibrationMethod/percentile`` with `percentile`).
    /// - Throws: ``CalibrationError/noData(tensor:)`` if nothing was observed.
    public func range(for method: CalibrationMethod, percentile: Double = CalibrationMethod.defaultPercentile,
                      qmin: Int32 = 0, qmax: Int32 = 255) throws -> QuantizationRange {
        try range(for: CalibrationSpec(method, percentile: percentile), qmin: qmin, qmax: qmax)
    }

    /// Scale and zero point for the range `spec` picks.
    /// - Throws: ``CalibrationError/noData(tensor:)`` if nothing was observed.
    public func quantization(for spec: CalibrationSpec, qmin: Int32 = 0, qmax: Int32 = 255) throws -> ActivationQuantization {
        ActivationQuantization(range: try range(for: spec, qmin: qmin, qmax: qmax), qmin: qmin, qmax: qmax)
    }

    /// The expected squared error per value of quantizing the observed data with `quantization`
    /// then dequantizing: clipping error outside its represented range plus rounding error inside,
    /// integrated exactly for values spread uniformly within each histogram bin (edges clipped to
    /// the observed extremes). Lets a quantizer compare methods on the same data.
    /// - Throws: ``CalibrationError/noData(tensor:)`` if nothing was observed.
    public func expectedSquaredError(of quantization: ActivationQuantization) throws -> Double {
        guard count > 0 else { throw CalibrationError.noData(tensor: name) }
        guard binWidth > 0 else { return 0 }  // only zeros, and 0 is exact
        return QuantizationGrid(quantization).squaredError(of: histogramBins()) / Double(count)
    }

    // MARK: Percentile

    /// The two-sided percentile range: the value below which `(100 - p)`% of the observed values
    /// lie, and the one below which `p`% lie, read from the histogram's cumulative counts with
    /// linear interpolation inside the bin (edges clipped to the observed extremes). `p = 100`
    /// gives exactly `[minimum, maximum]`.
    func percentileRange(_ p: Double) -> QuantizationRange {
        let bins = histogramBins()
        let total = Double(count)
        let lower = quantile(bins, target: total * (100 - p) / 100)
        let upper = quantile(bins, target: total * p / 100)
        return QuantizationRange(lower: Float(lower), upper: max(Float(upper), Float(lower)))
    }

    private func quantile(_ bins: [HistogramBin], target: Double) -> Double {
        var cumulative = 0.0
        for bin in bins {
            if cumulative + bin.count >= target {
                let fraction = min(max((target - cumulative) / bin.count, 0), 1)
                return bin.lower + fraction * (bin.upper - bin.lower)
            }
            cumulative += bin.count
        }
        return Double(maximum)
    }

    // MARK: Histogram view

    /// The non-empty bins, in order, with edges clipped to `[minimum, maximum]` (a bin can have
    /// zero width when every value in it is the same, e.g. a constant tensor).
    func histogramBins() -> [HistogramBin] {
        let low = Double(minimum), high = Double(maximum)
        var bins: [HistogramBin] = []
        for (i, c) in counts.enumerated() where c != 0 {
            let lower = histogramLower + Double(i) * binWidth
            bins.append(HistogramBin(lower: min(max(lower, low), high),
                                     upper: max(min(lower + binWidth, high), low), count: Double(c)))
        }
        return bins
    }
}

/// One non-empty histogram bin: `count` values spread uniformly over `lower...upper`.
struct HistogramBin {
    var lower: Double
    var upper: Double
    var count: Double
}
