/// A separable resampling filter as Pillow defines it (`src/libImaging/Resample.c`), used with
/// antialiasing: when shrinking, the filter is stretched by the scale factor.
public enum ResampleFilter: String, Sendable, Equatable, CaseIterable {
    /// Triangle filter, support 1 (Pillow `BILINEAR`).
    case bilinear
    /// Keys cubic convolution with a = -0.5, support 2 (Pillow `BICUBIC`).
    case bicubic

    /// Half-width of the filter at scale 1, in input pixels.
    var support: Double {
        switch self {
        case .bilinear: 1
        case .bicubic: 2
        }
    }

    /// The filter's weight at distance `x`, evaluated in the same operation order as Pillow so the
    /// Double results, and hence the rounded fixed-point coefficients, are identical.
    @inline(__always)
    func weight(_ x: Double) -> Double {
        let x = x < 0 ? -x : x
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            // Pillow: ((a + 2) * x - (a + 3)) * x * x + 1 and (((x - 5) * x + 8) * x - 4) * a.
            if x < 1 { return (1.5 * x - 2.5) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * -0.5 }
            return 0
        }
    }
}

/// Pillow's fixed-point resampling weights for one axis (`precompute_coeffs` then
/// `normalize_coeffs_8bpc`), for a chosen range of output positions only: every output pixel
/// depends on its own weights alone, so computing a crop window of the resized image gives the
/// same bytes as resizing the whole image and cropping afterwards.
///
/// Rounding, as Pillow: weights are normalised in Double to sum to 1, scaled by 2^22
/// (`PRECISION_BITS = 32 - 8 - 2`) and truncated after adding ±0.5 (half away from zero).
struct ResampleAxis {
    /// Fractional bits of the weights.
    static let precisionBits: Int32 = 22
    /// Output positions covered, in resized-image coordinates.
    let outputs: Range<Int>
    /// Maximum taps per output (Pillow's `ksize`); row stride of ``weights``.
    let taps: Int
    /// First input index read by each output (relative to `outputs.lowerBound`).
    private(set) var first: [Int]
    /// Number of inputs read by each output.
    private(set) var count: [Int]
    /// `outputs.count * taps` fixed-point weights.
    private(set) var weights: [Int32]

    /// - Parameters: `inSize` input pixels along the axis, resized to `outSize`; `outputs` must
    ///   lie within `0..<outSize`.
    init(inSize: Int, outSize: Int, outputs: Range<Int>, filter: ResampleFilter) {
        precondition(inSize >= 1 && outSize >= 1 && outputs.lowerBound >= 0 && outputs.upperBound <= outSize)
        self.outputs = outputs
        // Pillow computes (double)(in1 - in0) / outSize with in0 = 0 and in1 = inSize as floats.
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        self.taps = taps
        first = [Int](repeating: 0, count: outputs.count)
        count = [Int](repeating: 0, count: outputs.count)
        weights = [Int32](repeating: 0, count: outputs.count * taps)
        var k = [Double](repeating: 0, count: taps)
        let inverseScale = 1.0 / filterScale
        let one = Double(1 << ResampleAxis.precisionBits)
        for (i, xx) in outputs.enumerated() {
            let center = (Double(xx) + 0.5) * scale
            let xmin = max(Int(center - support + 0.5), 0)
            let n = min(Int(center + support + 0.5), inSize) - xmin
            var total = 0.0
            for x in 0..<n {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * inverseScale)
                k[x] = w
                total += w
            }
            for x in 0..<n {
                let w = total != 0 ? k[x] / total : k[x]
                weights[i * taps + x] = w < 0 ? Int32(-0.5 + w * one) : Int32(0.5 + w * one)
            }
            first[i] = xmin
            count[i] = n
        }
    }

    /// Input positions any covered output reads: `first` of the first output through the end of
    /// the last one's span (Pillow's `ybox_first` / `ybox_last`).
    var inputSpan: Range<Int> {
        guard let lo = first.first, let hiFirst = first.last, let hiCount = count.last else { return 0..<0 }
        return lo..<(hiFirst + hiCount)
    }
}

/// Pillow's 8-bit clamp of a fixed-point sum: `sum >> 22` clamped to 0...255.
@inline(__always)
func clip8(_ sum: Int32) -> UInt8 {
    UInt8(clamping: sum >> ResampleAxis.precisionBits)
}

/// Pillow's rounding offset added to every fixed-point sum (one half in 2^22 units).
let resampleRoundingBias: Int32 = 1 << (ResampleAxis.precisionBits - 1)

/// The horizontal pass (`ImagingResampleHorizontal_8bpc`) on interleaved RGB bytes.
///
/// Reads `rowCount` rows `rowStride` bytes apart; source column `c` of a row is at byte
/// `(c - firstColumn) * 3` from `source`, so `source` may point into the middle of an image. Writes
/// `rowCount` contiguous rows of `axis.outputs.count` pixels to `out`, each sum clamped to 8 bits
/// as Pillow's intermediate image is.
func resampleHorizontalRGB8(
    source: UnsafePointer<UInt8>, rowStride: Int, rowCount: Int, firstColumn: Int,
    axis: ResampleAxis, out: UnsafeMutablePointer<UInt8>
) {
    let columns = axis.outputs.count
    axis.weights.withUnsafeBufferPointer { kk in
        axis.first.withUnsafeBufferPointer { first in
            axis.count.withUnsafeBufferPointer { count in
                for r in 0..<rowCount {
                    let row = source + r * rowStride
                    let dst = out + r * columns * 3
                    for i in 0..<columns {
                        let k = kk.baseAddress! + i * axis.taps
                        var p = row + (first[i] - firstColumn) * 3
                        var s0 = resampleRoundingBias, s1 = resampleRoundingBias, s2 = resampleRoundingBias
                        for x in 0..<count[i] {
                            let w = k[x]
                            s0 &+= Int32(p[0]) &* w
                            s1 &+= Int32(p[1]) &* w
                            s2 &+= Int32(p[2]) &* w
                            p += 3
                        }
                        dst[i * 3] = clip8(s0)
                        dst[i * 3 + 1] = clip8(s1)
                        dst[i * 3 + 2] = clip8(s2)
                    }
                }
            }
        }
    }
}

/// The vertical pass (`ImagingResampleVertical_8bpc`) on interleaved bytes.
///
/// Source row `r` starts at `source + (r - firstRow) * rowStride`; `rowBytes` bytes of each row
/// are resampled (channels are independent, so bytes are treated alike). Writes
/// `axis.outputs.count` contiguous rows of `rowBytes` bytes to `out`. Sums run a whole row at a
/// time (same integer sums as Pillow's per-pixel loop, in a vectorisable order) in `accumulator`,
/// which must hold `rowBytes` values.
func resampleVerticalRGB8(
    source: UnsafePointer<UInt8>, rowStride: Int, firstRow: Int, rowBytes: Int,
    axis: ResampleAxis, accumulator: UnsafeMutablePointer<Int32>, out: UnsafeMutablePointer<UInt8>
) {
    axis.weights.withUnsafeBufferPointer { kk in
        for i in 0..<axis.outputs.count {
            let k = kk.baseAddress! + i * axis.taps
            let top = source + (axis.first[i] - firstRow) * rowStride
            accumulator.update(repeating: resampleRoundingBias, count: rowBytes)
            for y in 0..<axis.count[i] {
                let w = k[y]
                let row = top + y * rowStride
                for j in 0..<rowBytes { accumulator[j] &+= Int32(row[j]) &* w }
            }
            let dst = out + i * rowBytes
            for j in 0..<rowBytes { dst[j] = clip8(accumulator[j]) }
        }
    }
}
