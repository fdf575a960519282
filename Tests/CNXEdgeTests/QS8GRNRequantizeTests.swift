import Foundation
import Testing
import _CNXEdgeTestSupport
@testable import CNXEdgeRuntime

/// `qs8-grn-requantize__swift` (``qs8GRNRequantize(_:panels:)``, the weights of an int8 1x1
/// with a folded GRN, requantized per image) bit-exactly against a scalar reference written from
/// its documented rule (float products, ties to even, double steps and starts), over N and K
/// around the 16-wide panels and 4-input groups, primes, full-range codes, negative, zero and
/// large GRN scales, rows whose weights vanish, biases past the ±2³⁰ bound, panel splits, and the
/// int16 pairs it writes for the pairs GEMM; then
/// the whole folded op (requantized weights through ``qu8PWConv(input:inputStride:rows:weights:epilogue:)``)
/// against GRN and the 1x1 in float64.
@Suite("qs8-grn-requantize__swift vs reference")
struct QS8GRNRequantizeTests {
    struct Result: Equatable {
        var codes: [Int32], starts: [Int32], multipliers: [Float]
    }

    /// The documented rule, one output channel at a time.
    static func reference(codes c: [Int32], n: Int, k: Int, sigma: [Float], weightScale: [Float], bias: [Float],
                          input: TensorQuantization) -> Result {
        var q = [Int32](repeating: 0, count: n * k), starts = [Int32](repeating: 0, count: n), multipliers = [Float](repeating: 0, count: n)
        for o in 0..<n {
            var m: Float = 0
            for j in 0..<k { m = max(m, abs(Float(c[o * k + j]) * sigma[j])) }
            let w = Double(weightScale[o])
            let t = max(w * Double(m) / 127, abs(Double(bias[o])) / (Double(input.scale) * 1_073_741_824))
            guard t > 0 else { continue }
            let r = Float(w / t)
            var sum: Int32 = 0
            for j in 0..<k {
                let v = min(max(Float(c[o * k + j]) * sigma[j] * r, -127), 127)
                q[o * k + j] = Int32(v.rounded(.toNearestOrEven))
                sum += q[o * k + j]
            }
            starts[o] = Int32((Double(bias[o]) / (Double(input.scale) * t)).rounded(.toNearestOrEven)) - input.zeroPoint * sum
            multipliers[o] = Float(Double(input.scale) * t)
        }
        return Result(codes: q, starts: starts, multipliers: multipliers)
    }

    /// The kernel over `splits` ranges of panels, unpacked to row-major.
    static func kernel(codes: [Int32], n: Int, k: Int, sigma: [Float], weightScale: [Float], bias: [Float],
                       input: TensorQuantization, splits: [Range<Int>]) -> Result {
        let stored = PackedInt8PointwiseWeights(weights: codes, bias: [Int32](repeating: 0, count: n), outputChannels: n, inputChannels: k)
        let out = PackedInt8PointwiseWeights(weights: [Int32](repeating: 99, count: n * k), bias: [Int32](repeating: 7, count: n),
                                             outputChannels: n, inputChannels: k)
        let padded = stored.panelCount * 16
        var sigma4 = sigma + [Float](repeating: 0, count: stored.kGroups * 4 - k)
        var multipliers = [Float](repeating: -1, count: padded)
        var pairs = [UInt8](repeating: 0xA5, count: PackedInt8PointwiseWeights.int16PairBytes(outputChannels: n, inputChannels: k))
        sigma4.withUnsafeMutableBufferPointer { s in
            multipliers.withUnsafeMutableBufferPointer { m in
                pairs.withUnsafeMutableBytes { pairs in
                    let p = GRNRequantizeParameters(
                        codes: UnsafeRawPointer(stored.panels.base), kGroups: stored.kGroups, outputChannels: n,
                        inputScale: s.baseAddress!, weightScale: weightScale, bias: bias, input: input,
                        output: UnsafeMutableRawPointer(out.panels.base), pairs: pairs.baseAddress!,
                        accumulatorStart: UnsafeMutableRawPointer(out.bias.base).assumingMemoryBound(to: Int32.self),
                        multipliers: m.baseAddress!)
                    for r in splits { qs8GRNRequantize(p, panels: r) }
                }
            }
        }
        // The int16 pairs written alongside are the int8 codes widened as the GEMM widens them.
        let widened = out.withInt16Pairs().int16Pairs!
        #expect(pairs == Array(UnsafeRawBufferPointer(start: widened.base, count: pairs.count)), "int16 pairs")
        let bytes = UnsafeRawPointer(out.panels.base).assumingMemoryBound(to: Int8.self)
        var q = [Int32](repeating: 0, count: n * k)
        for o in 0..<n {
            for j in 0..<k { q[o * k + j] = Int32(bytes[((o / 16 * stored.kGroups + j / 4) * 16 + o % 16) * 4 + j % 4]) }
        }
        // Padding stays zero: lanes past N and inputs past K.
        for panel in 0..<stored.panelCount {
            for g in 0..<stored.kGroups {
                for lane in 0..<16 {
                    for j in 0..<4 where panel * 16 + lane >= n || 4 * g + j >= k {
                        #expect(bytes[((panel * stored.kGroups + g) * 16 + lane) * 4 + j] == 0, "padding at panel \(panel) group \(g)")
                    }
                }
            }
        }
        let starts = UnsafeRawPointer(out.bias.base).assumingMemoryBound(to: Int32.self)
        for o in n..<padded { #expect(starts[o] == 0 && multipliers[o] == 0, "lane \(o) past N") }
        return Result(codes: q, starts: (0..<n).map { starts[$0] }, multipliers: Array(multipliers[0..<n]))
    }

    struct Case {
        var n: Int, k: Int, codes: [Int32], sigma: [Float], weightScale: [Float], bias: [Float], input: TensorQuantization

        init(n: Int, k: Int, seed: UInt64) {
            var g = SeededGenerator(seed: seed)
            self.n = n; self.k = k
            codes = (0..<(n * k)).map { _ in Int32.random(in: -127...127, using: &g) }
            // GRN's scale 1 + γ·N: mostly around 1, some negative, zero and large.
            sigma = (0..<k).map { j in j % 11 == 3 ? 0 : j % 7 == 5 ? -Float.random(in: 0...3, using: &g) : Float.random(in: 0.2...4, using: &g) }
            weightScale = (0..<n).map { _ in Float.random(in: 1e-4...1e-2, using: &g) }
            bias = g.floats(n, in: -2...2)
            input = TensorQuantization(scale: Float.random(in: 0.005...0.05, using: &g), zeroPoint: Int32.random(in: 0...255, using: &g))
        }
    }

    @Test("codes, accumulator starts and multipliers equal the reference", arguments: [
        (1, 1), (1, 4), (15, 3), (16, 4), (17, 5), (16, 37), (33, 64), (40, 160), (47, 161), (160, 640),
    ])
    func matchesReference(n: Int, k: Int) {
        let c = Case(n: n, k: k, seed: UInt64(n * 1000 + k))
        let expected = Self.reference(codes: c.codes, n: n, k: k, sigma: c.sigma, weightScale: c.weightScale, bias: c.bias, input: c.input)
        let panels = (n + 15) / 16
        // One call, and one call per panel in reverse order: panels are independent.
        for splits in [[0..<panels], (0..<panels).reversed().map { $0..<($0 + 1) }] {
            let found = Self.kernel(codes: c.codes, n: n, k: k, sigma: c.sigma, weightScale: c.weightScale, bias: c.bias,
                                    input: c.input, splits: splits)
            #expect(found == expected, "n \(n) k \(k) splits \(splits.count)")
        }
        // Every channel with weights reaches the full code range.
        for o in 0..<n where (0..<k).contains(where: { c.codes[o * k + $0] != 0 && c.sigma[$0] != 0 }) {
            #expect((0..<k).map { abs(expected.codes[o * k + $0]) }.max() == 127, "channel \(o)")
        }
    }

    @Test("a channel whose weights vanish keeps its bias: zeros, or a step bounded by the bias")
    func vanishingWeights() {
        var c = Case(n: 20, k: 9, seed: 5)
        for j in 0..<9 { c.codes[3 * 9 + j] = 0 }          // channel 3: no weights, a bias
        for j in 0..<9 { c.codes[4 * 9 + j] = 0 }; c.bias[4] = 0  // channel 4: nothing at all
        c.sigma = c.sigma.enumerated().map { $0.offset == 2 ? 1 : 0 }  // one input channel survives
        c.bias[5] = 3e9  // far past ±2³⁰ steps of its weights
        let expected = Self.reference(codes: c.codes, n: 20, k: 9, sigma: c.sigma, weightScale: c.weightScale, bias: c.bias, input: c.input)
        let found = Self.kernel(codes: c.codes, n: 20, k: 9, sigma: c.sigma, weightScale: c.weightScale, bias: c.bias,
                                input: c.input, splits: [0..<2])
        #expect(found == expected)
        #expect(found.multipliers[4] == 0 && found.starts[4] == 0)
        for o in [3, 5] {
            // The accumulator start stays within ±2³⁰ + zp·ΣQ, and start·multiplier is the bias.
            let q = (0..<9).reduce(Int64(0)) { $0 + Int64(found.codes[o * 9 + $1]) }
            let start = Int64(found.starts[o]) + Int64(c.input.zeroPoint) * q
            #expect(abs(start) <= 1 << 30)
            #expect(abs(Double(start) * Double(found.multipliers[o]) - Double(c.bias[o])) <= 1e-6 * abs(Double(c.bias[o])) + 1e-6)
        }
    }

    @Test("the folded op (requantized weights, int8 GEMM) approximates GRN then the 1x1 in float64", arguments: [(40, 160), (33, 37)])
    func foldedOp(n: Int, k: Int) {
        let c = Case(n: n, k: k, seed: 77)
        var g = SeededGenerator(seed: 78)
        let rows = 9
        let input = (0..<(rows * k)).map { _ in UInt8.random(in: 0...255, using: &g) }
        // Float weights and their stored per-channel codes.
        let weights = (0..<(n * k)).map { i in Double(c.codes[i]) * Double(c.weightScale[i / k]) }
        let r = Self.reference(codes: c.codes, n: n, k: k, sigma: c.sigma, weightScale: c.weightScale, bias: c.bias, input: c.input)
        let packed = PackedInt8PointwiseWeights(weights: r.codes, bias: r.starts, outputChannels: n, inputChannels: k)
        var scale = r.multipliers + [Float](repeating: 0, count: packed.panelCount * 16 - n)
        var out = [Float](repeating: 0, count: rows * n)
        input.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                scale.withUnsafeMutableBufferPointer { s in
                    qu8PWConv(input: x.baseAddress!, inputStride: k, rows: 0..<rows, weights: packed,
                                    epilogue: .float(scale: s.baseAddress!, output: o.baseAddress!))
                }
            }
        }
        var signal = 0.0, noise = 0.0
        for m in 0..<rows {
            for o in 0..<n {
                var y = Double(c.bias[o])
                for j in 0..<k {
                    let x = Double(c.input.scale) * Double(Int32(input[m * k + j]) - c.input.zeroPoint)
                    y += weights[o * k + j] * Double(c.sigma[j]) * x
                }
                signal += y * y
                noise += (y - Double(out[m * n + o])) * (y - Double(out[m * n + o]))
            }
        }
        // Requantizing full-range codes once more costs about half a step per weight: ~40 dB here.
        let sqnr = 10 * log10(signal / noise)
        #expect(sqnr >= 35, "SQNR \(sqnr) dB")
    }
}
