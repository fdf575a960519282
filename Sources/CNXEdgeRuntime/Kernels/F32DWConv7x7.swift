/// `f32-dwconv7x7__swift`: depthwise 7x7 convolution, stride 1, zero padding 3, NHWC, for the output
/// rows `outputRows`. `input` and `output` are `[height, width, channels]` and must not overlap.
///
/// Numerics: each output element is its bias, then `+ input · weight` for the taps that fall
/// inside the image in increasing `(ky, kx)` order (taps over the zero padding are skipped), one
/// rounding per multiply and add (one per fused multiply-add on arm64 or `CNX_FMA` builds). The
/// order does not depend on `outputRows` or on which code path covers the pixel, so splitting rows
/// across threads gives identical results. Never allocates.
///
/// Vectorised over channels, 16 at a time on `CNX_AVX512` builds, then eight at a time (a scalar
/// loop takes the `channels % 8` rest).
/// Interior pixels, whose 7 columns of taps are all inside the image, go 8 (fused builds) or 4 at a
/// time through a branch-free strip (`f32-dwconv7x7-{8,4}px__swift`); border pixels use per-pixel
/// tap bounds.
public func f32DWConv7x7(
    input: UnsafePointer<Float>, height: Int, width: Int, weights: PackedDepthwiseWeights,
    outputRows: Range<Int>, output: UnsafeMutablePointer<Float>
) {
    precondition(outputRows.lowerBound >= 0 && outputRows.upperBound <= height, "f32DWConv7x7: rows out of range")
    let geometry = DepthwiseGeometry(
        input: input, output: output, height: height, width: width, channels: weights.channels,
        paddedChannels: weights.paddedChannels, taps: UnsafePointer(weights.taps.base),
        bias: UnsafePointer(weights.bias.base))
    for y in outputRows {
        let ky0 = max(0, 3 - y), ky1 = min(7, height + 3 - y)
        var x = 0
        while x < width {
            if depthwiseStripPixels == 8 && x >= 3 && x + 11 <= width {
                depthwiseStrip8(geometry, y: y, x: x, ky0: ky0, ky1: ky1)
                x += 8
            } else if x >= 3 && x + 7 <= width {
                depthwiseStrip4(geometry, y: y, x: x, ky0: ky0, ky1: ky1)
                x += 4
            } else {
                depthwisePixel(geometry, y: y, x: x, ky0: ky0, ky1: ky1)
                x += 1
            }
        }
    }
}

/// Everything the per-pixel routines need, gathered once per call.
struct DepthwiseGeometry {
    let input: UnsafePointer<Float>
    let output: UnsafeMutablePointer<Float>
    let height: Int, width: Int, channels: Int, paddedChannels: Int
    let taps: UnsafePointer<Float>
    let bias: UnsafePointer<Float>
}

/// Output pixels `(y, x ..< x + pixels)` (`pixels` 4 or 8, a literal so the unused half folds
/// away), all of whose tap columns are inside the image: no bounds inside the tap loop, one weight
/// load per tap shared by the strip's pixels. Channels go 16 at a time on `CNX_AVX512` builds
/// (512-bit vectors), then 8 at a time, then one at a time; every lane gets the same operations.
@inline(__always)
private func depthwiseStrip(_ g: DepthwiseGeometry, pixels: Int, y: Int, x: Int, ky0: Int, ky1: Int) {
    var cb = 0
    #if CNX_AVX512
    cb = depthwiseStripChannels(g, SIMD16<Float>.self, pixels: pixels, y: y, x: x, ky0: ky0, ky1: ky1, from: cb)
    #endif
    cb = depthwiseStripChannels(g, SIMD8<Float>.self, pixels: pixels, y: y, x: x, ky0: ky0, ky1: ky1, from: cb)
    if cb < g.channels {
        for j in 0..<pixels { depthwiseScalarChannels(g, y: y, x: x + j, ky0: ky0, ky1: ky1, kx0: 0, kx1: 7, from: cb) }
    }
}

/// ``depthwiseStrip(_:pixels:y:x:ky0:ky1:)`` for the channel vectors of `V` that fit from channel
/// `from`; returns the first channel not done.
@inline(__always)
private func depthwiseStripChannels<V: SIMD>(
    _ g: DepthwiseGeometry, _: V.Type, pixels: Int, y: Int, x: Int, ky0: Int, ky1: Int, from: Int
) -> Int where V.Scalar == Float {
    let c = g.channels, cp = g.paddedChannels, lanes = V.scalarCount
    let out = g.output + (y * g.width + x) * c
    let firstIn = g.input + (x - 3) * c
    var cb = from
    while cb + lanes <= c {
        let b: V = loadVector(g.bias + cb)
        var o0 = b, o1 = b, o2 = b, o3 = b, o4 = b, o5 = b, o6 = b, o7 = b
        for ky in ky0..<ky1 {
            // Wrapping arithmetic: offsets are in bounds by construction (rows ky0..<ky1, interior x).
            let row = firstIn + ((y &+ ky &- 3) &* g.width &* c &+ cb)
            let w = g.taps + (ky &* 7 &* cp &+ cb)
            for kx in 0..<7 {
                let wv: V = loadVector(w + kx &* cp)
                let p = row + kx &* c
                o0 = vectorMultiplyAdd(o0, loadVector(p), wv)
                o1 = vectorMultiplyAdd(o1, loadVector(p + c), wv)
                o2 = vectorMultiplyAdd(o2, loadVector(p + 2 &* c), wv)
                o3 = vectorMultiplyAdd(o3, loadVector(p + 3 &* c), wv)
                if pixels > 4 {
                    o4 = vectorMultiplyAdd(o4, loadVector(p + 4 &* c), wv)
                    o5 = vectorMultiplyAdd(o5, loadVector(p + 5 &* c), wv)
                    o6 = vectorMultiplyAdd(o6, loadVector(p + 6 &* c), wv)
                    o7 = vectorMultiplyAdd(o7, loadVector(p + 7 &* c), wv)
                }
            }
        }
        storeVector(o0, out + cb)
        storeVector(o1, out + c + cb)
        storeVector(o2, out + 2 * c + cb)
        storeVector(o3, out + 3 * c + cb)
        if pixels > 4 {
            storeVector(o4, out + 4 * c + cb)
            storeVector(o5, out + 5 * c + cb)
            storeVector(o6, out + 6 * c + cb)
            storeVector(o7, out + 7 * c + cb)
        }
        cb += lanes
    }
    return cb
}

/// `f32-dwconv7x7-4px__swift`.
@inline(never)
private func depthwiseStrip4(_ g: DepthwiseGeometry, y: Int, x: Int, ky0: Int, ky1: Int) {
    depthwiseStrip(g, pixels: 4, y: y, x: x, ky0: ky0, ky1: ky1)
}

/// `f32-dwconv7x7-8px__swift`.
@inline(never)
private func depthwiseStrip8(_ g: DepthwiseGeometry, y: Int, x: Int, ky0: Int, ky1: Int) {
    depthwiseStrip(g, pixels: 8, y: y, x: x, ky0: ky0, ky1: ky1)
}

/// Widest interior strip: 8 pixels (8 accumulators, enough independent chains to keep two FMA
/// pipes busy) where there are 16+ vector registers of 8 lanes, i.e. fused builds (AVX2 + FMA or
/// arm64); 4 otherwise, where the target may be SSE2 and 8 would spill.
#if arch(arm64) || CNX_FMA
let depthwiseStripPixels = 8
#else
let depthwiseStripPixels = 4
#endif

/// Output pixel `(y, x)` anywhere, with its own column bounds. Four channel vectors at a time so
/// the four accumulation chains overlap (of 16 lanes on `CNX_AVX512` builds, then of 8), then one
/// vector at a time, then one channel at a time.
@inline(__always)
private func depthwisePixel(_ g: DepthwiseGeometry, y: Int, x: Int, ky0: Int, ky1: Int) {
    let kx0 = max(0, 3 - x), kx1 = min(7, g.width + 3 - x)
    var cb = 0
    #if CNX_AVX512
    cb = depthwisePixelChannels(g, SIMD16<Float>.self, y: y, x: x, ky0: ky0, ky1: ky1, kx0: kx0, kx1: kx1, from: cb)
    #endif
    cb = depthwisePixelChannels(g, SIMD8<Float>.self, y: y, x: x, ky0: ky0, ky1: ky1, kx0: kx0, kx1: kx1, from: cb)
    if cb < g.channels { depthwiseScalarChannels(g, y: y, x: x, ky0: ky0, ky1: ky1, kx0: kx0, kx1: kx1, from: cb) }
}

/// ``depthwisePixel(_:y:x:ky0:ky1:)`` for the channel vectors of `V` that fit from channel `from`
/// (four at a time, then one at a time); returns the first channel not done.
@inline(__always)
private func depthwisePixelChannels<V: SIMD>(
    _ g: DepthwiseGeometry, _: V.Type, y: Int, x: Int, ky0: Int, ky1: Int, kx0: Int, kx1: Int, from: Int
) -> Int where V.Scalar == Float {
    let c = g.channels, cp = g.paddedChannels, lanes = V.scalarCount
    let out = g.output + (y * g.width + x) * c
    var cb = from
    while cb + 4 * lanes <= c {
        var o0: V = loadVector(g.bias + cb), o1: V = loadVector(g.bias + cb + lanes)
        var o2: V = loadVector(g.bias + cb + 2 * lanes), o3: V = loadVector(g.bias + cb + 3 * lanes)
        for ky in ky0..<ky1 {
            for kx in kx0..<kx1 {
                let p = g.input + (((y &+ ky &- 3) &* g.width &+ x &+ kx &- 3) &* c &+ cb)
                let w = g.taps + ((ky &* 7 &+ kx) &* cp &+ cb)
                o0 = vectorMultiplyAdd(o0, loadVector(p), loadVector(w))
                o1 = vectorMultiplyAdd(o1, loadVector(p + lanes), loadVector(w + lanes))
                o2 = vectorMultiplyAdd(o2, loadVector(p + 2 &* lanes), loadVector(w + 2 &* lanes))
                o3 = vectorMultiplyAdd(o3, loadVector(p + 3 &* lanes), loadVector(w + 3 &* lanes))
            }
        }
        storeVector(o0, out + cb)
        storeVector(o1, out + cb + lanes)
        storeVector(o2, out + cb + 2 * lanes)
        storeVector(o3, out + cb + 3 * lanes)
        cb += 4 * lanes
    }
    while cb + lanes <= c {
        var o: V = loadVector(g.bias + cb)
        for ky in ky0..<ky1 {
            for kx in kx0..<kx1 {
                let p = g.input + (((y &+ ky &- 3) &* g.width &+ x &+ kx &- 3) &* c &+ cb)
                o = vectorMultiplyAdd(o, loadVector(p), loadVector(g.taps + ((ky &* 7 &+ kx) &* cp &+ cb)))
            }
        }
        storeVector(o, out + cb)
        cb += lanes
    }
    return cb
}

/// Channels `from ..< channels` of pixel `(y, x)` one at a time, in the same tap order and with the
/// same rounding as a vector lane.
private func depthwiseScalarChannels(
    _ g: DepthwiseGeometry, y: Int, x: Int, ky0: Int, ky1: Int, kx0: Int, kx1: Int, from: Int
) {
    let c = g.channels, cp = g.paddedChannels
    let out = g.output + (y * g.width + x) * c
    for ch in from..<c {
        var o = g.bias[ch]
        for ky in ky0..<ky1 {
            for kx in kx0..<kx1 {
                o = multiplyAdd(o, g.input[((y + ky - 3) * g.width + x + kx - 3) * c + ch], g.taps[(ky * 7 + kx) * cp + ch])
            }
        }
        out[ch] = o
    }
}
