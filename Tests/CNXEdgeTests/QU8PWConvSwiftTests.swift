import Testing
import _CNXEdgeTestSupport
@testable import CNXEdgeRuntime

/// `qu8PWConv` (the swift backend's int8 1x1 convolution), both kernels (int16 pairs on
/// `pmaddwd`, on packed and on pre-widened weights, and exact float) in every build, bit-exactly
/// against an integer reference: int32 sums, then each epilogue as separate IEEE float operations.
/// N and K around the 16-wide panels and 4-input groups (K not a multiple of 4, N not a multiple
/// of 16, primes), 1 to 9 rows (around the 4- and 6-row tiles), row counts across the int16
/// kernel's row blocks (4-row tiles that fit 160 KB of broadcast activations: 8 rows at K = 1280)
/// and the float kernel's 128-channel float blocks, row ranges starting mid-tile, padded input rows, full-range weights
/// (-128...127) and codes (0...255), and sums past 2²⁴.
@Suite("qu8-pwconv__swift (both variants) vs integer reference")
struct QU8PWConvSwiftTests {
    enum Kind: CaseIterable { case float, floatResidual, codes, table }

    static func reference(_ input: [UInt8], stride: Int, m: Int, n: Int, k: Int, weights: [Int32], bias: [Int32]) -> [Int32] {
        var acc = [Int32](repeating: 0, count: m * n)
        for r in 0..<m {
            for o in 0..<n {
                var s = Int64(bias[o])
                for j in 0..<k { s += Int64(input[r * stride + j]) * Int64(weights[o * k + j]) }
                acc[r * n + o] = Int32(s)
            }
        }
        return acc
    }

    static func requantize(_ y: Float, _ zp: Int32) -> UInt8 { ReferenceOps.requantize(y, zp) }

    static func check(m: Int, n: Int, k: Int, padding: Int = 0, weightRange: ClosedRange<Int32> = -128...127,
                      inputRange: ClosedRange<UInt8> = 0...255, rows: Range<Int>? = nil, seed: UInt64) {
        var g = SeededGenerator(seed: seed)
        let stride = k + padding
        let input = (0..<(m * stride)).map { _ in UInt8.random(in: inputRange, using: &g) }
        let weights = (0..<(n * k)).map { _ in Int32.random(in: weightRange, using: &g) }
        let bias = (0..<n).map { _ in Int32.random(in: -20000...20000, using: &g) }
        let padded = (n + 15) / 16 * 16
        let scale = (0..<padded).map { _ in Float.random(in: 0.5...2, using: &g) / (Float(k).squareRoot() * 150) }
        let residual = (0..<(m * n)).map { _ in Float.random(in: -4...4, using: &g) }
        let table = (0..<256).map { _ in UInt8.random(in: 0...255, using: &g) }
        let zeroPoint = Int32.random(in: 0...255, using: &g)
        let packed = PackedInt8PointwiseWeights(weights: weights, bias: bias, outputChannels: n, inputChannels: k)
        let acc = reference(input, stride: stride, m: m, n: n, k: k, weights: weights, bias: bias)
        let rows = rows ?? 0..<m
        // Each kernel on weights as packed and, for the int16 kernel, widened once beforehand.
        let widened = packed.withInt16Pairs()
        let cases = QU8PWConvVariant.allCases.flatMap { kernel in Kind.allCases.flatMap { kind in
            [(kernel, kind, packed, "packed")] + (kernel == .int16Pairs ? [(kernel, kind, widened, "widened")] : [])
        } }
        for (kernel, kind, weights, form) in cases {
            var f = [Float](repeating: -12345, count: m * n), u = [UInt8](repeating: 0xA5, count: m * n)
            if kind == .floatResidual { f = residual }
            input.withUnsafeBufferPointer { x in
                scale.withUnsafeBufferPointer { s in
                    table.withUnsafeBufferPointer { t in
                        f.withUnsafeMutableBufferPointer { fo in
                            u.withUnsafeMutableBufferPointer { uo in
                                let epilogue: QU8PWConvEpilogue = switch kind {
                                case .float: .float(scale: s.baseAddress!, output: fo.baseAddress!)
                                case .floatResidual: .floatResidual(scale: s.baseAddress!, output: fo.baseAddress!)
                                case .codes: .codes(scale: s.baseAddress!, zeroPoint: zeroPoint, table: nil, output: uo.baseAddress!)
                                case .table: .codes(scale: s.baseAddress!, zeroPoint: zeroPoint, table: t.baseAddress!, output: uo.baseAddress!)
                                }
                                qu8PWConv(input: x.baseAddress!, inputStride: stride, rows: rows, weights: weights,
                                                epilogue: epilogue, kernel: kernel)
                            }
                        }
                    }
                }
            }
            var wrong = 0, first = ""
            for r in 0..<m {
                for o in 0..<n {
                    let i = r * n + o, y = Float(acc[i]) * scale[o], inside = rows.contains(r)
                    let ok: Bool = switch kind {
                    case .float: f[i].bitPattern == (inside ? y : -12345).bitPattern
                    case .floatResidual: f[i].bitPattern == (inside ? residual[i] + y : residual[i]).bitPattern
                    case .codes: u[i] == (inside ? requantize(y, zeroPoint) : 0xA5)
                    case .table: u[i] == (inside ? table[Int(requantize(y, zeroPoint))] : 0xA5)
                    }
                    if !ok { wrong += 1; if first.isEmpty { first = "row \(r) column \(o)" } }
                }
            }
            #expect(wrong == 0, "\(kernel) (\(form)) \(kind) m \(m) n \(n) k \(k) rows \(rows): \(wrong) wrong, first \(first)")
        }
    }

    @Test("N and K around panels, groups and float blocks; 1 to 9 rows", arguments: Array(1...9))
    func shapes(rows m: Int) {
        var seed: UInt64 = UInt64(m) * 1000
        for n in [1, 15, 16, 17, 33] {
            for k in [1, 3, 4, 5, 8, 13, 127, 128, 129, 260] {
                seed += 1
                Self.check(m: m, n: n, k: k, padding: k % 3, seed: seed)
            }
        }
    }

    @Test("prime N and K, full-range weights and codes", arguments: [1, 2, 7, 13])
    func primes(rows m: Int) {
        var seed: UInt64 = 50_000 + UInt64(m) * 100
        for n in [2, 7, 31, 47] {
            for k in [2, 7, 31, 37, 61, 131] {
                seed += 1
                Self.check(m: m, n: n, k: k, padding: (k + n) % 5, seed: seed)
            }
        }
    }

    @Test("row counts across row blocks, large K")
    func rowBlocks() {
        // int16 kernel: K 1280 has blocks of 8 rows, K 1283 (321 groups, 82 KB per 4-row tile) of
        // 4, K 300 of 32.
        Self.check(m: 21, n: 17, k: 1280, padding: 1, seed: 906)
        Self.check(m: 21, n: 17, k: 1283, padding: 1, seed: 901)
        Self.check(m: 30, n: 33, k: 1283, rows: 3..<29, seed: 902)
        Self.check(m: 70, n: 16, k: 300, seed: 903)
        Self.check(m: 67, n: 9, k: 301, padding: 3, rows: 5..<66, seed: 904)
        Self.check(m: 161, n: 40, k: 40, seed: 905)
    }

    @Test("row ranges starting and ending mid-tile")
    func rowRanges() {
        for (i, rows) in [1..<2, 1..<6, 3..<9, 5..<6, 2..<11].enumerated() {
            Self.check(m: 11, n: 20, k: 36, padding: 4, rows: rows, seed: 77 + UInt64(i))
        }
    }

    @Test("extreme sums: K = 1280, codes 255 and weights ±128/127, past 2²⁴")
    func extremeSums() {
        Self.check(m: 5, n: 18, k: 1280, weightRange: -128...(-127), inputRange: 250...255, seed: 5)
        Self.check(m: 5, n: 18, k: 1280, weightRange: 126...127, inputRange: 250...255, seed: 6)
        Self.check(m: 3, n: 32, k: 1283, seed: 7)
    }
}
