// The register-blocked tile behind ``f32PWConv(input:rows:weights:epilogue:residual:output:)``:
// `f32-pwconv-{none,gelu,residual}-{2,6,7,14}x16__swift`.
//
// One call computes up to `pointwiseRowTile` rows × one 16-column panel over the whole reduction,
// with the accumulators (2 `SIMD8<Float>` per row) in registers, then applies the epilogue and stores.
// Each element is `bias[n]`, then `+ a[r, k] · W[n, k]` for `k = 0, 1, …` in order (one
// `multiplyAdd` each), then the epilogue — the same operations
// whatever the tile's position, its number of valid rows or columns, or the caller's row range.
// Rows past the valid ones repeat the last valid row's input and are never stored.

/// Rows per tile: 14 on `CNX_AVX512` builds (``wideTile(tileRows:a:k:rows:panel:bias:epilogue:residual:output:stride:columns:)``),
/// 6 where the multiply-add is fused (12 accumulators + 2 weight vectors + 1
/// broadcast fill the 16 AVX2 registers; arm64 has 32), else 2. Without fusion the target may be
/// baseline SSE2, where each `SIMD8` takes two of the 16 registers: 2x16 is the largest tile that
/// does not spill there. Measured on Zen 5 (GFLOP/s, one core, 784x320x80): SSE2 2x16 49,
/// 4x16 25; AVX2 unfused 2x16 103, 4x16 115; AVX2 + FMA 6x16 132.
#if CNX_AVX512
let pointwiseRowTile = 14
#elseif arch(arm64) || CNX_FMA
let pointwiseRowTile = 6
#else
let pointwiseRowTile = 2
#endif

/// `f32-pwconv-2x16__swift`.
@inline(never)
func f32PWConvTile2x16(
    a: UnsafePointer<Float>, k: Int, rows: Int, panel: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    epilogue: PointwiseEpilogue, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    stride: Int, columns: Int
) {
    pointwiseTile(tileRows: 2, a: a, k: k, rows: rows, panel: panel, bias: bias, epilogue: epilogue,
                  residual: residual, output: output, stride: stride, columns: columns)
}

/// `f32-pwconv-6x16__swift`.
@inline(never)
func f32PWConvTile6x16(
    a: UnsafePointer<Float>, k: Int, rows: Int, panel: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    epilogue: PointwiseEpilogue, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    stride: Int, columns: Int
) {
    pointwiseTile(tileRows: 6, a: a, k: k, rows: rows, panel: panel, bias: bias, epilogue: epilogue,
                  residual: residual, output: output, stride: stride, columns: columns)
}

/// `f32-pwconv-14x16__swift`: ``wideTile(tileRows:a:k:rows:panel:bias:epilogue:residual:output:stride:columns:)``
/// for 14 rows.
@inline(never)
func f32PWConvTile14x16(
    a: UnsafePointer<Float>, k: Int, rows: Int, panel: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    epilogue: PointwiseEpilogue, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    stride: Int, columns: Int
) {
    wideTile(tileRows: 14, a: a, k: k, rows: rows, panel: panel, bias: bias, epilogue: epilogue,
             residual: residual, output: output, stride: stride, columns: columns)
}

/// `f32-pwconv-7x16__swift`: ``wideTile(tileRows:a:k:rows:panel:bias:epilogue:residual:output:stride:columns:)``
/// for 7 rows (remainders of 3 to 7 rows).
@inline(never)
func f32PWConvTile7x16(
    a: UnsafePointer<Float>, k: Int, rows: Int, panel: UnsafePointer<Float>, bias: UnsafePointer<Float>,
    epilogue: PointwiseEpilogue, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    stride: Int, columns: Int
) {
    wideTile(tileRows: 7, a: a, k: k, rows: rows, panel: panel, bias: bias, epilogue: epilogue,
             residual: residual, output: output, stride: stride, columns: columns)
}

/// ``pointwiseTile(tileRows:a:k:rows:panel:bias:epilogue:residual:output:stride:columns:)`` on
/// 512-bit vectors for `CNX_AVX512` builds: one `SIMD16<Float>` accumulator per row, `tileRows` 7
/// or 14 (a literal; 14 accumulators and the weight vector fill 15 of the 32 registers, the
/// broadcasts are memory operands). ConvNeXt's row counts at 224x224 (56², 28², 14², 7²) are all
/// multiples of 7, so the tiles leave no 1- or 2-row remainder: Atto's 49-row stage 3 is three
/// 14-row tiles and one 7-row tile. Each element gets the same operations in the same order as in
/// the other tiles.
@inline(__always)
private func wideTile(
    tileRows: Int, a: UnsafePointer<Float>, k: Int, rows m: Int, panel: UnsafePointer<Float>,
    bias: UnsafePointer<Float>, epilogue: PointwiseEpilogue, residual: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, stride: Int, columns: Int
) {
    // Rows past the valid ones repeat the last valid row.
    @inline(__always) func row(_ i: Int) -> UnsafePointer<Float> { a + min(i, m - 1) &* k }
    let a0 = row(0), a1 = row(1), a2 = row(2), a3 = row(3), a4 = row(4), a5 = row(5), a6 = row(6)
    let a7 = row(7), a8 = row(8), a9 = row(9), a10 = row(10), a11 = row(11), a12 = row(12), a13 = row(13)
    let b: SIMD16<Float> = loadVector(bias)
    var c0 = b, c1 = b, c2 = b, c3 = b, c4 = b, c5 = b, c6 = b
    var c7 = b, c8 = b, c9 = b, c10 = b, c11 = b, c12 = b, c13 = b
    var kk = 0
    while kk < k {
        let w: SIMD16<Float> = loadVector(panel + kk &* 16)
        c0 = vectorMultiplyAdd(c0, SIMD16(repeating: a0[kk]), w); c1 = vectorMultiplyAdd(c1, SIMD16(repeating: a1[kk]), w)
        c2 = vectorMultiplyAdd(c2, SIMD16(repeating: a2[kk]), w); c3 = vectorMultiplyAdd(c3, SIMD16(repeating: a3[kk]), w)
        c4 = vectorMultiplyAdd(c4, SIMD16(repeating: a4[kk]), w); c5 = vectorMultiplyAdd(c5, SIMD16(repeating: a5[kk]), w)
        c6 = vectorMultiplyAdd(c6, SIMD16(repeating: a6[kk]), w)
        if tileRows > 7 {
            c7 = vectorMultiplyAdd(c7, SIMD16(repeating: a7[kk]), w); c8 = vectorMultiplyAdd(c8, SIMD16(repeating: a8[kk]), w)
            c9 = vectorMultiplyAdd(c9, SIMD16(repeating: a9[kk]), w); c10 = vectorMultiplyAdd(c10, SIMD16(repeating: a10[kk]), w)
            c11 = vectorMultiplyAdd(c11, SIMD16(repeating: a11[kk]), w); c12 = vectorMultiplyAdd(c12, SIMD16(repeating: a12[kk]), w)
            c13 = vectorMultiplyAdd(c13, SIMD16(repeating: a13[kk]), w)
        }
        kk &+= 1
    }
    @inline(__always) func finish(_ i: Int, _ c: SIMD16<Float>) {
        if i < m { finishRow(c.lowHalf, c.highHalf, epilogue, residual.map { $0 + i &* stride }, output + i &* stride, columns) }
    }
    finish(0, c0); finish(1, c1); finish(2, c2); finish(3, c3); finish(4, c4); finish(5, c5); finish(6, c6)
    if tileRows > 7 {
        finish(7, c7); finish(8, c8); finish(9, c9); finish(10, c10); finish(11, c11); finish(12, c12); finish(13, c13)
    }
}

/// One tile. `a`: the tile's first input row (row `i` at `a + i·k`); `rows`: valid rows,
/// 1...`tileRows`; `panel`: `[k][16]` packed weights; `bias`: 16 floats; `output`/`residual`: the tile's
/// first element, rows `stride` apart; `columns`: valid columns, 1...16.
/// `tileRows` (2 or 6) must be a literal so the unused rows fold away.
@inline(__always)
private func pointwiseTile(
    tileRows: Int, a: UnsafePointer<Float>, k: Int, rows m: Int, panel: UnsafePointer<Float>,
    bias: UnsafePointer<Float>, epilogue: PointwiseEpilogue, residual: UnsafePointer<Float>?,
    output: UnsafeMutablePointer<Float>, stride: Int, columns: Int
) {
    let a0 = a
    let a1 = m > 1 ? a0 + k : a0
    let a2 = m > 2 ? a1 + k : a1
    let a3 = m > 3 ? a2 + k : a2
    let a4 = m > 4 ? a3 + k : a3
    let a5 = m > 5 ? a4 + k : a4
    let bias0 = load8(bias), bias1 = load8(bias + 8)
    var c00 = bias0, c01 = bias1, c10 = bias0, c11 = bias1
    var c20 = bias0, c21 = bias1, c30 = bias0, c31 = bias1
    var c40 = bias0, c41 = bias1, c50 = bias0, c51 = bias1
    var kk = 0
    while kk < k {
        let w = panel + kk &* 16
        let w0 = load8(w), w1 = load8(w + 8)
        var x = splat(a0[kk])
        c00 = multiplyAdd(c00, x, w0); c01 = multiplyAdd(c01, x, w1)
        x = splat(a1[kk])
        c10 = multiplyAdd(c10, x, w0); c11 = multiplyAdd(c11, x, w1)
        if tileRows > 2 {  // 2 or 6 rows: rows 2...5 come as a block
            x = splat(a2[kk])
            c20 = multiplyAdd(c20, x, w0); c21 = multiplyAdd(c21, x, w1)
            x = splat(a3[kk])
            c30 = multiplyAdd(c30, x, w0); c31 = multiplyAdd(c31, x, w1)
            x = splat(a4[kk])
            c40 = multiplyAdd(c40, x, w0); c41 = multiplyAdd(c41, x, w1)
            x = splat(a5[kk])
            c50 = multiplyAdd(c50, x, w0); c51 = multiplyAdd(c51, x, w1)
        }
        kk &+= 1
    }
    let res = residual
    finishRow(c00, c01, epilogue, res, output, columns)
    if m > 1 { finishRow(c10, c11, epilogue, res.map { $0 + stride }, output + stride, columns) }
    if tileRows > 2 {
        if m > 2 { finishRow(c20, c21, epilogue, res.map { $0 + 2 &* stride }, output + 2 &* stride, columns) }
        if m > 3 { finishRow(c30, c31, epilogue, res.map { $0 + 3 &* stride }, output + 3 &* stride, columns) }
        if m > 4 { finishRow(c40, c41, epilogue, res.map { $0 + 4 &* stride }, output + 4 &* stride, columns) }
        if m > 5 { finishRow(c50, c51, epilogue, res.map { $0 + 5 &* stride }, output + 5 &* stride, columns) }
    }
}

/// Epilogue and store of one tile row (16 columns, `columns` of them valid). The residual is read
/// before the output is written, so the two may be the same memory.
@inline(__always)
private func finishRow(
    _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ epilogue: PointwiseEpilogue, _ residual: UnsafePointer<Float>?,
    _ output: UnsafeMutablePointer<Float>, _ columns: Int
) {
    var lo = lo, hi = hi
    switch epilogue {
    case .none:
        break
    case .gelu:
        break  // applied after the store, see below
    case .residual:
        let r = residual.unsafelyUnwrapped
        if columns == 16 {
            lo += load8(r)
            hi += load8(r + 8)
        } else {
            lo += loadPartial8(r, count: columns)
            hi += loadPartial8(r + 8, count: columns - 8)
        }
    }
    if columns == 16 {
        store8(lo, output)
        store8(hi, output + 8)
    } else {
        storePartial8(lo, output, count: columns)
        storePartial8(hi, output + 8, count: columns - 8)
    }
    if case .gelu = epilogue { f32GELU(output, count: columns) }
}
