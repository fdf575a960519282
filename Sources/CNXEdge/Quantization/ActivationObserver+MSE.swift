import Foundation

/// The `mse` method: the clipping range whose quantization has the least expected squared error.
extension ActivationObserver {
    /// Minimises ``expectedSquaredError(of:)`` over ranges `[a, b]` with `min(minimum, 0) <= a <= 0
    /// <= b <= max(maximum, 0)` (the quantizer widens every range to include 0 anyway), each
    /// candidate scored with the exact scale and integer zero point
    /// ``ActivationQuantization/init(range:qmin:qmax:)`` would give it, so rounding error inside
    /// (for `qmax - qmin + 1` levels) and clipping error outside are both counted.
    ///
    /// Search: first both ends shrunk together, `[t * low, t * high]`; then coordinate descent from
    /// there, the upper end with the lower fixed and the lower with the upper fixed, up to two
    /// rounds or until neither moves. (Shrinking both first matters: with huge outliers on both
    /// sides, clipping one side alone does not pay, so a one-end-at-a-time search would stop at
    /// minmax.) Each one-dimensional search over `t` in `(0, 1]` tries a geometric grid
    /// `2^(-k/8)` down to `2^-16`, then 32 even steps between the best point's neighbours. A
    /// candidate costs O(non-empty bins).
    func mseRange(qmin: Int32, qmax: Int32) -> QuantizationRange {
        let bins = histogramBins()
        let low = min(Double(minimum), 0), high = max(Double(maximum), 0)
        func cost(_ a: Double, _ b: Double) -> Double {
            let range = QuantizationRange(lower: Float(a), upper: Float(b))
            return QuantizationGrid(ActivationQuantization(range: range, qmin: qmin, qmax: qmax)).squaredError(of: bins)
        }
        let t = Self.minimize { cost(low * $0, high * $0) }
        var a = low * t, b = high * t
        for _ in 0..<2 {
            let newB = high * Self.minimize { cost(a, high * $0) }
            let newA = low * Self.minimize { cost(low * $0, newB) }
            defer { (a, b) = (newA, newB) }
            if newA == a && newB == b { break }
        }
        let upper = maximum <= 0 ? maximum : min(Float(b), maximum)
        let lower = minimum >= 0 ? minimum : max(Float(a), minimum)
        return QuantizationRange(lower: min(lower, upper), upper: upper)
    }

    /// The `t` in `(0, 1]` minimising `f`: a geometric grid, then even steps around the best;
    /// ties keep the larger `t`.
    static func minimize(_ f: (Double) -> Double) -> Double {
        let grid = (0...128).map { exp2(-Double($0) / 8) }
        var best = 0, bestCost = f(grid[0])
        for k in grid.indices.dropFirst() {
            let c = f(grid[k])
            if c < bestCost { (best, bestCost) = (k, c) }
        }
        var t = grid[best]
        let from = grid[min(best + 1, grid.count - 1)], to = grid[max(best - 1, 0)]
        for step in 0...32 {
            let x = to - (to - from) * Double(step) / 32
            let c = f(x)
            if c < bestCost { (t, bestCost) = (x, c) }
        }
        return t
    }
}
