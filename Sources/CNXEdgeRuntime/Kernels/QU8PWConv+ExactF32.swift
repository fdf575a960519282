/// Eight int32 lanes, each in -2²²...2²², as floats, exactly: the integer plus 1.5·2²³ is a
/// float's bit pattern. (A SIMD `Float(SIMD8<Int32>)` compiles to an out-of-line call.)
@inline(__always)
func smallFloats(_ v: SIMD8<Int32>) -> SIMD8<Float> {
    unsafeBitCast(v &+ SIMD8<Int32>(repeating: 0x4B40_0000), to: SIMD8<Float>.self) - SIMD8<Float>(repeating: 12_582_912)
}

/// The inverse of ``smallFloats(_:)`` for floats holding integers in -2²²...2²².
@inline(__always)
func smallIntegers(_ v: SIMD8<Float>) -> SIMD8<Int32> {
    unsafeBitCast(v + SIMD8<Float>(repeating: 12_582_912), to: SIMD8<Int32>.self) &- SIMD8<Int32>(repeating: 0x4B40_0000)
}

/// Channels per float block: every partial sum of at most 128 products `code · weight`
/// (|·| ≤ 255 · 128) stays an integer below 2²², held exactly by a float.
let exactChannels = 128

/// Σ_k x[r][k]·w[k][n] for six rows of float codes `x` (`[6][stride]`, 0 past K) and the 16
/// outputs of one panel of float weights `w` (`[stride][16]`), added to the int32 sums `out`
/// (`[6][16]`). Products are summed in float blocks of ``exactChannels``: every step is exact
/// (integers below 2²⁴), so the sums equal the integer ones.
@inline(never)
func panelSums6(_ x: UnsafePointer<Float>, stride: Int, _ w: UnsafePointer<Float>, into out: UnsafeMutablePointer<Int32>) {
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
func widenPanelFloats(_ wp: UnsafeRawPointer, groups: Int, into w: UnsafeMutablePointer<Float>) {
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

/// ``QU8PWConvVariant/exactFloat``: ``qu8PWConv(input:inputStride:rows:weights:epilogue:)`` as
/// a float GEMM on exact integers. A block of rows is widened to float once, each panel's weights
/// once per block, and tiles of 6 rows x 16 outputs sum in float blocks of ``exactChannels``.
/// Never allocates (its scratch, at most about 100 KB plus 64 bytes per input channel, is on the
/// stack).
func qu8PWConvExactF32(input: UnsafePointer<UInt8>, inputStride: Int, rows: Range<Int>,
                                  weights w: PackedInt8PointwiseWeights, epilogue: QU8PWConvEpilogue) {
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
                        qu8PWConvEpilogue(sums + 16 * r, row: start + 6 * t + r, column: panel * 16, lanes: lanes, n: n, codes)
                    }
                }
            }
            if let table, let output { lookUp(table, output + start * n, count: count * n) }
            start += count
        }
    }
}
