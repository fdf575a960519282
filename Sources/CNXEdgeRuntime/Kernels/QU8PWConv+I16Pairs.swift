/// `Σ_{i<2} Int32(a[2j+i]) · Int32(b[2j+i])` for each of the 8 int32 lanes `j`: exact (no
/// saturation: the int16 operands here are codes 0...255 and weights -128...127), one AVX2
/// `pmaddwd`.
///
/// Written as a scalar loop over lanes on purpose: `SIMD8<Int32>(truncatingIfNeeded:)` of int16
/// lanes compiles to an out-of-line call, while this loop becomes LLVM's even/odd
/// sign-extend-multiply-add pattern, which the x86 backend turns into `pmaddwd`. The pattern only
/// survives when both operands are plain vector loads: a splat or shifted operand is folded into
/// scalar extracts first (and then costs `pmulld`s), which is why
/// ``qu8PWConvI16Pairs(input:inputStride:rows:weights:epilogue:)`` stores broadcast activations
/// and widened weights in scratch and the micro-kernel only loads them. (On the SSE2 baseline the
/// tile kernel is scalarized anyway: see ``QU8PWConvVariant/preferred``.)
@inline(__always)
func multiplyAddPairs(_ a: SIMD16<Int16>, _ b: SIMD16<Int16>) -> SIMD8<Int32> {
    var r = SIMD8<Int32>()
    for j in 0..<8 {
        r[j] = Int32(a[2 &* j]) &* Int32(b[2 &* j]) &+ Int32(a[2 &* j &+ 1]) &* Int32(b[2 &* j &+ 1])
    }
    return r
}

/// Rows of a micro-tile of ``tileSums4(_:_:groups:bias:into:)``.
let tileRows = 4

/// Bytes of one group of 4 input channels of a tile's broadcast activations (`[4 rows][2 pairs][8]`
/// int32 pairs) and of a widened panel (`[2 pairs][16 lanes]` int32 pairs).
let tileGroupBytes = tileRows * 64, panelGroupBytes = 128

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
func tileSums4(_ a: UnsafeRawPointer, _ w: UnsafeRawPointer, groups: Int, bias: UnsafeRawPointer,
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
func widenPanelPairs(_ wp: UnsafeRawPointer, groups: Int, into w: UnsafeMutableRawPointer) {
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
func broadcastRow(_ x: UnsafePointer<UInt8>?, k: Int, groups: Int, row r: Int, into a: UnsafeMutableRawPointer) {
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
let broadcastBytes = 160 * 1024

/// ``QU8PWConvVariant/int16Pairs``: ``qu8PWConv(input:inputStride:rows:weights:epilogue:)`` as
/// an int16 GEMM with int32 accumulators on `pmaddwd` (16 exact multiply-adds per AVX2
/// instruction, twice a float FMA's 8; uint8 · int8 `pmaddubsw` would saturate): a block of rows
/// is written once as broadcast int16 activation pairs, each panel's weights are read as int16
/// pairs (``PackedInt8PointwiseWeights/int16Pairs``, or widened once per block when the weights
/// have none), and tiles of 4 rows x 16 outputs summed by ``tileSums4(_:_:groups:bias:into:)``.
/// Blocks hold as many 4-row tiles as fit ``broadcastBytes`` (at least one), so large K re-widens
/// weights without pairs more often; tables are looked up per block (``QU8PWConvEpilogue/deferringTable``). Codes are read as little-endian words (x86-64 and ARM64 both are).
/// Never allocates (its scratch, at most about max(160 KB, 64 bytes per input channel) plus 32
/// bytes per input channel, is on the stack; the float kernel's is about as large).
func qu8PWConvI16Pairs(input: UnsafePointer<UInt8>, inputStride: Int, rows: Range<Int>,
                                  weights w: PackedInt8PointwiseWeights, epilogue: QU8PWConvEpilogue) {
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
                        qu8PWConvEpilogue(sum + 16 * r, row: start + tileRows * t + r, column: panel * 16, lanes: lanes, n: n, codes)
                    }
                }
            }
            if let table, let output { lookUp(table, output + start * n, count: count * n) }
            start += count
        }
    }
}
