#if Native
import CCNXKernels
import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// Every ISA variant of the C kernels (`CCNXKernels`) this CPU runs, against the float64
/// definitions in ``ReferenceOps`` by normalised error, over shapes around the tiles (16-wide
/// panels, 32-wide AVX-512 tiles, 12/6/4-row tiles, 8/16-lane channel vectors, 4/8-pixel strips,
/// the 7x7 borders) and primes; plus bit-identity under row splits, threads and residual aliasing.
@Suite("Native kernels vs float64 reference")
struct NativeKernelTests {
    static let tolerance = 1e-5

    /// The ISAs this build and CPU support, scalar first.
    static let isas: [cnx_isa] = [cnx_isa_scalar, cnx_isa_avx2, cnx_isa_avx512, cnx_isa_neon].filter {
        cnx_isa_supported($0)
    }

    static func name(_ kernel: cnx_kernel, _ isa: cnx_isa) -> String { String(cString: cnx_kernel_name(kernel, isa)) }

    static func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

    /// Consecutive chunks of `rows` with the given lengths (cycled).
    static func chunks(_ rows: Range<Int>, _ lengths: [Int]) -> [Range<Int>] {
        var out: [Range<Int>] = [], lo = rows.lowerBound, i = 0
        while lo < rows.upperBound {
            let hi = min(rows.upperBound, lo + lengths[i % lengths.count])
            out.append(lo..<hi)
            lo = hi
            i += 1
        }
        return out
    }

    // MARK: Pointwise GEMM

    static let gemmSizes = [1, 7, 8, 15, 16, 17, 31, 32, 33, 37, 40, 48, 64]
    static let epilogues: [(cnx_epilogue, PointwiseEpilogue, cnx_kernel)] = [
        (cnx_epilogue_none, .none, cnx_kernel_f32_pwconv_none),
        (cnx_epilogue_gelu, .gelu, cnx_kernel_f32_pwconv_gelu),
        (cnx_epilogue_residual, .residual, cnx_kernel_f32_pwconv_residual),
    ]

    /// A packed pointwise layer and random data for `m` rows. `weightOnly`: int8 codes (full
    /// −127...127) with per-channel steps, packed as `int8FloatPanels`; `weights` then holds their
    /// real values for the reference.
    struct GEMMCase {
        let m: Int, n: Int, k: Int
        let input: [Float], weights: [Float], bias: [Float], residual: [Float]
        let packedWeights: GuardedFloats, packedBias: GuardedFloats
        /// Weight-only int8: the steps padded to 16 (`weight_scale`), else nil.
        let weightScale: GuardedFloats?

        init(m: Int, n: Int, k: Int, seed: UInt64, weightOnly: Bool = false) {
            var g = SeededGenerator(seed: seed)
            self.m = m; self.n = n; self.k = k
            input = g.floats(m * k)
            bias = g.floats(n)
            residual = g.floats(m * n, in: -2...2)
            packedBias = GuardedFloats(count: cnx_f32_pwconv_packed_bias_size(n) / 4)
            if weightOnly {
                let codes = (0..<(n * k)).map { _ in Int32(g.floats(1, in: -127.49...127.49)[0].rounded()) }
                let steps = g.floats(n, in: 0.001...0.02)
                weights = (0..<(n * k)).map { Float(codes[$0]) * steps[$0 / k] }
                let bytes = ConstantPacking.packIntegers(codes, shape: [n, k], layout: .int8FloatPanels)
                let packed = GuardedFloats(count: bytes.count / 4)
                bytes.withUnsafeBytes { UnsafeMutableRawPointer(packed.base).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                packedWeights = packed
                let scale = GuardedFloats(count: cnx_f32_pwconv_packed_bias_size(n) / 4)
                for i in 0..<n { scale.base[i] = steps[i] }
                weightScale = scale
                for i in 0..<n { packedBias.base[i] = bias[i] }
                _ = weights
            } else {
                weights = g.floats(n * k)
                packedWeights = GuardedFloats(count: cnx_f32_pwconv_packed_weights_size(n, k) / 4)
                cnx_f32_pwconv_pack(n, k, weights, bias, packedWeights.base, packedBias.base)
                weightScale = nil
            }
        }

        /// Runs `isa` over each of `ranges` in turn on `output` (residual from `residual`, or the
        /// output itself when `aliasResidual`).
        func run(_ isa: cnx_isa, _ epilogue: cnx_epilogue, ranges: [Range<Int>], output: inout [Float],
                 aliasResidual: Bool = false, pool: pthreadpool_t? = nil, parallel: Bool = false) {
            input.withUnsafeBufferPointer { a in
                do {
                    residual.withUnsafeBufferPointer { res in
                        output.withUnsafeMutableBufferPointer { o in
                            let scale = weightScale.map { UnsafePointer($0.base) }
                            var p = cnx_f32_pwconv_params(
                                input: a.baseAddress, packed_weights: scale == nil ? packedWeights.base : nil, bias: packedBias.base,
                                residual: aliasResidual ? UnsafePointer(o.baseAddress) : res.baseAddress,
                                output: o.baseAddress, input_channels: k, output_channels: n, epilogue: epilogue,
                                weight_scale: scale,
                                packed_weights_i8: scale == nil ? nil : UnsafeRawPointer(packedWeights.base).assumingMemoryBound(to: Int8.self))
                            if parallel {
                                cnx_f32_pwconv_parallel(pool, isa, &p, m)
                            } else {
                                for r in ranges { cnx_f32_pwconv(isa, &p, r.lowerBound, r.upperBound) }
                            }
                        }
                    }
                }
            }
        }

        func reference(_ epilogue: PointwiseEpilogue) -> [Double] {
            ReferenceOps.pointwise(input: input, rows: m, inputChannels: k, weights: weights, bias: bias,
                                   outputChannels: n, epilogue: epilogue, residual: residual)
        }
    }

    @Test("f32-pwconv-*: every ISA and epilogue, N and K around the tiles, rows starting mid-tile",
          arguments: gemmSizes, gemmSizes)
    func pointwise(n: Int, k: Int) {
        let m = 29  // two 12-row tiles + 5, four 6-row tiles + 5, seven 4-row tiles + 1
        for weightOnly in [false, true] {
        let c = GEMMCase(m: m, n: n, k: k, seed: UInt64(n * 1000 + k), weightOnly: weightOnly)
        for (epilogue, swiftEpilogue, kernel) in Self.epilogues {
            let ref = c.reference(swiftEpilogue)
            for isa in Self.isas {
                let label = "\(Self.name(kernel, isa))\(weightOnly ? " int8 weights" : "") n=\(n) k=\(k)"
                for rows in [0..<m, 3..<m, 1..<2, 5..<26, 13..<29] {
                    let sentinel: Float = -12345
                    var out = [Float](repeating: sentinel, count: m * n)
                    c.run(isa, epilogue, ranges: [rows], output: &out)
                    let slice = rows.lowerBound * n..<rows.upperBound * n
                    let err = ReferenceOps.normalizedError(Array(out[slice]), Array(ref[slice]))
                    #expect(err <= Self.tolerance, "\(label) rows \(rows): error \(err)")
                    let outside = out.indices.filter { !slice.contains($0) && out[$0] != sentinel }
                    #expect(outside.isEmpty, "\(label) rows \(rows): wrote outside the rows")
                }
                // Any row split gives the same bits.
                var whole = [Float](repeating: 0, count: m * n), split = whole
                c.run(isa, epilogue, ranges: [0..<m], output: &whole)
                c.run(isa, epilogue, ranges: Self.chunks(0..<m, [1, 5, 12, 7, 3]), output: &split)
                #expect(Self.bits(whole) == Self.bits(split), "\(label): row split changed the result")
                if epilogue == cnx_epilogue_residual {
                    var aliased = c.residual
                    c.run(isa, epilogue, ranges: [0..<m], output: &aliased, aliasResidual: true)
                    #expect(Self.bits(whole) == Self.bits(aliased), "\(label): aliased residual differs")
                }
            }
        }
        }
    }

    /// Atto's GEMM shapes (rows, K, N) that stress the panel grouping and the 2-D thread split.
    static let modelGEMMs: [(Int, Int, Int, cnx_epilogue)] = [
        (3136, 48, 40, cnx_epilogue_none), (784, 80, 320, cnx_epilogue_gelu),
        (196, 640, 160, cnx_epilogue_residual), (49, 1280, 320, cnx_epilogue_residual),
        (49, 320, 1280, cnx_epilogue_gelu), (1, 320, 1000, cnx_epilogue_none),
    ]

    @Test("f32-pwconv-*: model shapes, 1 vs 2 threads bit-identical and vs the reference")
    func pointwiseThreads() throws {
        let pool = try #require(pthreadpool_create(2))
        defer { pthreadpool_destroy(pool) }
        for (i, (m, k, n, epilogue)) in Self.modelGEMMs.enumerated() {
            let c = GEMMCase(m: m, n: n, k: k, seed: UInt64(77 + i))
            let swiftEpilogue = Self.epilogues.first { $0.0 == epilogue }!.1
            let ref = c.reference(swiftEpilogue)
            for isa in Self.isas {
                var one = [Float](repeating: 0, count: m * n), two = one
                c.run(isa, epilogue, ranges: [], output: &one, pool: nil, parallel: true)
                c.run(isa, epilogue, ranges: [], output: &two, pool: pool, parallel: true)
                let err = ReferenceOps.normalizedError(one, ref)
                #expect(err <= Self.tolerance, "\(isa) \(m)x\(k)x\(n): error \(err)")
                #expect(Self.bits(one) == Self.bits(two), "\(isa) \(m)x\(k)x\(n): 2 threads differ from 1")
            }
        }
    }

    // MARK: Depthwise 7x7 + LayerNorm

    /// The float64 conv followed by a float64 LayerNorm (no float rounding in between).
    static func dwconvLNReference(input: [Float], h: Int, w: Int, c: Int, weights: [Float], bias: [Float],
                                  gamma: [Float], beta: [Float], eps: Double) -> [Double] {
        var x = ReferenceOps.depthwise7x7(input: input, height: h, width: w, channels: c, weights: weights, bias: bias)
        for p in 0..<(h * w) {
            let row = x[p * c..<(p + 1) * c]
            let mean = row.reduce(0, +) / Double(c)
            let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(c)
            let inv = 1 / (variance + eps).squareRoot()
            for i in 0..<c { x[p * c + i] = (x[p * c + i] - mean) * inv * Double(gamma[i]) + Double(beta[i]) }
        }
        return x
    }

    static let images = [(1, 1), (2, 3), (7, 7), (8, 9), (3, 17), (12, 20)]
    static let dwChannels = [1, 5, 8, 13, 16, 37, 40, 64]

    func checkDWConvLN(h: Int, w: Int, c: Int, pool: pthreadpool_t?) {
        var g = SeededGenerator(seed: UInt64(h * 10_000 + w * 100 + c))
        // An input offset so LayerNorm's mean subtraction matters.
        let input = g.floats(h * w * c, in: -1...3), weights = g.floats(c * 49, in: -0.3...0.3), bias = g.floats(c)
        let gamma = g.floats(c, in: 0.5...1.5), beta = g.floats(c)
        // Against a guard page, so a kernel reading past the 8-channel padding faults.
        let packed = GuardedFloats(count: cnx_f32_dwconv7x7_packed_weights_size(c) / 4)
        let packedBias = GuardedFloats(count: cnx_f32_dwconv7x7_packed_bias_size(c) / 4)
        cnx_f32_dwconv7x7_pack(c, weights, bias, packed.base, packedBias.base)
        let eps: Float = 1e-6
        for affine in [true, false] {
            let ones = [Float](repeating: 1, count: c), zeros = [Float](repeating: 0, count: c)
            let ref = Self.dwconvLNReference(input: input, h: h, w: w, c: c, weights: weights, bias: bias,
                                             gamma: affine ? gamma : ones, beta: affine ? beta : zeros, eps: Double(eps))
            for isa in Self.isas {
                let kernel = affine ? cnx_kernel_f32_dwconv7x7_ln : cnx_kernel_f32_dwconv7x7_ln_noaffine
                let label = "\(Self.name(kernel, isa)) \(h)x\(w)x\(c)"
                func run(_ ranges: [Range<Int>], pool runPool: pthreadpool_t? = nil,
                         codes: UnsafeMutablePointer<UInt8>? = nil) -> [Float] {
                    var out = [Float](repeating: -777, count: h * w * c)
                    input.withUnsafeBufferPointer { x in
                        do {
                            gamma.withUnsafeBufferPointer { gm in
                                beta.withUnsafeBufferPointer { bt in
                                    out.withUnsafeMutableBufferPointer { o in
                                        var p = cnx_f32_dwconv7x7_ln_params(
                                            input: x.baseAddress, packed_weights: packed.base, bias: packedBias.base,
                                            gamma: affine ? gm.baseAddress : nil, beta: affine ? bt.baseAddress : nil,
                                            output: o.baseAddress, height: h, width: w, channels: c, eps: eps,
                                            affine: affine, output_u8: codes, inverse_scale: 3.7, zero_point: 117)
                                        if let runPool {
                                            cnx_f32_dwconv7x7_ln_parallel(runPool, isa, &p)
                                        } else {
                                            for r in ranges { cnx_f32_dwconv7x7_ln(isa, &p, r.lowerBound, r.upperBound) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    return out
                }
                let whole = run([0..<h])
                let err = ReferenceOps.normalizedError(whole, ref)
                #expect(err <= Self.tolerance, "\(label): error \(err)")
                #expect(Self.bits(run(Self.chunks(0..<h, [1, 3, 2]))) == Self.bits(whole), "\(label): row split differs")
                if let pool {
                    #expect(Self.bits(run([], pool: pool)) == Self.bits(whole), "\(label): threads differ")
                }
                // The optional fused uint8 output: cnx_f32_quantize_u8 of the float output, on any split.
                var expected = [UInt8](repeating: 0, count: h * w * c)
                cnx_f32_quantize_u8(isa, whole, whole.count, 3.7, 117, &expected)
                for split in [[0..<h], Self.chunks(0..<h, [1, 3, 2])] {
                    var codes = [UInt8](repeating: 0xA5, count: h * w * c)
                    let floats = codes.withUnsafeMutableBufferPointer { run(split, codes: $0.baseAddress) }
                    #expect(Self.bits(floats) == Self.bits(whole) && codes == expected, "\(label): fused u8 output differs")
                }
                if let pool {
                    var codes = [UInt8](repeating: 0xA5, count: h * w * c)
                    _ = codes.withUnsafeMutableBufferPointer { run([], pool: pool, codes: $0.baseAddress) }
                    #expect(codes == expected, "\(label): fused u8 output with threads differs")
                }
            }
        }
    }

    @Test("f32-dwconv7x7-ln(-noaffine): tiny images and channels around the vectors", arguments: dwChannels)
    func dwconvLNSmall(c: Int) {
        for (h, w) in Self.images { checkDWConvLN(h: h, w: w, c: c, pool: nil) }
    }

    @Test("f32-dwconv7x7-ln(-noaffine): Atto's shapes, 2 threads bit-identical",
          arguments: [(56, 40), (28, 80), (14, 160), (7, 320)])
    func dwconvLNModel(size: Int, c: Int) throws {
        let pool = try #require(pthreadpool_create(2))
        defer { pthreadpool_destroy(pool) }
        checkDWConvLN(h: size, w: size, c: c, pool: pool)
    }

    // MARK: LayerNorm, GRN, GELU

    @Test("f32-layernorm: channels around the vectors, with and without affine, in place")
    func layerNorm() {
        for c in [1, 5, 8, 13, 16, 37, 40, 64, 320] {
            var g = SeededGenerator(seed: UInt64(c))
            let rows = 7
            let x = g.floats(rows * c, in: -1...3), gamma = g.floats(c), beta = g.floats(c)
            let ref = ReferenceOps.layerNorm(input: x, rows: rows, channels: c, gamma: gamma, beta: beta, eps: 1e-6)
            let plainRef = ReferenceOps.layerNorm(input: x, rows: rows, channels: c, gamma: [Float](repeating: 1, count: c),
                                                  beta: [Float](repeating: 0, count: c), eps: 1e-6)
            for isa in Self.isas {
                var out = [Float](repeating: 0, count: rows * c)
                cnx_f32_layernorm(isa, x, &out, c, gamma, beta, 1e-6, 0, rows)
                #expect(ReferenceOps.normalizedError(out, ref) <= Self.tolerance, "\(Self.name(cnx_kernel_f32_layernorm, isa)) c=\(c)")
                var inPlace = x
                inPlace.withUnsafeMutableBufferPointer { cnx_f32_layernorm(isa, $0.baseAddress, $0.baseAddress, c, nil, nil, 1e-6, 0, rows) }
                #expect(ReferenceOps.normalizedError(inPlace, plainRef) <= Self.tolerance, "\(isa) c=\(c) no affine")
            }
        }
    }

    @Test("f32-sumsq and f32-scalebias (GRN): every ISA, identical sums across ISAs")
    func grn() {
        for c in [1, 5, 8, 13, 16, 37, 40, 64] {
            var g = SeededGenerator(seed: UInt64(100 + c))
            let pixels = 23
            let x = g.floats(pixels * c), scale = g.floats(c), bias = g.floats(c)
            let sumRef = ReferenceOps.channelSumOfSquares(input: x, pixels: pixels, channels: c)
            let sbRef = ReferenceOps.channelScaleBias(data: x, rows: pixels, channels: c, scale: scale, bias: bias)
            var firstSums: [Double]? = nil
            for isa in Self.isas {
                var sums = [Double](repeating: 0, count: c)
                cnx_f32_sumsq(isa, x, c, 0, 9, &sums)
                cnx_f32_sumsq(isa, x, c, 9, pixels, &sums)
                let err = zip(sums, sumRef).map { abs($0 - $1) / max($1, 1e-30) }.max()!
                #expect(err <= 1e-6, "\(Self.name(cnx_kernel_f32_sumsq, isa)) c=\(c): relative error \(err)")
                if let firstSums { #expect(firstSums == sums, "\(isa) c=\(c): sums differ from scalar") } else { firstSums = sums }
                var data = x
                cnx_f32_scalebias(isa, &data, c, scale, bias, 0, pixels)
                #expect(ReferenceOps.normalizedError(data, sbRef) <= Self.tolerance, "\(Self.name(cnx_kernel_f32_scalebias, isa)) c=\(c)")
            }
        }
    }

    @Test("f32-gelu: dense range [-10, 10], large magnitudes, and the GEMM epilogue agrees bit for bit")
    func gelu() {
        var xs = stride(from: -10.0, through: 10.0, by: 1e-3).map { Float($0) }
        xs += [-1e30, -1e6, -100, -6.5, -6.4, -4.5, 4.5, 6.4, 6.5, 100, 1e6, 1e30, 0]
        xs += [Float.leastNormalMagnitude, -Float.leastNormalMagnitude, 1e-30, -1e-30]
        let ref = xs.map { ReferenceOps.gelu(Double($0)) }
        for isa in Self.isas {
            var out = xs
            cnx_f32_gelu(isa, &out, out.count)
            let label = Self.name(cnx_kernel_f32_gelu, isa)
            var worst = 0.0, worstX: Float = 0
            for i in xs.indices {
                let e = abs(Double(out[i]) - ref[i]) / max(1, abs(Double(xs[i])))
                if e > worst { worst = e; worstX = xs[i] }
            }
            #expect(worst <= 4e-7, "\(label): error \(worst) at x = \(worstX)")
            #expect(ReferenceOps.normalizedError(out, ref) <= 1e-6, "\(label)")
            var inf: [Float] = [.infinity, -.infinity, .nan]
            cnx_f32_gelu(isa, &inf, 3)
            #expect(inf[0] == .infinity && inf[1].isNaN && inf[2].isNaN, "\(label): ±∞/NaN give \(inf)")
            // The GEMM's GELU epilogue is the same function: K = 1, weight 1, bias 0 passes x through.
            let packed = GuardedFloats(count: cnx_f32_pwconv_packed_weights_size(1, 1) / 4)
            let packedBias = GuardedFloats(count: cnx_f32_pwconv_packed_bias_size(1) / 4)
            cnx_f32_pwconv_pack(1, 1, [1], [0], packed.base, packedBias.base)
            var viaGEMM = [Float](repeating: 0, count: xs.count)
            xs.withUnsafeBufferPointer { a in
                do {
                    viaGEMM.withUnsafeMutableBufferPointer { o in
                        var p = cnx_f32_pwconv_params(input: a.baseAddress, packed_weights: packed.base,
                                                      bias: packedBias.base, residual: nil,
                                                      output: o.baseAddress, input_channels: 1, output_channels: 1,
                                                      epilogue: cnx_epilogue_gelu, weight_scale: nil, packed_weights_i8: nil)
                        cnx_f32_pwconv(isa, &p, 0, xs.count)
                    }
                }
            }
            #expect(Self.bits(viaGEMM) == Self.bits(out), "\(label): GEMM epilogue differs from f32-gelu")
        }
    }

    @Test("Dispatch: the best ISA is supported, names follow dtype-op__isa")
    func dispatch() {
        let best = cnx_kernels_best_isa()
        #expect(cnx_isa_supported(best))
        #expect(cnx_isa_supported(cnx_isa_scalar))
        #expect(Self.name(cnx_kernel_f32_pwconv_gelu, cnx_isa_avx512) == "f32-pwconv-gelu__avx512")
        #expect(Self.name(cnx_kernel_f32_dwconv7x7_ln, cnx_isa_avx2) == "f32-dwconv7x7-ln__avx2")
        #expect(Self.name(cnx_kernel_f32_pwconv_none, cnx_isa_scalar) == "f32-pwconv-none__scalar")
        #expect(Self.name(cnx_kernel_f32_dwconv7x7_ln_noaffine, cnx_isa_neon) == "f32-dwconv7x7-ln-noaffine__neon")
        #if arch(x86_64)
        #expect(Self.isas.count >= 2, "an x86-64 CI machine has at least AVX2")
        #endif
    }
}
/// `count` floats (NaN-filled) ending exactly at an inaccessible guard page, so a kernel reading
/// past a packed buffer faults instead of reading a neighbour's bytes. 32-byte aligned when `count`
/// is a multiple of 8.
final class GuardedFloats: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    private let mapping: UnsafeMutableRawPointer, mappedBytes: Int

    init(count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataPages = (count * 4 + page - 1) / page
        mappedBytes = (dataPages + 1) * page
        let m = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        precondition(m != nil && m != MAP_FAILED, "GuardedFloats: mmap failed")
        mapping = m!
        precondition(mprotect(mapping + dataPages * page, page, PROT_NONE) == 0, "GuardedFloats: mprotect failed")
        base = (mapping + dataPages * page - count * 4).bindMemory(to: Float.self, capacity: count)
        base.initialize(repeating: .nan, count: count)
    }

    deinit { munmap(mapping, mappedBytes) }
}
#endif
