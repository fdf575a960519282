/// int8 weights of a 1x1 (or patch) convolution packed for ``u8PointwiseGEMM(input:inputStride:rows:weights:epilogue:)``:
/// panels of 16 output channels, K rounded up to a multiple of 4, `[ceil(N/16)][ceil(K/4)][16][4]`
/// int8 (zeros in the padding), and the int32 accumulator start values `[ceil(N/16)·16]`. The
/// native backend's C kernels read the same layout, which is what a `.cnx` file stores.
public struct PackedInt8PointwiseWeights: Sendable {
    public let outputChannels: Int
    public let inputChannels: Int
    /// `[panel][k/4][16][4]` int8.
    let panels: AlignedFloatBuffer
    /// `[ceil(N/16)·16]` int32.
    let bias: AlignedFloatBuffer
    /// The panels widened once to the int16 pairs of ``Int8GEMMKernel/int16Pairs``
    /// (`[panel][groups][pair][16]` int32 pairs, twice the bytes of `panels`), or nil: the GEMM
    /// then widens each panel for every block of rows (``withInt16Pairs()``).
    private(set) var int16Pairs: AlignedFloatBuffer?

    /// Groups of 4 input channels.
    public var kGroups: Int { (inputChannels + 3) / 4 }
    /// Panels of 16 output channels.
    public var panelCount: Int { (outputChannels + 15) / 16 }

    /// Bytes of the packed weights of an `n`x`k` convolution.
    public static func packedBytes(outputChannels n: Int, inputChannels k: Int) -> Int { (n + 15) / 16 * 16 * ((k + 3) / 4 * 4) }

    /// Packs row-major int8 codes `weights` (`[n][k]`, each in -128...127) and int32 `bias` (`[n]`).
    public init(weights: [Int32], bias: [Int32], outputChannels n: Int, inputChannels k: Int) {
        precondition(weights.count == n * k && bias.count == n, "int8 weights: \(weights.count) codes, \(bias.count) biases for \(n)x\(k)")
        outputChannels = n
        inputChannels = k
        let groups = (k + 3) / 4
        panels = AlignedFloatBuffer(count: Self.packedBytes(outputChannels: n, inputChannels: k) / 4) { p in
            let bytes = UnsafeMutableRawPointer(p).assumingMemoryBound(to: Int8.self)
            for o in 0..<n {
                let panel = o / 16, lane = o % 16
                for j in 0..<k {
                    bytes[((panel * groups + j / 4) * 16 + lane) * 4 + j % 4] = Int8(weights[o * k + j])
                }
            }
        }
        self.bias = AlignedFloatBuffer(count: (n + 15) / 16 * 16) { p in
            let b = UnsafeMutableRawPointer(p).assumingMemoryBound(to: Int32.self)
            for o in 0..<n { b[o] = bias[o] }
        }
    }

    /// Borrows packed weights and biases in this layout (a mapped `.cnx` file's).
    init(panels: AlignedFloatBuffer, bias: AlignedFloatBuffer, outputChannels: Int, inputChannels: Int) {
        self.panels = panels
        self.bias = bias
        self.outputChannels = outputChannels
        self.inputChannels = inputChannels
    }

    /// These weights with ``int16Pairs`` filled in, for ``u8PointwiseGEMM(input:inputStride:rows:weights:epilogue:)``
    /// on ``Int8GEMMKernel/int16Pairs``: a backend that runs the GEMM many times keeps twice the
    /// int8 bytes in exchange for not widening the weights on every call (Atto: 3.2 MB more, and
    /// about 0.5 ms less per image on Zen 5).
    public func withInt16Pairs() -> PackedInt8PointwiseWeights {
        var copy = self
        let groups = kGroups, source = UnsafeRawPointer(panels.base)
        copy.int16Pairs = AlignedFloatBuffer(count: panelCount * groups * panelGroupBytes / 4) { p in
            for panel in 0..<panelCount {
                widenPanelPairs(source + panel * groups * 64, groups: groups, into: UnsafeMutableRawPointer(p) + panel * groups * panelGroupBytes)
            }
        }
        return copy
    }

    /// Bytes of ``int16Pairs`` for an `n`x`k` convolution.
    static func int16PairBytes(outputChannels n: Int, inputChannels k: Int) -> Int { (n + 15) / 16 * ((k + 3) / 4) * panelGroupBytes }

    /// Weights in buffers a backend rewrites for every image (an int8 1x1 with a folded GRN,
    /// ``s8RequantizeGRNPanels(_:panels:)``, which writes the pairs too): `panels` and `bias` in
    /// the layout above, and `int16Pairs` (``int16PairBytes(outputChannels:inputChannels:)`` long)
    /// or nil.
    init(panels: AlignedFloatBuffer, bias: AlignedFloatBuffer, int16Pairs: AlignedFloatBuffer?, outputChannels: Int, inputChannels: Int) {
        self.init(panels: panels, bias: bias, outputChannels: outputChannels, inputChannels: inputChannels)
        self.int16Pairs = int16Pairs
    }

    /// The packed bytes, for a file writer.
    public var packedBytes: [Int8] {
        let n = Self.packedBytes(outputChannels: outputChannels, inputChannels: inputChannels)
        return Array(UnsafeBufferPointer(start: UnsafeRawPointer(panels.base).assumingMemoryBound(to: Int8.self), count: n))
    }
}

/// What ``u8PointwiseGEMM(input:inputStride:rows:weights:epilogue:)`` does with each int32
/// accumulator `acc[m][n]` (`f = Float(acc) · scale[n]`, a rounded multiply):
public enum Int8Epilogue {
    /// `output[m][n] = f` (float32 rows of N).
    case float(scale: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>)
    /// `output[m][n] = output[m][n] + f`: the residual stream, updated in place.
    case floatResidual(scale: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>)
    /// `v = clamp(round(f) + zeroPoint, 0, 255)` (ties to even), then `table[v]` if there is a
    /// table: uint8 rows of N.
    case codes(scale: UnsafePointer<Float>, zeroPoint: Int32, table: UnsafePointer<UInt8>?, output: UnsafeMutablePointer<UInt8>)
}

/// `clamp(round(v) + zeroPoint, 0, 255)` (ties to even), what the C kernels compute. Rounds by
/// adding 1.5·2²³, whose sum holds the nearest integer in its low mantissa bits (default rounding
/// mode). Scalar, for loops the compiler vectorizes: `rounded`, `clamped` and `SIMD<Int32>(floats)`
/// on SIMD vectors compile to a call per vector or per lane.
@inline(__always)
func code(_ v: Float, zeroPoint: Float) -> UInt8 {
    // Clamping to [−1 − zp, 256 − zp] first gives the same code (rounding is monotonic) and keeps
    // every step exact in float.
    let c = Swift.min(Swift.max(v, -1 - zeroPoint), 256 - zeroPoint)
    let r = Swift.min(Swift.max((c + 12_582_912) - 12_582_912 + zeroPoint, 0), 255)
    return UInt8(truncatingIfNeeded: (r + 12_582_912).bitPattern)
}

/// The two implementations of ``u8PointwiseGEMM(input:inputStride:rows:weights:epilogue:)``; both
/// give the same bits (exact int32 sums, the same epilogue).
enum Int8GEMMKernel: CaseIterable {
    /// Int16 pairs on 256-bit `pmaddwd` (``u8PointwiseGEMMPairs(input:inputStride:rows:weights:epilogue:)``):
    /// about 1.5x the float kernel on AVX2 (Atto's int8 1x1 convolutions, Zen 5).
    case int16Pairs
    /// Exact integers in float FMAs (``u8PointwiseGEMMFloat(input:inputStride:rows:weights:epilogue:)``).
    case exactFloat

    /// The kernel this build runs: ``int16Pairs`` on `CNX_FMA` builds (`scripts/swift-cpu-flags.sh`
    /// targets haswell or later, so AVX2; on its AVX-512 VNNI targets LLVM fuses each `pmaddwd`
    /// and add into one `vpdpwssd`), ``exactFloat`` elsewhere. On the x86-64 SSE2 baseline LLVM does
    /// not form `pmaddwd` in the tile kernel (it scalarizes it, ~4x slower than the float kernel),
    /// and the arm64 code generation of the int16 kernel has not been measured. (Tiles of 4 rows x
    /// 32 outputs on AVX-512's 32 registers, and of 6 x 32 on 512-bit `vpdpwssd`, measured 3% and
    /// 12% slower on int8 Atto than this 4 x 16 tile on Zen 5; the 6 x 32 tile still 4% slower with
    /// the weights widened once. Its 64-byte broadcast activations cost more than the wider
    /// multiply-adds save.)
    static var preferred: Int8GEMMKernel {
        #if CNX_FMA
        .int16Pairs
        #else
        .exactFloat
        #endif
    }

    /// The kernel's name in profiles (`bench --profile`, `inspect`).
    var name: String {
        switch self {
        case .int16Pairs: "qu8-pwconv-i16pairs"
        case .exactFloat: "qu8-pwconv-exactf32"
        }
    }
}

/// `u8-pwconv__swift`: the int8 1x1 convolution. For every row `m` in `rows` and output `n`:
/// `acc = bias[n] + Σ_k input[m·inputStride + k] · w[n][k]` in int32, then `epilogue`.
/// Integer results are exact (bit-identical to the C kernels') on every CPU and for any row split;
/// the epilogue's float steps are the same multiply, add and round-to-nearest-even the C kernels
/// use. Never allocates (its scratch, at most about max(160 KB, 64 bytes per input channel) plus
/// 64 bytes per input channel, is on the stack).
///
/// Runs ``Int8GEMMKernel/preferred``: an int16 GEMM on `pmaddwd` on `CNX_FMA` (AVX2) builds, a
/// float GEMM on exact integers elsewhere.
///
/// Numerics: every product and pair sum is exact in int32 and the accumulators wrap like the C
/// kernels', so `acc` is bit-identical to theirs; no float rounding happens before the epilogue.
public func u8PointwiseGEMM(input: UnsafePointer<UInt8>, inputStride: Int, rows: Range<Int>,
                            weights w: PackedInt8PointwiseWeights, epilogue: Int8Epilogue) {
    u8PointwiseGEMM(input: input, inputStride: inputStride, rows: rows, weights: w, epilogue: epilogue, kernel: .preferred)
}

/// ``u8PointwiseGEMM(input:inputStride:rows:weights:epilogue:)`` on a given kernel (tests run both).
func u8PointwiseGEMM(input: UnsafePointer<UInt8>, inputStride: Int, rows: Range<Int>,
                     weights w: PackedInt8PointwiseWeights, epilogue: Int8Epilogue, kernel: Int8GEMMKernel) {
    switch kernel {
    case .int16Pairs: u8PointwiseGEMMPairs(input: input, inputStride: inputStride, rows: rows, weights: w, epilogue: epilogue)
    case .exactFloat: u8PointwiseGEMMFloat(input: input, inputStride: inputStride, rows: rows, weights: w, epilogue: epilogue)
    }
}

/// `Σ_{i<2} Int32(a[2j+i]) · Int32(b[2j+i])` for each of the 8 int32 lanes `j`: exact (no
/// saturation: the int16 operands here are codes 0...255 and weights -128...127), one AVX2
/// `pmaddwd`.
///
/// Written as a scalar loop over lanes on purpose: `SIMD8<Int32>(truncatingIfNeeded:)` of int16
/// lanes compiles to an out-of-line call, while this loop becomes LLVM's even/odd
/// sign-extend-multiply-add pattern, which the x86 backend turns into `pmaddwd`. The pattern only
/// survives when both operands are plain vector loads: a splat or shifted operand is folded into
/// scalar extracts first (and then costs `pmulld`s), which is why
/// ``u8PointwiseGEMMPairs(input:inputStride:rows:weights:epilogue:)`` stores broadcast activations
/// and widened weights in scratch and the micro-kernel only loads them. (On the SSE2 baseline the
/// tile kernel is scalarized anyway: see ``Int8GEMMKernel/preferred``.)
@inline(__always)
private func multiplyAddPairs(_ a: SIMD16<Int16>, _ b: SIMD16<Int16>) -> SIMD8<Int32> {
    var r = SIMD8<Int32>()
    for j in 0..<8 {
        r[j] = Int32(a[2 &* j]) &* Int32(b[2 &* j]) &+ Int32(a[2 &* j &+ 1]) &* Int32(b[2 &* j &+ 1])
    }
    return r
}

/// Rows of a micro-tile of ``tileSums4(_:_:groups:bias:into:)``.
private let tileRows = 4

/// Bytes of one group of 4 input channels of a tile's broadcast activations (`[4 rows][2 pairs][8]`
/// int32 pairs) and of a widened panel (`[2 pairs][16 lanes]` int32 pairs).
private let tileGroupBytes = tileRows * 64, panelGroupBytes = 128

/// `out[r][n] = bias[n] + Σ_k x[r][k] · w[n][k]` for the 4 rows `r` and 16 outputs `n` of one tile
/// and one panel, in wrapping int32: the same modular sums as the C kernels' int32 accumulators,
/// in any order, so bit-identical to them (and exact whenever `|bias| + 255 · 128 · K` fits in
/// int32, as it does for every model).
///
/// - `a`: the tile's activations as int16 pairs, each pair broadcast to a whole vector:
///   `[groups][4 rows][pair p = 0, 1][8 lanes]` of `(x[r][4g+p], x[r][4g+p+2])`.
/// - `w`: the panel's weights widened to int16 pairs: `[groups][pair p][16 lanes n]` of
///   `(w[n][4g+p], w[n][4g+p+2])`.
///
/// 8 int32 accumulators (4 rows x 16 outputs) stay in registers; per group, 4 weight and 8
/// activation loads feed 16 `pmaddwd`s (256 multiply-adds).
@inline(never)
private func tileSums4(_ a: UnsafeRawPointer, _ w: UnsafeRawPointer, groups: Int, bias: UnsafeRawPointer,
                       into out: UnsafeMutableRawPointer) {
    let b0 = bias.loadUnaligned(as: SIMD8<Int32>.self), b1 = bias.loadUnaligned(fromByteOffset: 32, as: SIMD8<Int32>.self)
    var s00 = b0, s01 = b1, s10 = b0, s11 = b1, s20 = b0, s21 = b1, s30 = b0, s31 = b1
    var g = 0
    while g < groups {
        let wp = w + g &* panelGroupBytes, ap = a + g &* tileGroupBytes
        let w00 = wp.loadUnaligned(as: SIMD16<Int16>.self), w01 = wp.loadUnaligned(fromByteOffset: 32, as: SIMD16<Int16>.self)
        let w10 = wp.loadUnaligned(fromByteOffset: 64, as: SIMD16<Int16>.self), w11 = wp.loadUnaligned(fromByteOffset: 96, as: SIMD16<Int16>.self)
        @inline(__always) func row(_ r: Int, _ lo: inout SIMD8<Int32>, _ hi: inout SIMD8<Int32>) {
            let a0 = ap.loadUnaligned(fromByteOffset: r &* 64, as: SIMD16<Int16>.self)
            let a1 = ap.loadUnaligned(fromByteOffset: r &* 64 &+ 32, as: SIMD16<Int16>.self)
            lo &+= multiplyAddPairs(w00, a0); hi &+= multiplyAddPairs(w01, a0)
            lo &+= multiplyAddPairs(w10, a1); hi &+= multiplyAddPairs(w11, a1)
        }
        row(0, &s00, &s01); row(1, &s10, &s11); row(2, &s20, &s21); row(3, &s30, &s31)
        g &+= 1
    }
    out.storeBytes(of: s00, toByteOffset: 0, as: SIMD8<Int32>.self); out.storeBytes(of: s01, toByteOffset: 32, as: SIMD8<Int32>.self)
    out.storeBytes(of: s10, toByteOffset: 64, as: SIMD8<Int32>.self); out.storeBytes(of: s11, toByteOffset: 96, as: SIMD8<Int32>.self)
    out.storeBytes(of: s20, toByteOffset: 128, as: SIMD8<Int32>.self); out.storeBytes(of: s21, toByteOffset: 160, as: SIMD8<Int32>.self)
    out.storeBytes(of: s30, toByteOffset: 192, as: SIMD8<Int32>.self); out.storeBytes(of: s31, toByteOffset: 224, as: SIMD8<Int32>.self)
}

/// One packed panel (`[groups][16 lanes][4]` int8) widened to ``tileSums4(_:_:groups:bias:into:)``'s
/// `[groups][pair][16 lanes]` int16 pairs: read as int16 lanes, each lane's even codes (`k0`,
/// `k2`) and odd codes (`k1`, `k3`) sign-extended by shifts.
@inline(never)
private func widenPanelPairs(_ wp: UnsafeRawPointer, groups: Int, into w: UnsafeMutableRawPointer) {
    let eight = SIMD16<Int16>(repeating: 8)
    for g in 0..<groups {
        let p = wp + g &* 64, o = w + g &* panelGroupBytes
        let v0 = p.loadUnaligned(as: SIMD16<Int16>.self), v1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD16<Int16>.self)
        o.storeBytes(of: (v0 &<< eight) &>> eight, toByteOffset: 0, as: SIMD16<Int16>.self)
        o.storeBytes(of: (v1 &<< eight) &>> eight, toByteOffset: 32, as: SIMD16<Int16>.self)
        o.storeBytes(of: v0 &>> eight, toByteOffset: 64, as: SIMD16<Int16>.self)
        o.storeBytes(of: v1 &>> eight, toByteOffset: 96, as: SIMD16<Int16>.self)
    }
}

/// Row `x` (`k` uint8 codes) as tile row `r` of ``tileSums4(_:_:groups:bias:into:)``'s broadcast
/// activations `a` (zeros past `k`; a nil `x` is a row of zeros, for tiles past the last row).
@inline(__always)
private func broadcastRow(_ x: UnsafePointer<UInt8>?, k: Int, groups: Int, row r: Int, into a: UnsafeMutableRawPointer) {
    // The 4 codes of a group as one little-endian word `u`: the pairs (k0, k2), (k1, k3) as int16
    // halves are `u & 0x00FF00FF` and `(u >> 8) & 0x00FF00FF`.
    @inline(__always) func store(_ g: Int, _ u: UInt32) {
        let o = a + (g &* tileGroupBytes &+ r &* 64)
        o.storeBytes(of: SIMD8<UInt32>(repeating: u & 0x00FF_00FF), as: SIMD8<UInt32>.self)
        o.storeBytes(of: SIMD8<UInt32>(repeating: (u &>> 8) & 0x00FF_00FF), toByteOffset: 32, as: SIMD8<UInt32>.self)
    }
    guard let x else {
        for g in 0..<groups { store(g, 0) }
        return
    }
    let whole = k / 4, mask = SIMD8<UInt32>(repeating: 0x00FF_00FF)
    var g = 0
    // 8 groups at a time: the pairs as vector operations, then each lane broadcast.
    while g &+ 8 <= whole {
        let u = UnsafeRawPointer(x + 4 &* g).loadUnaligned(as: SIMD8<UInt32>.self)
        let even = u & mask, odd = (u &>> 8) & mask
        for j in 0..<8 {
            let o = a + ((g &+ j) &* tileGroupBytes &+ r &* 64)
            o.storeBytes(of: SIMD8<UInt32>(repeating: even[j]), as: SIMD8<UInt32>.self)
            o.storeBytes(of: SIMD8<UInt32>(repeating: odd[j]), toByteOffset: 32, as: SIMD8<UInt32>.self)
        }
        g &+= 8
    }
    while g < whole {
        store(g, UnsafeRawPointer(x + 4 &* g).loadUnaligned(as: UInt32.self).littleEndian)
        g &+= 1
    }
    if whole < groups {
        var u: UInt32 = 0
        for j in (4 * whole)..<k { u |= UInt32(x[j]) &<< (8 &* UInt32(j & 3)) }
        store(whole, u)
    }
}

/// Scratch budget for a block's broadcast activations (64 bytes per row and input channel): 160 KB
/// measured faster on Atto than 96 KB (more rows per block widen each panel less often) and about
/// the same as larger budgets; the block stays in L2, each tile's weights in L1.
private let broadcastBytes = 160 * 1024

/// ``Int8GEMMKernel/int16Pairs``: ``u8PointwiseGEMM(input:inputStride:rows:weights:epilogue:)`` as
/// an int16 GEMM with int32 accumulators on `pmaddwd` (16 exact multiply-adds per AVX2
/// instruction, twice a float FMA's 8; uint8 · int8 `pmaddubsw` would saturate): a block of rows
/// is written once as broadcast int16 activation pairs, each panel's weights are read as int16
/// pairs (``PackedInt8PointwiseWeights/int16Pairs``, or widened once per block when the weights
/// have none), and tiles of 4 rows x 16 outputs summed by ``tileSums4(_:_:groups:bias:into:)``.
/// Blocks hold as many 4-row tiles as fit ``broadcastBytes`` (at least one), so large K re-widens
/// weights without pairs more often; tables are looked up per block (``Int8Epilogue/deferringTable``). Codes are read as little-endian words (x86-64 and ARM64 both are).
/// Never allocates (its scratch, at most about max(160 KB, 64 bytes per input channel) plus 32
/// bytes per input channel, is on the stack; the float kernel's is about as large).
private func u8PointwiseGEMMPairs(input: UnsafePointer<UInt8>, inputStride: Int, rows: Range<Int>,
                                  weights w: PackedInt8PointwiseWeights, epilogue: Int8Epilogue) {
    guard !rows.isEmpty else { return }
    let k = w.inputChannels, n = w.outputChannels, groups = w.kGroups
    let panels = UnsafeRawPointer(w.panels.base), bias = UnsafeRawPointer(w.bias.base)
    let tileBytes = groups * tileGroupBytes
    let blockTiles = min((rows.count + tileRows - 1) / tileRows, max(1, broadcastBytes / tileBytes))
    let (codes, table, output) = epilogue.deferringTable
    let bytes = blockTiles * tileBytes + groups * panelGroupBytes + tileRows * 64
    withUnsafeTemporaryAllocation(byteCount: bytes, alignment: 64) { scratch in
        let a = scratch.baseAddress!, scratchPairs = a + blockTiles * tileBytes, sums = scratchPairs + groups * panelGroupBytes
        let sum = sums.assumingMemoryBound(to: Int32.self)
        var start = rows.lowerBound
        while start < rows.upperBound {
            let count = min(blockTiles * tileRows, rows.upperBound - start)
            let tiles = (count + tileRows - 1) / tileRows
            for r in 0..<(tiles * tileRows) {
                let x: UnsafePointer<UInt8>? = r < count ? input + (start + r) * inputStride : nil
                broadcastRow(x, k: k, groups: groups, row: r % tileRows, into: a + (r / tileRows) * tileBytes)
            }
            for panel in 0..<w.panelCount {
                let wq: UnsafeRawPointer
                if let pairs = w.int16Pairs {
                    wq = UnsafeRawPointer(pairs.base) + panel * groups * panelGroupBytes
                } else {
                    widenPanelPairs(panels + panel * groups * 64, groups: groups, into: scratchPairs)
                    wq = UnsafeRawPointer(scratchPairs)
                }
                let lanes = min(16, n - panel * 16)
                for t in 0..<tiles {
                    tileSums4(a + t * tileBytes, wq, groups: groups, bias: bias + panel * 64, into: sums)
                    for r in 0..<min(tileRows, count - tileRows * t) {
                        int8Epilogue(sum + 16 * r, row: start + tileRows * t + r, column: panel * 16, lanes: lanes, n: n, codes)
                    }
                }
            }
            if let table, let output { lookUp(table, output + start * n, count: count * n) }
            start += count
        }
    }
}

extension Int8Epilogue {
    /// This epilogue without its table, the table, and the codes' output: a kernel that looks the
    /// codes up in a separate pass over each finished block (``lookUp(_:_:count:)``). Looking up
    /// right after the 16-byte store of the codes stalls every byte load on store forwarding (2 ms
    /// slower on int8 Atto); looking up in registers costs a lane extract, shifts and an insert per
    /// byte; the separate pass, 8 codes per word, is about 0.45 ms faster (Zen 5).
    var deferringTable: (epilogue: Int8Epilogue, table: UnsafePointer<UInt8>?, output: UnsafeMutablePointer<UInt8>?) {
        if case let .codes(scale, zeroPoint, table?, output) = self {
            return (.codes(scale: scale, zeroPoint: zeroPoint, table: nil, output: output), table, output)
        }
        return (self, nil, nil)
    }
}

/// `x[i] = table[x[i]]` for `i < count`: 8 codes read as one word, looked up byte by byte and
/// written back as one word (0.13 ms faster on int8 Atto than a byte load and store per code).
@inline(never)
private func lookUp(_ table: UnsafePointer<UInt8>, _ x: UnsafeMutablePointer<UInt8>, count: Int) {
    var i = 0
    while i &+ 8 <= count {
        let raw = UnsafeMutableRawPointer(x + i)
        let u = raw.loadUnaligned(as: UInt64.self)
        var v: UInt64 = 0
        for j in 0..<8 { v |= UInt64(table[Int(truncatingIfNeeded: (u &>> (8 &* UInt64(j))) & 0xFF)]) &<< (8 &* UInt64(j)) }
        raw.storeBytes(of: v, as: UInt64.self)
        i &+= 8
    }
    while i < count { x[i] = table[Int(x[i])]; i &+= 1 }
}

/// Eight int32 lanes, each in -2²²...2²², as floats, exactly: the integer plus 1.5·2²³ is a
/// float's bit pattern. (A SIMD `Float(SIMD8<Int32>)` compiles to an out-of-line call.)
@inline(__always)
private func smallFloats(_ v: SIMD8<Int32>) -> SIMD8<Float> {
    unsafeBitCast(v &+ SIMD8<Int32>(repeating: 0x4B40_0000), to: SIMD8<Float>.self) - SIMD8<Float>(repeating: 12_582_912)
}

/// The inverse of ``smallFloats(_:)`` for floats holding integers in -2²²...2²².
@inline(__always)
private func smallIntegers(_ v: SIMD8<Float>) -> SIMD8<Int32> {
    unsafeBitCast(v + SIMD8<Float>(repeating: 12_582_912), to: SIMD8<Int32>.self) &- SIMD8<Int32>(repeating: 0x4B40_0000)
}

/// Channels per float block: every partial sum of at most 128 products `code · weight`
/// (|·| ≤ 255 · 128) stays an integer below 2²², held exactly by a float.
private let exactChannels = 128

/// Σ_k x[r][k]·w[k][n] for six rows of float codes `x` (`[6][stride]`, 0 past K) and the 16
/// outputs of one panel of float weights `w` (`[stride][16]`), added to the int32 sums `out`
/// (`[6][16]`). Products are summed in float blocks of ``exactChannels``: every step is exact
/// (integers below 2²⁴), so the sums equal the integer ones.
@inline(never)
private func panelSums6(_ x: UnsafePointer<Float>, stride: Int, _ w: UnsafePointer<Float>, into out: UnsafeMutablePointer<Int32>) {
    let x0 = x, x1 = x + stride, x2 = x1 + stride, x3 = x2 + stride, x4 = x3 + stride, x5 = x4 + stride
    var k = 0
    while k < stride {
        let end = min(stride, k &+ exactChannels)
        var r00 = SIMD8<Float>(), r01 = SIMD8<Float>(), r10 = SIMD8<Float>(), r11 = SIMD8<Float>()
        var r20 = SIMD8<Float>(), r21 = SIMD8<Float>(), r30 = SIMD8<Float>(), r31 = SIMD8<Float>()
        var r40 = SIMD8<Float>(), r41 = SIMD8<Float>(), r50 = SIMD8<Float>(), r51 = SIMD8<Float>()
        while k < end {
            let w0 = load8(w + k &* 16), w1 = load8(w + (k &* 16 &+ 8))
            var a = splat(x0[k])
            r00 = multiplyAdd(r00, a, w0); r01 = multiplyAdd(r01, a, w1)
            a = splat(x1[k])
            r10 = multiplyAdd(r10, a, w0); r11 = multiplyAdd(r11, a, w1)
            a = splat(x2[k])
            r20 = multiplyAdd(r20, a, w0); r21 = multiplyAdd(r21, a, w1)
            a = splat(x3[k])
            r30 = multiplyAdd(r30, a, w0); r31 = multiplyAdd(r31, a, w1)
            a = splat(x4[k])
            r40 = multiplyAdd(r40, a, w0); r41 = multiplyAdd(r41, a, w1)
            a = splat(x5[k])
            r50 = multiplyAdd(r50, a, w0); r51 = multiplyAdd(r51, a, w1)
            k &+= 1
        }
        @inline(__always) func add(_ v: SIMD8<Float>, _ offset: Int) {
            let o = UnsafeMutableRawPointer(out + offset)
            o.storeBytes(of: o.loadUnaligned(as: SIMD8<Int32>.self) &+ smallIntegers(v), as: SIMD8<Int32>.self)
        }
        add(r00, 0); add(r01, 8); add(r10, 16); add(r11, 24); add(r20, 32); add(r21, 40)
        add(r30, 48); add(r31, 56); add(r40, 64); add(r41, 72); add(r50, 80); add(r51, 88)
    }
}

/// One packed panel (`[groups][16][4]` int8) as floats `[groups·4][16]`: shifts and the float
/// trick of ``smallFloats(_:)``.
@inline(never)
private func widenPanelFloats(_ wp: UnsafeRawPointer, groups: Int, into w: UnsafeMutablePointer<Float>) {
    let down = SIMD8<Int32>(repeating: 24)
    for g in 0..<groups {
        let p = wp + g &* 64, o = w + g &* 64
        let v0 = p.loadUnaligned(as: SIMD8<Int32>.self), v1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Int32>.self)
        for j in 0..<4 {
            let up = SIMD8<Int32>(repeating: Int32(24 - 8 * j))
            store8(smallFloats((v0 &<< up) &>> down), o + j &* 16)
            store8(smallFloats((v1 &<< up) &>> down), o + (j &* 16 &+ 8))
        }
    }
}

/// ``Int8GEMMKernel/exactFloat``: ``u8PointwiseGEMM(input:inputStride:rows:weights:epilogue:)`` as
/// a float GEMM on exact integers. A block of rows is widened to float once, each panel's weights
/// once per block, and tiles of 6 rows x 16 outputs sum in float blocks of ``exactChannels``.
/// Never allocates (its scratch, at most about 100 KB plus 64 bytes per input channel, is on the
/// stack).
private func u8PointwiseGEMMFloat(input: UnsafePointer<UInt8>, inputStride: Int, rows: Range<Int>,
                                  weights w: PackedInt8PointwiseWeights, epilogue: Int8Epilogue) {
    guard !rows.isEmpty else { return }
    let k = w.inputChannels, n = w.outputChannels, groups = w.kGroups, stride = groups * 4
    let panels = UnsafeRawPointer(w.panels.base), bias = UnsafeRawPointer(w.bias.base).assumingMemoryBound(to: Int32.self)
    // Rows per block: their floats within 96 KB, a whole number of 6-row tiles (each panel's
    // weights are widened once per block, so larger blocks widen less often).
    let blockRows = min((rows.count + 5) / 6 * 6, max(6, 24576 / stride / 6 * 6))
    let (codes, table, output) = epilogue.deferringTable
    withUnsafeTemporaryAllocation(of: Float.self, capacity: (blockRows + 16) * stride + 96) { scratch in
        let x = scratch.baseAddress!, wf = x + blockRows * stride
        let sums = UnsafeMutableRawPointer(wf + 16 * stride).assumingMemoryBound(to: Int32.self)
        var start = rows.lowerBound
        while start < rows.upperBound {
            let count = min(blockRows, rows.upperBound - start), tiles = (count + 5) / 6
            // Past the last row, the tile's rows repeat it.
            for r in 0..<(tiles * 6) {
                let a = input + (start + min(r, count - 1)) * inputStride, row = x + r * stride
                for j in 0..<k { row[j] = Float(a[j]) }
                for j in k..<stride { row[j] = 0 }
            }
            for panel in 0..<w.panelCount {
                widenPanelFloats(panels + panel * groups * 64, groups: groups, into: wf)
                let b = UnsafeRawPointer(bias + panel * 16).loadUnaligned(as: SIMD16<Int32>.self)
                let lanes = min(16, n - panel * 16)
                for t in 0..<tiles {
                    for r in 0..<6 { UnsafeMutableRawPointer(sums + 16 * r).storeBytes(of: b, as: SIMD16<Int32>.self) }
                    panelSums6(x + 6 * t * stride, stride: stride, wf, into: sums)
                    for r in 0..<min(6, count - 6 * t) {
                        int8Epilogue(sums + 16 * r, row: start + 6 * t + r, column: panel * 16, lanes: lanes, n: n, codes)
                    }
                }
            }
            if let table, let output { lookUp(table, output + start * n, count: count * n) }
            start += count
        }
    }
}

/// Applies `epilogue` to the int32 sums `acc[0..<lanes]` of row `m`, columns `c...`.
@inline(__always)
private func int8Epilogue(_ acc: UnsafePointer<Int32>, row m: Int, column c: Int,
                          lanes: Int, n: Int, _ epilogue: Int8Epilogue) {
    // Multipliers are padded to whole panels of 16 (``Int8Math/multipliers``). Scalar loops the
    // compiler vectorizes (a SIMD `Float(SIMD16<Int32>)` is an out-of-line call).
    switch epilogue {
    case let .float(scale, output):
        let s = scale + c, o = output + m * n + c
        if lanes == 16 {
            storeVector(exactFloats(acc) * loadVector(s), o)
        } else {
            for j in 0..<lanes { o[j] = Float(acc[j]) * s[j] }
        }
    case let .floatResidual(scale, output):
        let s = scale + c, o = output + m * n + c
        if lanes == 16 {
            storeVector(loadVector(o) + exactFloats(acc) * loadVector(s), o)
        } else {
            for j in 0..<lanes { o[j] = o[j] + Float(acc[j]) * s[j] }
        }
    case let .codes(scale, zeroPoint, table, output):
        // Tables are looked up per finished block (``Int8Epilogue/deferringTable``).
        assert(table == nil, "int8Epilogue: a table reached the per-tile epilogue")
        let s = scale + c, zp = Float(zeroPoint), o = output + m * n + c
        if lanes == 16 {
            UnsafeMutableRawPointer(o).storeBytes(of: codes16(exactFloats(acc) * loadVector(s), zeroPoint: zp), as: SIMD16<UInt8>.self)
        } else {
            for j in 0..<lanes { o[j] = code(Float(acc[j]) * s[j], zeroPoint: zp) }
        }
    }
}

/// `Float(acc[j])` for 16 int32 lanes, rounded to nearest even like a hardware conversion, in
/// vector code (a scalar loop here compiles to one `cvtsi2ss` per lane, and `SIMD16<Float>(_:)` of
/// int32 lanes to an out-of-line call). `acc = hi · 2¹⁶ + lo` with `hi = acc >> 16` and
/// `lo = acc & 0xFFFF`: both halves are exact floats (``smallFloats(_:)``), `hi · 2¹⁶` is exact,
/// so their sum is the one rounding of `acc`.
@inline(__always)
private func exactFloats(_ acc: UnsafePointer<Int32>) -> SIMD16<Float> {
    let v = UnsafeRawPointer(acc).loadUnaligned(as: SIMD16<Int32>.self)
    let magicBits = SIMD16<Int32>(repeating: 0x4B40_0000), magic = SIMD16<Float>(repeating: 12_582_912)
    @inline(__always) func small(_ x: SIMD16<Int32>) -> SIMD16<Float> { unsafeBitCast(x &+ magicBits, to: SIMD16<Float>.self) - magic }
    return small(v &>> 16) * SIMD16<Float>(repeating: 65536) + small(v & 0xFFFF)
}

/// ``code(_:zeroPoint:)`` on 16 lanes, in five vector operations: clamp to `[−zp, 255 − zp]` (the
/// same codes: rounding is monotonic and the bounds are integers), then add 1.5·2²³, which rounds to
/// the nearest integer (ties to even) into the low mantissa bits, and the zero point, exactly;
/// the code is the low byte of the sum's bits.
@inline(__always)
private func codes16(_ v: SIMD16<Float>, zeroPoint zp: Float) -> SIMD16<UInt8> {
    let lo = SIMD16<Float>(repeating: -zp), hi = SIMD16<Float>(repeating: 255 - zp)
    var c = v.replacing(with: lo, where: v .< lo)
    c = c.replacing(with: hi, where: c .> hi)
    let bits = unsafeBitCast((c + SIMD16<Float>(repeating: 12_582_912)) + SIMD16<Float>(repeating: zp), to: SIMD16<UInt32>.self)
    var out = SIMD16<UInt8>()
    for j in 0..<16 { out[j] = UInt8(truncatingIfNeeded: bits[j]) }
    return out
}

/// `f32-quantize-u8__swift`: `out[i] = clamp(round(x[i] · inverseScale) + zeroPoint, 0, 255)`,
/// ties to even, for `i` in `range`. Never allocates.
public func f32QuantizeU8(_ x: UnsafePointer<Float>, range: Range<Int>, inverseScale: Float, zeroPoint: Int32,
                          output: UnsafeMutablePointer<UInt8>) {
    let zp = Float(zeroPoint)
    for i in range { output[i] = code(x[i] * inverseScale, zeroPoint: zp) }
}

/// `u8-sumsq__swift`: `sums[c] += Σ_rows (x[r][c] − zeroPoint)²`, exact. Never allocates.
public func u8ChannelSumOfSquares(_ x: UnsafePointer<UInt8>, rows: Range<Int>, channels: Int, zeroPoint: Int32,
                                  sums: UnsafeMutablePointer<Int64>) {
    // int32 partial sums over at most 32768 rows stay below 255² · 32768 < 2³¹.
    var start = rows.lowerBound
    while start < rows.upperBound {
        let end = min(rows.upperBound, start + 32768)
        var c = 0
        while c + 8 <= channels {
            var acc = SIMD8<Int32>()
            for r in start..<end {
                let d = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(x + r * channels + c).loadUnaligned(as: SIMD8<UInt8>.self))
                    &- SIMD8<Int32>(repeating: zeroPoint)
                acc &+= d &* d
            }
            for j in 0..<8 { sums[c + j] += Int64(acc[j]) }
            c += 8
        }
        while c < channels {
            var acc: Int64 = 0
            for r in start..<end {
                let d = Int64(Int32(x[r * channels + c]) - zeroPoint)
                acc += d * d
            }
            sums[c] += acc
            c += 1
        }
        start = end
    }
}

/// `u8-channel-affine__swift`: requantizes uint8 codes channel by channel,
/// `out[r][c] = clamp(round(Float(x[r][c] − zeroPoint) · multiplier[c] + offset[c]), 0, 255)`
/// (a rounded multiply, then a rounded add, ties to even): GRN on int8 data, with the output's
/// zero point in `offset`. May run in place. Never allocates.
public func u8ChannelAffine(_ x: UnsafePointer<UInt8>, rows: Range<Int>, channels: Int, zeroPoint: Int32,
                            multiplier: UnsafePointer<Float>, offset: UnsafePointer<Float>, output: UnsafeMutablePointer<UInt8>) {
    // Each row is first copied aside (on the stack): in place, input and output overlap exactly,
    // and the compiler's overlap check would then take its scalar loop.
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: channels) { copy in
        let row = copy.baseAddress!
        for r in rows {
            row.update(from: x + r * channels, count: channels)
            let out = output + r * channels
            for c in 0..<channels {
                out[c] = code(Float(Int32(row[c]) &- zeroPoint) * multiplier[c] + offset[c], zeroPoint: 0)
            }
        }
    }
}
