import Foundation

/// The `entropy` method: TensorRT's KL-divergence calibration, adapted to asymmetric ranges.
extension ActivationObserver {
    /// TensorRT's method (as in NVIDIA's pytorch-quantization `_compute_amax_entropy`) picks, for
    /// `|x|`, the threshold bin `i` minimising `KL(P || Q)` where `P` is the histogram cut at `i`
    /// with all mass beyond folded into the last bin, and `Q` is the cut histogram merged into 128
    /// levels and expanded back (each level's mass spread evenly over its bins that held values,
    /// none on empty ones).
    ///
    /// **Adaptation.** Here the histogram is two-sided and the candidate is a window of bins
    /// `[i, j)`: mass below `i` folds into bin `i`, mass from `j` on into bin `j - 1`, and `Q`
    /// merges the window into `levels = qmax - qmin + 1` groups. The window always contains the bin
    /// holding 0 (the quantizer widens every range to include 0) and at least `levels` bins (as
    /// TensorRT's starting threshold); if fewer bins are occupied, the result is `minmax`. The two
    /// ends are chosen by shrinking both together around 0 (keeping their proportion), then by
    /// coordinate descent — the upper end with the lower fixed, then the lower with the upper
    /// fixed, up to two rounds — so a side without a long tail can keep its extreme.
    /// Each end is searched over at most ~256 evenly strided bins, then bin by bin around the best.
    /// As in MXNet's version (`_get_optimal_threshold`), an edge bin that receives folded mass
    /// counts as occupied when `Q` is expanded, and where `Q` is still 0 under mass of `P` (an edge
    /// group with no values of its own) it is smoothed to 1e-4 counts, so clipping a few far
    /// outliers costs little instead of being impossible (TensorRT's gives such windows an infinite KL).
    ///
    /// **Resolution.** The histogram is first merged down to ``entropyBinCount`` bins (4096, as
    /// TensorRT's 2048 per side). The smallest window is `levels` of those bins, 1/16 of the
    /// histogram's span with 256 levels (TensorRT's is also 1/16): outliers more than ~16x beyond
    /// the bulk cannot be clipped all the way to the bulk by this method.
    /// Thresholds are bin edges; an end that does not clip is the observed extreme.
    ///
    /// Cost: prefix sums make each candidate O(levels).
    func entropyRange(levels: Int) -> QuantizationRange {
        let minmax = QuantizationRange(lower: minimum, upper: maximum)
        // Coarsen to at most `entropyBinCount` bins (whole bins merged) to damp sampling noise.
        let factor = max(1, (binCount + Self.entropyBinCount - 1) / Self.entropyBinCount)
        var counts = [UInt64](repeating: 0, count: (binCount + factor - 1) / factor)
        for (k, c) in self.counts.enumerated() { counts[k / factor] += c }
        guard let first = counts.firstIndex(where: { $0 != 0 }), let last = counts.lastIndex(where: { $0 != 0 }) else {
            return minmax
        }
        let zero = bin(of: 0) / factor
        let start = min(first, zero), end = max(last, zero) + 1
        guard end - start > levels else { return minmax }
        let kl = WindowDivergence(counts: counts, levels: levels)

        // Both ends shrunk together around 0's bin first (see ``mseRange(qmin:qmax:)`` for why).
        let total = end - start, below = zero - start
        let width = Self.bestEnd(levels...total, widestFirst: true) { w in
            let i = zero - (w * below + total / 2) / total
            return kl(i, min(i + w, end))
        }
        var i = zero - (width * below + total / 2) / total, j = min(i + width, end)
        for _ in 0..<2 {
            let newJ = Self.bestEnd(max(i + levels, zero + 1)...end, widestFirst: true) { kl(i, $0) }
            let newI = Self.bestEnd(start...min(newJ - levels, zero), widestFirst: false) { kl($0, newJ) }
            defer { (i, j) = (newI, newJ) }
            if newI == i && newJ == j { break }
        }
        let edge = { (k: Int) in Float(self.histogramLower + Double(k * factor) * self.binWidth) }
        let upper = j >= end ? maximum : min(max(edge(j), minimum), maximum)
        let lower = i <= start ? minimum : min(max(edge(i), minimum), upper)
        return QuantizationRange(lower: lower, upper: upper)
    }

    /// The resolution the entropy method works at: 4096 bins, TensorRT's 2048 bins of `|x|` on
    /// both sides. Finer histograms make `Q`'s spreading mostly measure sampling noise.
    static let entropyBinCount = 4096

    /// The candidate in `range` minimising `f`: strided, then bin by bin around the best. Ties keep
    /// the wider window (the upper end of `range` when `widestFirst`, else the lower end).
    static func bestEnd(_ range: ClosedRange<Int>, widestFirst: Bool, _ f: (Int) -> Double) -> Int {
        let stride = max(1, range.count / 256)
        var candidates = Array(Swift.stride(from: range.lowerBound, through: range.upperBound, by: stride))
        if candidates.last != range.upperBound { candidates.append(range.upperBound) }
        if widestFirst { candidates.reverse() }
        var best = candidates[0], bestCost = f(best)
        for k in candidates.dropFirst() {
            let c = f(k)
            if c < bestCost { (best, bestCost) = (k, c) }
        }
        guard stride > 1 else { return best }
        let around = max(range.lowerBound, best - stride)...min(range.upperBound, best + stride)
        let fine = widestFirst ? Array(around.reversed()) : Array(around)
        for k in fine where k != best {
            let c = f(k)
            if c < bestCost { (best, bestCost) = (k, c) }
        }
        return best
    }
}

/// `KL(P || Q)` for windows of a histogram, in O(levels) per window through prefix sums.
struct WindowDivergence {
    let levels: Int
    let counts: [Double]
    /// `sums[k]`: values in bins `0..<k`; `occupied[k]`: non-empty bins among them;
    /// `entropyTerms[k]`: `Σ c log c` over them.
    let sums: [Double], occupied: [Double], entropyTerms: [Double]

    init(counts raw: [UInt64], levels: Int) {
        self.levels = levels
        counts = raw.map { Double($0) }
        var sums = [0.0], occupied = [0.0], terms = [0.0]
        sums.reserveCapacity(raw.count + 1)
        occupied.reserveCapacity(raw.count + 1)
        terms.reserveCapacity(raw.count + 1)
        for c in counts {
            sums.append(sums.last! + c)
            occupied.append(occupied.last! + (c > 0 ? 1 : 0))
            terms.append(terms.last! + Self.xlogx(c))
        }
        self.sums = sums
        self.occupied = occupied
        self.entropyTerms = terms
    }

    /// The count given to a bin where `Q` is 0 but `P` is not (MXNet's `eps`).
    static let smoothing = 1e-4

    static func xlogx(_ x: Double) -> Double { x > 0 ? x * log(x) : 0 }

    /// KL divergence of the window `[i, j)` (`j - i >= levels >= 2`).
    func callAsFunction(_ i: Int, _ j: Int) -> Double {
        let total = sums[sums.count - 1]
        let below = sums[i], above = total - sums[j]
        let first = counts[i], last = counts[j - 1]
        let window = sums[j] - sums[i]
        // Σ P log P: interior bins from the prefix sums, the two edge bins with their folds.
        let pLogP = entropyTerms[j - 1] - entropyTerms[i + 1] + Self.xlogx(first + below) + Self.xlogx(last + above)
        // Σ P log Q, group by group: Q is the group's mass spread over the bins where P is non-zero.
        var pLogQ = 0.0, smoothed = 0.0
        let width = j - i
        for g in 0..<levels {
            let s = i + g * width / levels, e = i + (g + 1) * width / levels
            guard e > s else { continue }
            let mass = sums[e] - sums[s]
            var p = mass, support = occupied[e] - occupied[s]
            if s == i && below > 0 {
                p += below
                if first == 0 { support += 1 }
            }
            if e == j && above > 0 {
                p += above
                if last == 0 { support += 1 }
            }
            guard p > 0 else { continue }
            if mass > 0 {
                pLogQ += p * log(mass / support)
            } else {
                pLogQ += p * log(Self.smoothing)
                smoothed += Self.smoothing * support
            }
        }
        return (pLogP - pLogQ) / total - log(total) + log(window + smoothed)
    }
}
