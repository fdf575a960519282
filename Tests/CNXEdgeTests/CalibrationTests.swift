import Foundation
import Testing
import _CNXEdgeTestSupport
@testable import CNXEdge

/// ``ActivationObserver``'s four calibration methods on distributions whose answer is known,
/// ``ActivationQuantization``'s arithmetic, the method parser and the observer's errors.
@Suite("Calibration: observers and ranges")
struct CalibrationTests {
    static func observer(_ values: [Float], name: String = "t", bins: Int = ActivationObserver.defaultBinCount) throws -> ActivationObserver {
        var o = ActivationObserver(name: name, bins: bins)
        try o.observe(values)
        return o
    }

    static func normal(_ count: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<count).map { _ in g.nextGaussian() }
    }

    static func gelu(_ x: Float) -> Float { 0.5 * x * (1 + Float(erf(Double(x) / 2.0.squareRoot()))) }

    /// Mean squared error of quantizing then dequantizing `values`, computed value by value.
    static func empiricalError(_ values: [Float], _ q: ActivationQuantization) -> Double {
        var sum = 0.0
        for x in values {
            let d = Double(q.dequantize(q.quantize(x))) - Double(x)
            sum += d * d
        }
        return sum / Double(values.count)
    }

    // MARK: Known distributions

    @Test("uniform [a, b]: minmax and percentile give a and b, mse nearly the full range")
    func uniform() throws {
        var g = SeededGenerator(seed: 1)
        let values = g.floats(200_000, in: -1.5...3)
        let o = try Self.observer(values)
        let span: Float = 4.5
        let minmax = try o.range(for: .minmax)
        #expect(minmax.lower == values.min()! && minmax.upper == values.max()!)
        let p = try o.range(for: .percentile)
        #expect(abs(p.lower + 1.5) < 0.002 * span && abs(p.upper - 3) < 0.002 * span, "\(p)")
        let mse = try o.range(for: .mse)
        #expect(abs(mse.lower + 1.5) < 0.01 * span && abs(mse.upper - 3) < 0.01 * span, "\(mse)")
        let entropy = try o.range(for: .entropy)
        #expect(abs(entropy.lower + 1.5) < 0.05 * span && abs(entropy.upper - 3) < 0.05 * span, "\(entropy)")
    }

    @Test("standard normal, 1e6 samples: percentile 99.99 ≈ ±3.72; mse clips and lowers the real error")
    func standardNormal() throws {
        let values = Self.normal(1_000_000, seed: 2)
        let o = try Self.observer(values)
        let p = try o.range(for: .percentile)
        #expect(abs(p.upper - 3.719) < 0.03 * 3.719 && abs(p.lower + 3.719) < 0.03 * 3.719, "\(p)")
        let p999 = try o.range(for: .percentile, percentile: 99.9)
        #expect(abs(p999.upper - 3.090) < 0.03 * 3.090 && abs(p999.lower + 3.090) < 0.03 * 3.090, "\(p999)")

        let minmax = try o.range(for: .minmax)
        let mse = try o.range(for: .mse)
        #expect(mse.upper < 0.9 * minmax.upper && mse.lower > 0.9 * minmax.lower, "mse \(mse) vs minmax \(minmax)")
        #expect(mse.upper > 3 && mse.lower < -3, "mse \(mse) clips too much")
        let qMinmax = ActivationQuantization(range: minmax), qMSE = ActivationQuantization(range: mse)
        let errMinmax = Self.empiricalError(values, qMinmax), errMSE = Self.empiricalError(values, qMSE)
        #expect(errMSE < errMinmax, "mse \(errMSE) vs minmax \(errMinmax)")
        // The histogram's closed-form error agrees with the value-by-value one.
        for (q, empirical) in [(qMinmax, errMinmax), (qMSE, errMSE)] {
            let expected = try o.expectedSquaredError(of: q)
            #expect(abs(expected - empirical) < 0.03 * empirical, "expected \(expected) vs measured \(empirical)")
        }
        let entropy = try o.range(for: .entropy)
        #expect(entropy.upper > 2 && entropy.upper < minmax.upper && entropy.lower < -2 && entropy.lower > minmax.lower,
                "entropy \(entropy)")
    }

    /// "Rare" as in a real calibration run, where one tensor yields 1e7-1e8 values: MSE clips an
    /// outlier `M` only when its frequency `f` makes `f M²` small next to the rounding error
    /// `M² / (12 * 255²)` (the best upper end for one outlier is about `M / (1 + 1/(780300 f))`).
    /// So the bulk, a million normal samples, is observed 64 times; the outliers once.
    @Test("rare huge outliers drag minmax out, not percentile, mse or entropy")
    func outliers() throws {
        let bulk = Self.normal(1_000_000, seed: 3)
        var o = ActivationObserver(name: "outliers")
        for _ in 0..<64 { try o.observe(bulk) }
        try o.observe([100, -60])
        let minmax = try o.range(for: .minmax)
        #expect(minmax.lower == -60 && minmax.upper == 100)
        for method in [CalibrationMethod.percentile, .mse, .entropy] {
            let r = try o.range(for: method)
            #expect(r.upper > 2.5 && r.upper < 10 && r.lower < -2.5 && r.lower > -10, "\(method): \(r)")
        }
        func error(_ r: QuantizationRange) -> Double {
            let q = ActivationQuantization(range: r)
            let outliers = [Float(100), -60].map { Double($0 - q.dequantize(q.quantize($0))) }.map { $0 * $0 }.reduce(0, +)
            return (Self.empiricalError(bulk, q) * 64_000_000 + outliers) / 64_000_002
        }
        #expect(error(try o.range(for: .mse)) < error(minmax))
    }

    @Test("one-sided data: ReLU's lower end is 0, GELU's is its minimum, never far below")
    func oneSided() throws {
        let x = Self.normal(300_000, seed: 4)
        let relu = try Self.observer(x.map { max($0, 0) })
        for method in CalibrationMethod.allCases {
            let r = try relu.range(for: method)
            // Entropy clips ReLU output hard (upper ≈ 2.0 here, against a maximum of 5.3): spreading the spike of zeros over
            // its level's bins dominates the KL, as in TensorRT's method.
            #expect(r.lower >= 0 && r.lower < 0.001 && r.upper > (method == .entropy ? 1.5 : 2), "relu \(method): \(r)")
        }
        let geluValues = x.map(Self.gelu)
        let gelu = try Self.observer(geluValues)
        let minimum = geluValues.min()!  // about -0.17
        for method in CalibrationMethod.allCases {
            let r = try gelu.range(for: method)
            #expect(r.lower >= minimum && r.lower <= 0.8 * minimum && r.upper > 2, "gelu \(method): \(r), min \(minimum)")
        }
    }

    @Test("a constant tensor gets a valid scale and exact zero", arguments: [Float(2.5), -3, 0, 1e-30])
    func constant(value: Float) throws {
        let o = try Self.observer([Float](repeating: value, count: 1000))
        for method in CalibrationMethod.allCases {
            let r = try o.range(for: method)
            #expect(r.lower == value && r.upper == value, "\(method): \(r)")
            let q = ActivationQuantization(range: r)
            #expect(q.scale > 0 && q.scale.isFinite && q.scale >= ActivationQuantization.minimumScale)
            #expect(q.quantize(0) == q.zeroPoint && q.dequantize(q.zeroPoint) == 0)
            #expect(abs(q.dequantize(q.quantize(value)) - value) <= q.scale / 2 * 1.0001, "\(method) \(q)")
            #expect(try o.expectedSquaredError(of: q) <= Double(q.scale * q.scale) / 4)
        }
    }

    @Test("fed in chunks whose range grows (re-binning), ranges match feeding it all at once")
    func growingChunks() throws {
        var g = SeededGenerator(seed: 5)
        var chunks: [[Float]] = [[0.001]]  // a tiny first range, so the histogram grows many times
        for i in 1...60 { chunks.append((0..<10_000).map { _ in g.nextGaussian() * Float(i) / 10 + 0.3 }) }
        var chunked = ActivationObserver(name: "chunked")
        for chunk in chunks { try chunked.observe(chunk) }
        let whole = try Self.observer(chunks.flatMap { $0 })
        #expect(chunked.count == whole.count && chunked.minimum == whole.minimum && chunked.maximum == whole.maximum)
        #expect(chunked.binWidth >= whole.binWidth)
        let width = Float(chunked.binWidth)
        for method in CalibrationMethod.allCases {
            let a = try chunked.range(for: method), b = try whole.range(for: method)
            #expect(abs(a.lower - b.lower) <= width && abs(a.upper - b.upper) <= width,
                    "\(method): chunked \(a) vs whole \(b), bin width \(width)")
        }
    }

    @Test("histogram growth merges whole bins and keeps every count")
    func growthKeepsCounts() throws {
        var o = ActivationObserver(bins: 64)
        try o.observe([0.5, 1])
        let first = o.binWidth
        try o.observe([-3, 7.9])
        try o.observe([100])
        #expect(o.counts.reduce(0, +) == 5)
        #expect(o.histogramLower <= -3 && o.histogramUpper >= 100)
        let ratio = o.binWidth / first
        #expect(ratio == ratio.rounded() && ratio >= 2, "width grew by \(ratio)")
    }

    // MARK: ActivationQuantization

    @Test("scale and zero point; zero exact; round trip within scale/2; clamping outside",
          arguments: [(Float(-1), Float(3)), (0.5, 2), (-4, -1), (-0.17, 6.3), (0, 0)], [(Int32(0), Int32(255)), (-128, 127)])
    func affine(bounds: (Float, Float), codes: (Int32, Int32)) {
        let (qmin, qmax) = codes
        let q = ActivationQuantization(range: QuantizationRange(lower: bounds.0, upper: bounds.1), qmin: qmin, qmax: qmax)
        let lo = min(bounds.0, 0), hi = max(bounds.1, 0)
        let expectedScale = max((hi - lo) / Float(qmax - qmin), ActivationQuantization.minimumScale)
        #expect(abs(q.scale - expectedScale) <= expectedScale * 1e-6)
        #expect((qmin...qmax).contains(q.zeroPoint))
        #expect(q.quantize(0) == q.zeroPoint && q.dequantize(q.zeroPoint) == 0)
        let represented = q.representedRange
        #expect(represented.lower <= lo + q.scale / 2 && represented.upper >= hi - q.scale / 2)
        var g = SeededGenerator(seed: 6)
        for _ in 0..<10_000 {
            let x = Float.random(in: represented.lower...represented.upper, using: &g)
            let code = q.quantize(x)
            #expect(abs(q.dequantize(code) - x) <= q.scale / 2 * (1 + 1e-5), "x \(x) → \(code)")
        }
        #expect(q.quantize(represented.upper + 10 * q.scale + 1) == qmax)
        #expect(q.quantize(represented.lower - 10 * q.scale - 1) == qmin)
        #expect(q.quantize(.infinity) == qmax && q.quantize(-.infinity) == qmin)
    }

    @Test("quantize rounds half to even")
    func tiesToEven() {
        let q = ActivationQuantization(scale: 0.5, zeroPoint: 10, qmin: 0, qmax: 255)
        #expect(q.quantize(1.25) == 12 && q.quantize(1.75) == 14 && q.quantize(-0.25) == 10 && q.quantize(-0.75) == 8)
    }

    @Test("parameters survive a JSON round trip")
    func codable() throws {
        let q = ActivationQuantization(range: QuantizationRange(lower: -0.3, upper: 4.2))
        #expect(try JSONDecoder().decode(ActivationQuantization.self, from: JSONEncoder().encode(q)) == q)
    }

    // MARK: Errors and parsing

    @Test("NaN or infinity is a typed error naming the tensor and index; the observer is unchanged")
    func nonFinite() throws {
        var o = ActivationObserver(name: "stage1.block0")
        #expect(throws: CalibrationError.nonFinite(tensor: "stage1.block0", index: 2)) { try o.observe([1, 2, .nan, 3]) }
        var long = [Float](repeating: 1, count: 5000)
        long[1003] = -.infinity
        #expect(throws: CalibrationError.nonFinite(tensor: "stage1.block0", index: 1003)) { try o.observe(long) }
        long[1003] = 1
        long[4999] = .infinity  // in the scalar tail
        #expect(throws: CalibrationError.nonFinite(tensor: "stage1.block0", index: 4999)) { try o.observe(long) }
        #expect(o.count == 0)
        #expect(throws: CalibrationError.noData(tensor: "stage1.block0")) { try o.range(for: .minmax) }
        #expect(throws: CalibrationError.noData(tensor: nil)) { try ActivationObserver().range(for: .entropy) }
    }

    @Test("method parser")
    func parser() throws {
        #expect(try CalibrationSpec(parsing: "percentile") == CalibrationSpec(.percentile, percentile: 99.99))
        #expect(try CalibrationSpec(parsing: "percentile:99.9") == CalibrationSpec(.percentile, percentile: 99.9))
        #expect(try CalibrationSpec(parsing: "MSE").method == .mse)
        for method in CalibrationMethod.allCases {
            let spec = CalibrationSpec(method)
            #expect(try CalibrationSpec(parsing: spec.description) == spec)
        }
        for bad in ["", "kl", "mse:3", "percentile:", "percentile:40", "percentile:abc", "percentile:100.5"] {
            #expect(throws: CalibrationError.self, "\(bad)") { try CalibrationSpec(parsing: bad) }
        }
    }

    // MARK: Speed

    @Test("observe: a 3136x160 tensor in well under a few ms")
    func observeSpeed() throws {
        let values = Self.normal(3136 * 160, seed: 7)
        var o = ActivationObserver()
        try o.observe(values)
        var best = Double.infinity
        for _ in 0..<20 {
            let start = DispatchTime.now().uptimeNanoseconds
            try o.observe(values)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        print("ActivationObserver.observe, \(values.count) floats: best of 20 \(best) ms")
        #expect(best < 3, "\(best) ms")
    }
}
