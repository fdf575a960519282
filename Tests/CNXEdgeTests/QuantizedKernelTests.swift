#if Native
import CCNXKernels
import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// The int8 C kernels (`cnx_qkernels.h`) on every ISA this CPU runs, bit-exactly against integer
/// references written here (int32 sums, then the epilogue as separate IEEE float operations), over
/// N and K around the 16-wide panels, 8-wide AVX2 and 32-wide VNNI tiles and 4-input groups, rows
/// around the 10/12-row tiles, K past the AVX2 kernel's 512-input chunks, full-range int8 weights
/// and the largest products, row ranges starting mid-tile, padded input rows, every epilogue,
/// aliasing and threads.
@Suite("Quantized kernels vs integer reference")
struct QuantizedKernelTests {
    static let isas: [cnx_isa] = [cnx_isa_scalar, cnx_isa_avx2, cnx_isa_avx512, cnx_isa_neon].filter {
        cnx_isa_supported($0)
    }

    static func name(_ kernel: cnx_qkernel, _ isa: cnx_isa) -> String { String(cString: cnx_qkernel_name(kernel, isa)) }

    static let epilogues: [(cnx_qu8_epilogue, cnx_qkernel)] = [
        (cnx_qu8_epilogue_f32, cnx_qkernel_qu8_pwconv_f32),
        (cnx_qu8_epilogue_f32_residual, cnx_qkernel_qu8_pwconv_f32_residual),
        (cnx_qu8_epilogue_u8, cnx_qkernel_qu8_pwconv_u8),
        (cnx_qu8_epilogue_u8_table, cnx_qkernel_qu8_pwconv_u8_table),
    ]

    /// ``ReferenceOps/requantize(_:_:)``: `clamp(round-half-even(y) + zp, 0, 255)`; NaN gives 0.
    static func requantize(_ y: Float, _ zp: Int32) -> UInt8 { ReferenceOps.requantize(y, zp) }

    /// A packed int8 layer and data for `m` rows of `inputStride` bytes.
    final class Case: @unchecked Sendable {
        let m: Int, n: Int, k: Int, inputStride: Int, zeroPoint: Int32
        let input: GuardedBytes, packed: GuardedBytes
        let weights: [Int8], bias: [Int32], scale: [Float], residual: [Float], table: [UInt8], columnSums: [Int32]

        /// `weightRange` defaults to all of int8: every variant is exact for any weights (AVX2's too,
        /// whose `vpmaddwd` pairs never saturate). `inputRange` narrows the activations (default all
        /// of uint8), e.g. to 255...255 for the largest products.
        init(m: Int, n: Int, k: Int, inputStride: Int? = nil, weightRange: ClosedRange<Int8> = -128...127,
             inputRange: ClosedRange<UInt8> = 0...255, seed: UInt64) {
            var g = SeededGenerator(seed: seed)
            self.m = m; self.n = n; self.k = k
            self.inputStride = inputStride ?? k
            zeroPoint = Int32.random(in: 0...255, using: &g)
            // The last row ends at the guard page: a kernel reading past its K bytes faults.
            input = GuardedBytes(count: (m - 1) * self.inputStride + k)
            for i in 0..<input.count { input.base[i] = UInt8.random(in: inputRange, using: &g) }
            weights = (0..<(n * k)).map { _ in Int8.random(in: weightRange, using: &g) }
            bias = (0..<n).map { _ in Int32.random(in: -20000...20000, using: &g) }
            // Outputs spread around the zero point, past both ends of [0, 255] for some elements.
            scale = (0..<n).map { _ in Float.random(in: 0.5...2, using: &g) / (Float(k).squareRoot() * 150) }
            residual = g.floats(m * n, in: -4...4)
            table = (0..<256).map { _ in UInt8.random(in: 0...255, using: &g) }
            let packed = GuardedBytes(count: cnx_qu8_pwconv_packed_size(n, k))
            var sums = [Int32](repeating: -1, count: n)
            weights.withUnsafeBufferPointer { w in
                packed.base.withMemoryRebound(to: Int8.self, capacity: packed.count) {
                    cnx_qu8_pwconv_pack(n, k, w.baseAddress, $0, &sums)
                }
            }
            self.packed = packed
            columnSums = sums
        }

        func accumulator(_ r: Int, _ o: Int) -> Int32 {
            var acc = bias[o]
            for i in 0..<k { acc += Int32(input.base[r * inputStride + i]) * Int32(weights[o * k + i]) }
            return acc
        }

        /// The reference outputs (f32 bit patterns, or bytes) of rows `rows`, laid out `[m][n]`.
        func reference(_ epilogue: cnx_qu8_epilogue, rows: Range<Int>) -> (f32: [Float], u8: [UInt8]) {
            var f = [Float](repeating: 0, count: m * n), u = [UInt8](repeating: 0, count: m * n)
            for r in rows {
                for o in 0..<n {
                    let y = Float(accumulator(r, o)) * scale[o]
                    switch epilogue {
                    case cnx_qu8_epilogue_f32: f[r * n + o] = y
                    case cnx_qu8_epilogue_f32_residual: f[r * n + o] = residual[r * n + o] + y
                    case cnx_qu8_epilogue_u8: u[r * n + o] = QuantizedKernelTests.requantize(y, zeroPoint)
                    default: u[r * n + o] = table[Int(QuantizedKernelTests.requantize(y, zeroPoint))]
                    }
                }
            }
            return (f, u)
        }

        /// Runs `isa` over each of `ranges` (or the parallel entry point on `pool`) into `f32`/`u8`.
        func run(_ isa: cnx_isa, _ epilogue: cnx_qu8_epilogue, ranges: [Range<Int>], f32: inout [Float],
                 u8: inout [UInt8], aliasResidual: Bool = false, parallel: Bool = false, pool: pthreadpool_t? = nil) {
            let res = aliasResidual ? nil : residual
            f32.withUnsafeMutableBufferPointer { o in
                u8.withUnsafeMutableBufferPointer { ou in
                    (res ?? []).withUnsafeBufferPointer { rp in
                        bias.withUnsafeBufferPointer { b in
                            scale.withUnsafeBufferPointer { s in
                                table.withUnsafeBufferPointer { t in
                                    packed.base.withMemoryRebound(to: Int8.self, capacity: packed.count) { w in
                                        var p = cnx_qu8_pwconv_params(
                                            input: input.base, input_stride: inputStride, packed_weights: w,
                                            bias: b.baseAddress, scale: s.baseAddress,
                                            residual: aliasResidual ? UnsafePointer(o.baseAddress) : rp.baseAddress,
                                            output_f32: o.baseAddress, output_u8: ou.baseAddress,
                                            output_zero_point: zeroPoint, table: t.baseAddress, input_channels: k,
                                            output_channels: n, output_stride: 0, epilogue: epilogue)
                                        if parallel {
                                            cnx_qu8_pwconv_parallel(pool, isa, &p, m)
                                        } else {
                                            for r in ranges { cnx_qu8_pwconv(isa, &p, r.lowerBound, r.upperBound) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        /// Runs `rows` and checks them against the reference bit for bit, and that nothing outside
        /// them was written.
        func check(_ isa: cnx_isa, _ epilogue: cnx_qu8_epilogue, _ kernel: cnx_qkernel, rows: Range<Int>) {
            let label = "\(QuantizedKernelTests.name(kernel, isa)) m=\(m) n=\(n) k=\(k) stride=\(inputStride) rows \(rows)"
            var f = [Float](repeating: -12345, count: m * n), u = [UInt8](repeating: 0xA5, count: m * n)
            run(isa, epilogue, ranges: [rows], f32: &f, u8: &u)
            let ref = reference(epilogue, rows: rows)
            let isF32 = epilogue == cnx_qu8_epilogue_f32 || epilogue == cnx_qu8_epilogue_f32_residual
            let inside = rows.lowerBound * n..<rows.upperBound * n
            if isF32 {
                let wrong = inside.filter { f[$0].bitPattern != ref.f32[$0].bitPattern }
                #expect(wrong.isEmpty, "\(label): \(wrong.count) elements differ, first \(wrong.first.map { "\(f[$0]) vs \(ref.f32[$0])" } ?? "")")
                #expect(f.indices.allSatisfy { inside.contains($0) || f[$0] == -12345 }, "\(label): wrote outside")
            } else {
                let wrong = inside.filter { u[$0] != ref.u8[$0] }
                #expect(wrong.isEmpty, "\(label): \(wrong.count) bytes differ, first \(wrong.first.map { "\(u[$0]) vs \(ref.u8[$0])" } ?? "")")
                #expect(u.indices.allSatisfy { inside.contains($0) || u[$0] == 0xA5 }, "\(label): wrote outside")
            }
        }
    }

    static let sizesN = [1, 15, 16, 17, 31, 32, 33, 48, 160]
    static let sizesK = [1, 3, 4, 5, 15, 16, 17, 40, 64, 67, 160]

    @Test("qu8-pwconv-*: every ISA and epilogue, N and K around the tiles, padded rows, mid-tile starts",
          arguments: sizesN, sizesK)
    func pointwise(n: Int, k: Int) {
        let c = Case(m: 13, n: n, k: k, inputStride: k + 3, seed: UInt64(n * 1000 + k))
        #expect(c.columnSums == (0..<n).map { o in c.weights[o * k..<(o + 1) * k].reduce(Int32(0)) { $0 + Int32($1) } })
        for isa in Self.isas {
            for (epilogue, kernel) in Self.epilogues {
                for rows in [0..<13, 3..<12, 1..<2, 9..<13, 7..<13] { c.check(isa, epilogue, kernel, rows: rows) }
            }
        }
    }

    @Test("qu8-pwconv-*: 1 to 13, 20 and 21 rows, unpadded input ending at a guard page",
          arguments: Array(1...13) + [20, 21])
    func rowTiles(m: Int) {
        let c = Case(m: m, n: 33, k: 17, seed: UInt64(m))
        for isa in Self.isas {
            for (epilogue, kernel) in Self.epilogues { c.check(isa, epilogue, kernel, rows: 0..<m) }
        }
    }

    @Test("qu8-pwconv-*: full-range int8 weights on every variant (AVX2 included), K chunks, many panels",
          arguments: [(33, 67), (48, 160), (17, 5), (16, 4), (161, 43), (145, 1031), (40, 1280), (19, 513)])
    func fullRangeWeights(n: Int, k: Int) {
        let c = Case(m: 11, n: n, k: k, inputStride: k + 1, seed: UInt64(n + k))
        #expect(n * k < 1000 || (c.weights.contains(-128) && c.weights.contains(127)), "the weights span int8")
        for isa in Self.isas {
            for (epilogue, kernel) in Self.epilogues {
                for rows in [0..<11, 1..<11, 10..<11] { c.check(isa, epilogue, kernel, rows: rows) }
            }
        }
    }

    @Test("qu8-pwconv-*: the largest products, activations 255 against weights 127, -128 and mixed extremes")
    func extremeProducts() {
        // `vpmaddubsw` would saturate every pair here (2 · 255 · -128 < -32768); every variant must not.
        let shapes = [(13, 160, 40), (11, 17, 1031), (7, 33, 5), (21, 48, 64), (1, 1, 3)]
        for (i, (m, n, k)) in shapes.enumerated() {
            for (j, (weights, inputs)) in [(Int8(127)...127, UInt8(255)...255), (-128...(-128), 255...255),
                                           (-128...127, 254...255), (-128...(-127), 0...255)].enumerated() {
                let c = Case(m: m, n: n, k: k, weightRange: weights, inputRange: inputs, seed: UInt64(100 * i + j))
                for isa in Self.isas {
                    for (epilogue, kernel) in Self.epilogues { c.check(isa, epilogue, kernel, rows: 0..<m) }
                }
            }
        }
    }

    @Test("qu8-pwconv-u8: ties round to even, saturation at 0 and 255")
    func roundingAndClamping() {
        // K = 1, weight 1, scale 0.5: acc = bias + a, so y = acc / 2 walks through every .5 tie and
        // far past both ends of [0, 255] around zero points 0, 128 and 255.
        for zp: Int32 in [0, 128, 255] {
            let c = Case(m: 40, n: 16, k: 1, weightRange: 1...1, seed: 9)
            for isa in Self.isas {
                var u = [UInt8](repeating: 0, count: 40 * 16)
                let bias = (0..<16).map { Int32($0 * 97 - 800) }, scale = [Float](repeating: 0.5, count: 16)
                u.withUnsafeMutableBufferPointer { out in
                bias.withUnsafeBufferPointer { b in
                    scale.withUnsafeBufferPointer { s in
                        c.packed.base.withMemoryRebound(to: Int8.self, capacity: c.packed.count) { w in
                            var p = cnx_qu8_pwconv_params(
                                input: c.input.base, input_stride: 1, packed_weights: w, bias: b.baseAddress,
                                scale: s.baseAddress, residual: nil, output_f32: nil, output_u8: out.baseAddress,
                                output_zero_point: zp, table: nil, input_channels: 1, output_channels: 16,
                                output_stride: 0, epilogue: cnx_qu8_epilogue_u8)
                            cnx_qu8_pwconv(isa, &p, 0, 40)
                        }
                    }
                }
                }
                var ref = [UInt8](), ties = 0, low = 0, high = 0
                for r in 0..<40 {
                    for o in 0..<16 {
                        let acc = bias[o] + Int32(c.input.base[r])
                        if acc % 2 != 0 { ties += 1 }
                        let v = Int32((Float(acc) * 0.5).rounded(.toNearestOrEven)) + zp
                        if v < 0 { low += 1 }
                        if v > 255 { high += 1 }
                        ref.append(UInt8(clamping: v))
                    }
                }
                #expect(ties > 50 && low > 10 && high > 10, "the data covers ties and both clamps")
                #expect(u == ref, "\(Self.name(cnx_qkernel_qu8_pwconv_u8, isa)) zp=\(zp)")
            }
        }
    }

    @Test("qu8-pwconv-f32-residual: the residual may be the output buffer")
    func aliasedResidual() {
        let c = Case(m: 19, n: 48, k: 40, seed: 5)
        let ref = c.reference(cnx_qu8_epilogue_f32_residual, rows: 0..<19)
        for isa in Self.isas {
            var f = c.residual, u = [UInt8](repeating: 0, count: 19 * 48)
            c.run(isa, cnx_qu8_epilogue_f32_residual, ranges: [0..<19], f32: &f, u8: &u, aliasResidual: true)
            #expect(f.map(\.bitPattern) == ref.f32.map(\.bitPattern), "\(isa)")
        }
    }

    @Test("qu8-pwconv-*: Atto's shapes, 1 vs 2 threads bit-identical and equal to the reference")
    func threads() throws {
        let pool = try #require(pthreadpool_create(2))
        defer { pthreadpool_destroy(pool) }
        for (i, (m, k, n)) in [(3136, 40, 160), (196, 160, 640), (49, 1280, 320), (3133, 17, 33)].enumerated() {
            let c = Case(m: m, n: n, k: k, seed: UInt64(31 + i))
            for (epilogue, kernel) in [Self.epilogues[1], Self.epilogues[3]] {
                let ref = c.reference(epilogue, rows: 0..<m)
                for isa in Self.isas {
                    var f1 = [Float](repeating: 0, count: m * n), u1 = [UInt8](repeating: 0, count: m * n)
                    var f2 = f1, u2 = u1
                    c.run(isa, epilogue, ranges: [], f32: &f1, u8: &u1, parallel: true, pool: nil)
                    c.run(isa, epilogue, ranges: [], f32: &f2, u8: &u2, parallel: true, pool: pool)
                    let label = "\(Self.name(kernel, isa)) \(m)x\(k)x\(n)"
                    #expect(f1.map(\.bitPattern) == f2.map(\.bitPattern) && u1 == u2, "\(label): 2 threads differ")
                    #expect(f1.map(\.bitPattern) == ref.f32.map(\.bitPattern) && u1 == ref.u8, "\(label): vs reference")
                }
            }
        }
    }

    // MARK: GRN statistics and quantization

    @Test("u8-sumsq: exact per-channel sums of squares, added to the caller's sums",
          arguments: [1, 7, 8, 15, 16, 17, 33, 160])
    func sumsq(channels: Int) {
        var g = SeededGenerator(seed: UInt64(channels))
        let rows = 45
        let x = (0..<(rows * channels)).map { _ in UInt8.random(in: 0...255, using: &g) }
        for zp: Int32 in [0, 131, 255] {
            for range in [0..<rows, 7..<30, 44..<45] {
                let start = (0..<channels).map { Int64($0) * 1_000_003 }
                var ref = start
                for r in range {
                    for c in 0..<channels { let d = Int64(x[r * channels + c]) - Int64(zp); ref[c] += d * d }
                }
                for isa in Self.isas {
                    var sums = start
                    cnx_u8_sumsq(isa, x, channels, range.lowerBound, range.upperBound, zp, &sums)
                    #expect(sums == ref, "\(Self.name(cnx_qkernel_u8_sumsq, isa)) c=\(channels) zp=\(zp) rows \(range)")
                }
            }
        }
    }

    @Test("f32-quantize-u8: round half to even, saturation, NaN and infinities, every length")
    func quantize() {
        var g = SeededGenerator(seed: 3)
        // Exact halves (with inverse scale 1 or 0.5), huge values, non-finite ones, random.
        var x: [Float] = (0..<600).map { Float($0 - 300) * 0.5 }
        x += [.nan, .infinity, -.infinity, 1e30, -1e30, 32767.5, -32768.5, 0, -0.0]
        x += g.floats(400, in: -300...300)
        for (inverse, zp): (Float, Int32) in [(1, 0), (1, 128), (0.5, 255), (0.37, 17), (3, 100)] {
            let ref = x.map { Self.requantize($0 * inverse, zp) }
            for isa in Self.isas {
                for count in Array(0...40) + [x.count] {
                    var out = [UInt8](repeating: 0xA5, count: x.count)
                    cnx_f32_quantize_u8(isa, x, count, inverse, zp, &out)
                    #expect(Array(out[..<count]) == Array(ref[..<count]) && out[count...].allSatisfy { $0 == 0xA5 },
                            "\(Self.name(cnx_qkernel_f32_quantize_u8, isa)) count=\(count) inverse=\(inverse) zp=\(zp)")
                }
            }
        }
    }

    @Test("u8-channel-affine is bit-exact with the Swift u8ChannelAffine, in place too")
    func channelAffine() {
        var rng = SplitMix64(seed: 41)
        for channels in [1, 3, 15, 16, 17, 31, 40, 160, 161] {
            let rows = 7
            let x = (0..<(rows * channels)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            for zp: Int32 in [0, 3, 128, 255] {
                // Ties (multiplier 0.5, offsets at .5), values far out of [0, 255], and general ones.
                var multiplier = [Float](repeating: 0, count: channels), offset = multiplier
                for c in 0..<channels {
                    switch c % 4 {
                    case 0: multiplier[c] = 0.5
                    case 1: multiplier[c] = rng.nextGaussian() * 3
                    case 2: multiplier[c] = 1e6
                    default: multiplier[c] = 0.0137 * Float(c)
                    }
                    switch c % 3 {
                    case 0: offset[c] = Float(c % 256) + 0.5
                    case 1: offset[c] = rng.nextGaussian() * 200
                    default: offset[c] = -1e7
                    }
                }
                var ref = [UInt8](repeating: 0, count: x.count)
                u8ChannelAffine(x, rows: 0..<rows, channels: channels, zeroPoint: zp, multiplier: multiplier,
                                offset: offset, output: &ref)
                for isa in Self.isas {
                    let name = Self.name(cnx_qkernel_u8_channel_affine, isa)
                    var out = [UInt8](repeating: 0xA5, count: x.count)
                    cnx_u8_channel_affine(isa, x, &out, channels, 2, 6, zp, multiplier, offset)
                    #expect(Array(out[(2 * channels)..<(6 * channels)]) == Array(ref[(2 * channels)..<(6 * channels)])
                            && out[..<(2 * channels)].allSatisfy { $0 == 0xA5 } && out[(6 * channels)...].allSatisfy { $0 == 0xA5 },
                            "\(name) channels=\(channels) zp=\(zp)")
                    var inPlace = x
                    inPlace.withUnsafeMutableBufferPointer { b in
                        cnx_u8_channel_affine(isa, b.baseAddress, b.baseAddress, channels, 0, rows, zp, multiplier, offset)
                    }
                    #expect(inPlace == ref, "\(name) in place channels=\(channels) zp=\(zp)")
                }
            }
        }
    }

    @Test("int8 kernel names say dtype, op, epilogue and the variant that runs")
    func names() {
        #expect(Self.name(cnx_qkernel_qu8_pwconv_u8_table, cnx_isa_scalar) == "qu8-pwconv-u8-table__scalar")
        #expect(Self.name(cnx_qkernel_qu8_pwconv_f32_residual, cnx_isa_avx2) == "qu8-pwconv-f32-residual__avx2")
        #expect(Self.name(cnx_qkernel_u8_sumsq, cnx_isa_neon) == "u8-sumsq__neon")
        if cnx_isa_supported(cnx_isa_avx512) {
            let n = Self.name(cnx_qkernel_qu8_pwconv_u8, cnx_isa_avx512)
            #expect(n == "qu8-pwconv-u8__avx512vnni" || n == "qu8-pwconv-u8__avx2")
            let t = Self.name(cnx_qkernel_qu8_pwconv_u8_table, cnx_isa_avx512)
            #expect(["qu8-pwconv-u8-table__avx512vbmi", "qu8-pwconv-u8-table__avx512vnni", "qu8-pwconv-u8-table__avx2"].contains(t))
        }
        #expect(Self.name(cnx_qkernel_u8_channel_affine, cnx_isa_scalar) == "u8-channel-affine__scalar")
        if cnx_isa_supported(cnx_isa_avx2) {
            #expect(Self.name(cnx_qkernel_u8_channel_affine, cnx_isa_avx2) == "u8-channel-affine__avx2")
        }
    }
}

/// `count` bytes ending exactly at an inaccessible guard page, so a kernel reading past them faults.
final class GuardedBytes: @unchecked Sendable {
    let base: UnsafeMutablePointer<UInt8>, count: Int
    private let mapping: UnsafeMutableRawPointer, mappedBytes: Int

    init(count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataPages = (count + page - 1) / page
        mappedBytes = (dataPages + 1) * page
        let m = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        precondition(m != nil && m != MAP_FAILED, "GuardedBytes: mmap failed")
        mapping = m!
        precondition(mprotect(mapping + dataPages * page, page, PROT_NONE) == 0, "GuardedBytes: mprotect failed")
        self.count = count
        base = (mapping + dataPages * page - count).bindMemory(to: UInt8.self, capacity: max(count, 1))
        base.initialize(repeating: 0x5A, count: count)
    }

    deinit { munmap(mapping, mappedBytes) }
}
#endif
