/// `f32-dwconv7x7__swift`: depthwise 7x7 convolution, stride 1, zero padding 3, NHWC, for the output
/// rows `outputRows`. `input` and `output` are `[height, width, channels]` and must not overlap.
///
/// Numerics: each output element is its bias, then `+ input · weight` for the taps that fall
/// inside the image in increasing `(ky, kx)` order (taps over the zero padding are skipped), one
/// rounding per multiply and add (one per fused multiply-add on arm64 or `CNX_FMA` builds). The
/// order does not depend on `outputRows` or on which code path covers the pixel, so splitting rows
/// across threads gives identical results. Never allocates.
///
/// Vectorised over channels, eight at a time (a scalar loop takes the `channels % 8` rest).
/// Interior pixels, whose 7 columns of taps are all inside the image, go 8 (fused builds) or 4 at a
/// time through a branch-free strip (`f32-dwconv7x7-{8,4}px__swift`); border pixels use per-pixel
/// tap bounds.
public func f32DepthwiseConv7x7(
    input: UnsafePointer<Float>, height: Int, width: Int, weights: PackedDepthwiseWeights,
    outputRows: Range<Int>, output: UnsafeMutablePointer<Float>
) {
    precondition(outputRows.lowerBound >= 0 && outputRows.upperBound <= height, "f32DepthwiseConv7x7: rows out of range")
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
    /// Channels covered by whole vectors.
    var vectorChannels: Int { channels & ~7 }
}

/// Output pixels `(y, x ..< x + pixels)` (`pixels` 4 or 8, a literal so the unused half folds
/// away), all of whose tap columns are inside the image: no bounds inside the tap loop, one weight
/// load per tap shared by the strip's pixels.
@inline(__always)
private func depthwiseStrip(_ g: DepthwiseGeometry, pixels: Int, y: Int, x: Int, ky0: Int, ky1: Int) {
    let c = g.channels, cp = g.paddedChannels
    let out = g.output + (y * g.width + x) * c
    let firstIn = g.input + (x - 3) * c
    var cb = 0
    while cb < g.vectorChannels {
        let b = load8(g.bias + cb)
        var o0 = b, o1 = b, o2 = b, o3 = b, o4 = b, o5 = b, o6 = b, o7 = b
        for ky in ky0..<ky1 {
            // Wrapping arithmetic: offsets are in bounds by construction (rows ky0..<ky1, interior x).
            let row = firstIn + ((y &+ ky &- 3) &* g.width &* c &+ cb)
            let w = g.taps + (ky &* 7 &* cp &+ cb)
            for kx in 0..<7 {
                let wv = load8(w + kx &* cp)
                let p = row + kx &* c
                o0 = multiplyAdd(o0, load8(p), wv)
                o1 = multiplyAdd(o1, load8(p + c), wv)
                o2 = multiplyAdd(o2, load8(p + 2 &* c), wv)
                o3 = multiplyAdd(o3, load8(p + 3 &* c), wv)
                if pixels > 4 {
                    o4 = multiplyAdd(o4, load8(p + 4 &* c), wv)
                    o5 = multiplyAdd(o5, load8(p + 5 &* c), wv)
                    o6 = multiplyAdd(o6, load8(p + 6 &* c), wv)
                    o7 = multiplyAdd(o7, load8(p + 7 &* c), wv)
                }
            }
        }
        store8(o0, out + cb)
        store8(o1, out + c + cb)
        store8(o2, out + 2 * c + cb)
        store8(o3, out + 3 * c + cb)
        if pixels > 4 {
            store8(o4, out + 4 * c + cb)
            store8(o5, out + 5 * c + cb)
            store8(o6, out + 6 * c + cb)
            store8(o7, out + 7 * c + cb)
        }
        cb += 8
    }
    if cb < c {
        for j in 0..<pixels { depthwiseScalarChannels(g, y: y, x: x + j, ky0: ky0, ky1: ky1, kx0: 0, kx1: 7, from: cb) }
    }
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
/// the four accumulation chains overlap.
@inline(__always)
private func depthwisePixel(_ g: DepthwiseGeometry, y: Int, x: Int, ky0: Int, ky1: Int) {
    let c = g.channels, cp = g.paddedChannels
    let kx0 = max(0, 3 - x), kx1 = min(7, g.width + 3 - x)
    let out = g.output + (y * g.width + x) * c
    var cb = 0
    while cb + 32 <= g.vectorChannels {
        var o0 = load8(g.bias + cb), o1 = load8(g.bias + cb + 8)
        var o2 = load8(g.bias + cb + 16), o3 = load8(g.bias + cb + 24)
        for ky in ky0..<ky1 {
            for kx in kx0..<kx1 {
                let p = g.input + (((y &+ ky &- 3) &* g.width &+ x &+ kx &- 3) &* c &+ cb)
                let w = g.taps + ((ky &* 7 &+ kx) &* cp &+ cb)
                o0 = multiplyAdd(o0, load8(p), load8(w))
                o1 = multiplyAdd(o1, load8(p + 8), load8(w + 8))
                o2 = multiplyAdd(o2, load8(p + 16), load8(w + 16))
                o3 = multiplyAdd(o3, load8(p + 24), load8(w + 24))
            }
        }
        store8(o0, out + cb)
        store8(o1, out + cb + 8)
        store8(o2, out + cb + 16)
        store8(o3, out + cb + 24)
        cb += 32
    }
    while cb < g.vectorChannels {
        var o = load8(g.bias + cb)
        for ky in ky0..<ky1 {
            for kx in kx0..<kx1 {
                let p = g.input + (((y &+ ky &- 3) &* g.width &+ x &+ kx &- 3) &* c &+ cb)
                o = multiplyAdd(o, load8(p), load8(g.taps + ((ky &* 7 &+ kx) &* cp &+ cb)))
            }
        }
        store8(o, out + cb)
        cb += 8
    }
    if cb < c { depthwiseScalarChannels(g, y: y, x: x, ky0: ky0, ky1: ky1, kx0: kx0, kx1: kx1, from: cb) }
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
