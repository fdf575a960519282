import Foundation
import Testing
import _CNXEdgeTestSupport
@testable import CNXEdge
@testable import CNXEdgeRuntime

/// Each `__swift` kernel against its float64 definition in ``ReferenceOps``, by normalised error,
/// over shapes around the tile sizes (16-column panels, 2-, 6-, 7- or 14-row tiles, 8- and
/// 16-channel vectors, the 4-pixel depthwise strip) and the 7x7 borders; plus bit-identity under
/// different row splits.
@Suite("Kernels vs float64 reference")
struct KernelTests {
    static let tolerance = 1e-5

    /// Runs `body` on `rows` cut into the given consecutive chunk lengths (cycled).
    static func split(_ rows: Range<Int>, chunks: [Int], _ body: (Range<Int>) -> Void) {
        var lo = rows.lowerBound, i = 0
        while lo < rows.upperBound {
            let hi = min(rows.upperBound, lo + chunks[i % chunks.count])
            body(lo..<hi)
            lo = hi
            i += 1
        }
    }

    static func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

    // MARK: Pointwise GEMM

    static let gemmColumns = [1, 7, 8, 15, 16, 17, 31, 32, 37, 40, 48]
    static let gemmDepths = [1, 3, 8, 16, 37, 64]

    @Test("f32-pwconv: all epilogues, N and K around the tile, rows starting mid-tile",
          arguments: gemmColumns, gemmDepths)
    func pointwise(n: Int, k: Int) {
        var g = SeededGenerator(seed: UInt64(n * 1000 + k))
        let m = 13
        let input = g.floats(m * k), weights = g.floats(n * k), bias = g.floats(n)
        let residual = g.floats(m * n, in: -2...2)
        let packed = PackedPointwiseWeights(weights: weights, bias: bias, outputChannels: n, inputChannels: k)
        for epilogue in [PointwiseEpilogue.none, .gelu, .residual] {
            let ref = ReferenceOps.pointwise(input: input, rows: m, inputChannels: k, weights: weights, bias: bias,
                                             outputChannels: n, epilogue: epilogue, residual: residual)
            for rows in [0..<m, 3..<m, 1..<2, 5..<12] {
                let sentinel: Float = -12345
                var out = [Float](repeating: sentinel, count: m * n)
                input.withUnsafeBufferPointer { a in
                    residual.withUnsafeBufferPointer { res in
                        out.withUnsafeMutableBufferPointer { o in
                            f32PWConv(input: a.baseAddress!, rows: rows, weights: packed, epilogue: epilogue,
                                             residual: res.baseAddress!, output: o.baseAddress!)
                        }
                    }
                }
                let slice = rows.lowerBound * n..<rows.upperBound * n
                let err = ReferenceOps.normalizedError(Array(out[slice]), Array(ref[slice]))
                #expect(err <= Self.tolerance, "n=\(n) k=\(k) \(epilogue) rows \(rows): error \(err)")
                let outside = out.indices.filter { !slice.contains($0) && out[$0] != sentinel }
                #expect(outside.isEmpty, "n=\(n) k=\(k) \(epilogue) rows \(rows): wrote outside the rows")
            }
        }
    }

    @Test("f32-pwconv-residual: residual may be the output buffer", arguments: [16, 37, 40])
    func pointwiseResidualAliasesOutput(n: Int) {
        var g = SeededGenerator(seed: 7)
        let m = 11, k = 24
        let input = g.floats(m * k), weights = g.floats(n * k), bias = g.floats(n)
        let residual = g.floats(m * n, in: -3...3)
        let packed = PackedPointwiseWeights(weights: weights, bias: bias, outputChannels: n, inputChannels: k)
        var separate = [Float](repeating: 0, count: m * n)
        var inPlace = residual
        input.withUnsafeBufferPointer { a in
            residual.withUnsafeBufferPointer { res in
                separate.withUnsafeMutableBufferPointer { o in
                    f32PWConv(input: a.baseAddress!, rows: 0..<m, weights: packed, epilogue: .residual,
                                     residual: res.baseAddress!, output: o.baseAddress!)
                }
            }
            inPlace.withUnsafeMutableBufferPointer { o in
                f32PWConv(input: a.baseAddress!, rows: 0..<m, weights: packed, epilogue: .residual,
                                 residual: UnsafePointer(o.baseAddress!), output: o.baseAddress!)
            }
        }
        let ref = ReferenceOps.pointwise(input: input, rows: m, inputChannels: k, weights: weights, bias: bias,
                                         outputChannels: n, epilogue: .residual, residual: residual)
        #expect(ReferenceOps.normalizedError(inPlace, ref) <= Self.tolerance)
        #expect(Self.bits(inPlace) == Self.bits(separate))
    }

    @Test("f32-pwconv: any row split gives bit-identical output", arguments: [PointwiseEpilogue.none, .gelu, .residual])
    func pointwiseSplitInvariance(epilogue: PointwiseEpilogue) {
        var g = SeededGenerator(seed: 11)
        let m = 29, k = 37, n = 40
        let input = g.floats(m * k, in: -3...3), weights = g.floats(n * k), bias = g.floats(n)
        let residual = g.floats(m * n)
        let packed = PackedPointwiseWeights(weights: weights, bias: bias, outputChannels: n, inputChannels: k)
        func run(_ chunks: [Int]) -> [Float] {
            var out = [Float](repeating: 0, count: m * n)
            input.withUnsafeBufferPointer { a in
                residual.withUnsafeBufferPointer { res in
                    out.withUnsafeMutableBufferPointer { o in
                        Self.split(0..<m, chunks: chunks) { rows in
                            f32PWConv(input: a.baseAddress!, rows: rows, weights: packed, epilogue: epilogue,
                                             residual: res.baseAddress!, output: o.baseAddress!)
                        }
                    }
                }
            }
            return out
        }
        let whole = Self.bits(run([m]))
        for chunks in [[1], [2], [3], [5], [6], [7], [8], [4, 1, 9], [13, 16]] {
            #expect(Self.bits(run(chunks)) == whole, "chunks \(chunks)")
        }
    }

    @Test("f32-pwconv: the model's shapes (big K and N, the 1000-class head)",
          arguments: [(5, 320, 1000), (7, 1280, 20), (9, 48, 40), (3, 640, 80)])
    func pointwiseModelShapes(shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        var g = SeededGenerator(seed: UInt64(k))
        let input = g.floats(m * k), weights = g.floats(n * k, in: -0.1...0.1), bias = g.floats(n)
        let packed = PackedPointwiseWeights(weights: weights, bias: bias, outputChannels: n, inputChannels: k)
        for epilogue in [PointwiseEpilogue.none, .gelu] {
            var out = [Float](repeating: 0, count: m * n)
            input.withUnsafeBufferPointer { a in
                out.withUnsafeMutableBufferPointer { o in
                    f32PWConv(input: a.baseAddress!, rows: 0..<m, weights: packed, epilogue: epilogue,
                                     residual: nil, output: o.baseAddress!)
                }
            }
            let ref = ReferenceOps.pointwise(input: input, rows: m, inputChannels: k, weights: weights, bias: bias,
                                             outputChannels: n, epilogue: epilogue)
            let err = ReferenceOps.normalizedError(out, ref)
            #expect(err <= Self.tolerance, "\(shape) \(epilogue): error \(err)")
        }
    }

    // MARK: Depthwise 7x7

    @Test("f32-dwconv7x7: tiny images, 7x7 borders, channels around the vector width",
          arguments: [(1, 1), (2, 3), (3, 2), (7, 7), (8, 9), (5, 14), (4, 15)], [1, 5, 8, 13, 17, 37, 40, 88])
    func depthwise(size: (Int, Int), channels c: Int) {
        let (h, w) = size
        var g = SeededGenerator(seed: UInt64(h * 100 + w * 10 + c))
        let input = g.floats(h * w * c), weights = g.floats(c * 49), bias = g.floats(c)
        let packed = PackedDepthwiseWeights(weights: weights, bias: bias, channels: c)
        let ref = ReferenceOps.depthwise7x7(input: input, height: h, width: w, channels: c, weights: weights, bias: bias)
        func run(_ chunks: [Int]) -> [Float] {
            var out = [Float](repeating: .nan, count: h * w * c)
            input.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { o in
                    Self.split(0..<h, chunks: chunks) { rows in
                        f32DWConv7x7(input: x.baseAddress!, height: h, width: w, weights: packed,
                                            outputRows: rows, output: o.baseAddress!)
                    }
                }
            }
            return out
        }
        let whole = run([h])
        let err = ReferenceOps.normalizedError(whole, ref)
        #expect(err <= Self.tolerance, "\(h)x\(w)x\(c): error \(err)")
        #expect(Self.bits(run([1])) == Self.bits(whole), "\(h)x\(w)x\(c): one row at a time differs")
        #expect(Self.bits(run([2, 3])) == Self.bits(whole), "\(h)x\(w)x\(c): rows 2+3 differ")
    }

    @Test("f32-dwconv7x7: the model's shapes", arguments: [(56, 40), (28, 80), (14, 160), (7, 320)])
    func depthwiseModelShapes(shape: (Int, Int)) {
        let (h, c) = shape
        var g = SeededGenerator(seed: UInt64(c))
        let input = g.floats(h * h * c), weights = g.floats(c * 49), bias = g.floats(c)
        let packed = PackedDepthwiseWeights(weights: weights, bias: bias, channels: c)
        var out = [Float](repeating: 0, count: h * h * c)
        var firstRow = [Float](repeating: 0, count: h * h * c)
        input.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in
                f32DWConv7x7(input: x.baseAddress!, height: h, width: h, weights: packed, outputRows: 0..<h,
                                    output: o.baseAddress!)
            }
            firstRow.withUnsafeMutableBufferPointer { o in
                f32DWConv7x7(input: x.baseAddress!, height: h, width: h, weights: packed, outputRows: 5..<6,
                                    output: o.baseAddress!)
            }
        }
        let ref = ReferenceOps.depthwise7x7(input: input, height: h, width: h, channels: c, weights: weights, bias: bias)
        #expect(ReferenceOps.normalizedError(out, ref) <= Self.tolerance)
        let row = 5 * h * c..<6 * h * c
        #expect(Self.bits(Array(firstRow[row])) == Self.bits(Array(out[row])))
    }

    // MARK: LayerNorm, GRN

    @Test("f32-layernorm: channels around the vector width, in place and not", arguments: [1, 7, 8, 9, 37, 40, 320])
    func layerNorm(channels c: Int) {
        var g = SeededGenerator(seed: UInt64(c))
        let rows = 9
        // An offset mean makes the two-pass statistics matter.
        let input = g.floats(rows * c, in: 2...4), gamma = g.floats(c), beta = g.floats(c)
        let ref = ReferenceOps.layerNorm(input: input, rows: rows, channels: c, gamma: gamma, beta: beta, eps: 1e-6)
        var out = [Float](repeating: 0, count: rows * c)
        var inPlace = input
        gamma.withUnsafeBufferPointer { gm in
            beta.withUnsafeBufferPointer { bt in
                input.withUnsafeBufferPointer { x in
                    out.withUnsafeMutableBufferPointer { o in
                        Self.split(0..<rows, chunks: [2, 5]) { r in
                            f32LayerNorm(input: x.baseAddress!, rows: r, channels: c, gamma: gm.baseAddress!,
                                         beta: bt.baseAddress!, eps: 1e-6, output: o.baseAddress!)
                        }
                    }
                }
                inPlace.withUnsafeMutableBufferPointer { o in
                    f32LayerNorm(input: UnsafePointer(o.baseAddress!), rows: 0..<rows, channels: c, gamma: gm.baseAddress!,
                                 beta: bt.baseAddress!, eps: 1e-6, output: o.baseAddress!)
                }
            }
        }
        let err = ReferenceOps.normalizedError(out, ref)
        #expect(err <= Self.tolerance, "c=\(c): error \(err)")
        #expect(Self.bits(inPlace) == Self.bits(out), "c=\(c): in place differs")
    }

    @Test("f32-sumsq: double sums, odd pixel counts and channel tails", arguments: [1, 7, 8, 13, 160])
    func channelSumOfSquares(channels c: Int) {
        var g = SeededGenerator(seed: UInt64(c))
        for pixels in [1, 2, 5, 16] {
            let input = g.floats(pixels * c, in: -4...4)
            var sums = [Double](repeating: 0, count: c)
            input.withUnsafeBufferPointer { x in
                sums.withUnsafeMutableBufferPointer { s in
                    f32SumSq(input: x.baseAddress!, pixels: 0..<pixels, channels: c, sums: s.baseAddress!)
                }
            }
            // The documented order: float square, then a double add per pixel in increasing order.
            var sequential = [Double](repeating: 0, count: c)
            for p in 0..<pixels { for i in 0..<c { sequential[i] += Double(input[p * c + i] * input[p * c + i]) } }
            #expect(sums == sequential, "c=\(c) pixels=\(pixels)")
            let ref = ReferenceOps.channelSumOfSquares(input: input, pixels: pixels, channels: c)
            let err = ReferenceOps.normalizedError(sums.map { Float($0) }, ref)
            #expect(err <= Self.tolerance, "c=\(c) pixels=\(pixels): error \(err)")
        }
    }

    @Test("f32-scalebias: channels around the vector width", arguments: [1, 7, 8, 13, 160])
    func channelScaleBias(channels c: Int) {
        var g = SeededGenerator(seed: UInt64(c))
        let rows = 5
        let data = g.floats(rows * c), scale = g.floats(c, in: 0.5...1.5), bias = g.floats(c)
        var out = data
        scale.withUnsafeBufferPointer { s in
            bias.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    Self.split(0..<rows, chunks: [2]) { r in
                        f32ScaleBias(data: o.baseAddress!, rows: r, channels: c, scale: s.baseAddress!, bias: b.baseAddress!)
                    }
                }
            }
        }
        let ref = ReferenceOps.channelScaleBias(data: data, rows: rows, channels: c, scale: scale, bias: bias)
        #expect(ReferenceOps.normalizedError(out, ref) <= Self.tolerance)
        let naive = (0..<rows * c).map { data[$0] * scale[$0 % c] + bias[$0 % c] }
        #expect(Self.bits(out) == Self.bits(naive))
    }

    // MARK: GELU

    /// Max over `xs` of |gelu(x) − reference| / max(1, |x|), and the worst x.
    static func worstGELUError(_ xs: [Float]) -> (error: Double, at: Float) {
        var worst = (error: 0.0, at: Float(0))
        var i = 0
        while i < xs.count {
            let count = min(8, xs.count - i)
            var lanes = SIMD8<Float>()
            for j in 0..<count { lanes[j] = xs[i + j] }
            let out = geluExact(lanes)
            for j in 0..<count {
                let x = Double(xs[i + j])
                let e = abs(Double(out[j]) - ReferenceOps.gelu(x)) / max(1, abs(x))
                if e > worst.error { worst = (e, xs[i + j]) }
            }
            i += 8
        }
        return worst
    }

    @Test("GELU: dense [-10, 10] against float64 erf")
    func geluDense() {
        let xs = (0...400_000).map { Float(-10 + Double($0) * 5e-5) }
        let (error, at) = Self.worstGELUError(xs)
        print("gelu: worst |error| / max(1, |x|) over [-10, 10] = \(error) at x = \(at)")
        // One float ulp of the result is 6e-8 (|x| < 1) to 1.2e-7 · |x|; we allow about 4 ulp.
        #expect(error <= 4e-7, "worst \(error) at \(at)")
    }

    @Test("GELU: large magnitudes and special values")
    func geluLarge() {
        var xs: [Float] = [6.3, 6.4, 6.5, 9, 20, 1e3, 1e6, 1e20, 3e38, .greatestFiniteMagnitude]
        xs += xs.map { -$0 }
        let (error, at) = Self.worstGELUError(xs)
        #expect(error <= 4e-7, "worst \(error) at \(at)")
        for x: Float in [-1e3, -1e20, -.greatestFiniteMagnitude] {
            #expect(geluExact(x) == 0, "gelu(\(x)) = \(geluExact(x))")
        }
        #expect(geluExact(Float.infinity) == .infinity)
        #expect(geluExact(Float.nan).isNaN)
        #expect(geluExact(Float(0)) == 0)
    }

    @Test("erf approximation: absolute error ≤ 1.5e-7")
    func erfAbsoluteError() {
        var worst = 0.0, worstAt: Float = 0
        var z: Float = -6
        while z <= 6 {
            var lanes = SIMD8<Float>()
            for j in 0..<8 { lanes[j] = z + Float(j) * 1e-4 }
            let out = erfApproximation(lanes)
            for j in 0..<8 {
                let e = abs(Double(out[j]) - erf(Double(lanes[j])))
                if e > worst { worst = e; worstAt = lanes[j] }
            }
            z += 8e-4
        }
        print("erf: worst absolute error over [-6, 6] = \(worst) at \(worstAt)")
        #expect(worst <= 1.5e-7, "worst \(worst) at \(worstAt)")
    }

    @Test("f32-gelu: scalar, vector and in-place partial paths agree bit for bit")
    func geluPathsAgree() {
        var g = SeededGenerator(seed: 3)
        let xs = g.floats(37, in: -8...8)
        var inPlace = xs
        inPlace.withUnsafeMutableBufferPointer { f32GELU($0.baseAddress!, count: 37) }
        #expect(Self.bits(inPlace) == Self.bits(xs.map { geluExact($0) }))
    }
}
