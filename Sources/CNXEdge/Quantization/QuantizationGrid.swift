/// The values an ``ActivationQuantization`` can represent, `lower + k * step` for `k` in
/// `0...qmax - qmin`, and the squared error of mapping values onto them (round to the nearest,
/// clamp outside), computed in Double.
struct QuantizationGrid {
    var lower: Double
    var upper: Double
    var step: Double

    init(_ q: ActivationQuantization) {
        step = Double(q.scale)
        lower = Double(q.qmin - q.zeroPoint) * step
        upper = Double(q.qmax - q.zeroPoint) * step
    }

    /// Total squared error over `bins`, each bin's values uniform between its edges (a point mass
    /// when the edges coincide).
    func squaredError(of bins: [HistogramBin]) -> Double {
        var total = 0.0
        for bin in bins { total += squaredError(of: bin) }
        return total
    }

    func squaredError(of bin: HistogramBin) -> Double {
        let a = bin.lower, b = bin.upper
        let width = b - a
        guard width > 0 else { return bin.count * pointError(a) }
        var integral = 0.0
        if a < lower {  // clipped below: ∫ (lower - x)² dx over [a, min(b, lower)]
            let d0 = lower - a, d1 = lower - min(b, lower)
            integral += (d0 * d0 * d0 - d1 * d1 * d1) / 3
        }
        if b > upper {  // clipped above: ∫ (x - upper)² dx over [max(a, upper), b]
            let d0 = max(a, upper) - upper, d1 = b - upper
            integral += (d1 * d1 * d1 - d0 * d0 * d0) / 3
        }
        let inLow = max(a, lower), inHigh = min(b, upper)
        if inLow < inHigh {
            integral += step * step * step * (roundingIntegral((inHigh - lower) / step) - roundingIntegral((inLow - lower) / step))
        }
        return bin.count * integral / width
    }

    /// The squared error of one value.
    func pointError(_ x: Double) -> Double {
        if x <= lower { return (lower - x) * (lower - x) }
        if x >= upper { return (x - upper) * (x - upper) }
        let d = (x - lower) / step
        let e = (d - d.rounded(.toNearestOrEven)) * step
        return e * e
    }

    /// `∫₀ᵘ (v - round(v))² dv`: `1/12` per whole step, and within the last one `r³/3` up to the
    /// midpoint, `1/12 + (r - 1)³/3` after it (`r` the fractional part).
    func roundingIntegral(_ u: Double) -> Double {
        let whole = u.rounded(.down), r = u - whole
        let partial = r <= 0.5 ? r * r * r / 3 : 1.0 / 12 + (r - 1) * (r - 1) * (r - 1) / 3
        return whole / 12 + partial
    }
}
