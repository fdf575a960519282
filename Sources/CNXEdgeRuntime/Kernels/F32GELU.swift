/// Exact GELU, `x · Φ(x) = 0.5 x (1 + erf(x / √2))`, as PyTorch's `nn.GELU()` (not the tanh form).
///
/// Lane 0 of the `SIMD8<Float>` overload, so scalar callers agree bit for bit with the fused GEMM
/// epilogue; see there for the accuracy.
@inline(__always)
public func geluExact(_ x: Float) -> Float {
    geluExact(SIMD8(repeating: x))[0]
}

/// Exact GELU on eight lanes: `0.5 · x · (1 + erf(x / √2))`, with `1 + erf(z)` computed directly
/// (see ``onePlusErf(_:)``) so it keeps its relative accuracy for negative `x`.
///
/// Accuracy, measured against float64 `erf` over [-10, 10] in steps of 5e-5 and at large
/// magnitudes: |error| ≤ 1e-7 · max(1, |x|), about one ulp of the result (the kernel tests allow
/// 4e-7 · max(1, |x|)). Finite `x ≤ -6.4` gives `-0.0`, `x ≥ 6.4` gives `x`;
/// +∞ gives +∞, and −∞ and NaN give NaN, as the formula does. No allocation, no branches.
@inline(__always)
public func geluExact(_ x: SIMD8<Float>) -> SIMD8<Float> {
    splat(0.5) * x * onePlusErf(x * splat(0.70710678118654752))
}

/// `erf(z)` on eight lanes, absolute error ≤ 1.2e-7 (measured against float64 `erf` over
/// [-6, 6]); the same pieces as ``onePlusErf(_:)``, finished as `z · P(z²)` or `±(1 − erfc)`.
@inline(__always)
func erfApproximation(_ z: SIMD8<Float>) -> SIMD8<Float> {
    let p = erfPieces(z)
    let oneMinus = splat(1) - p.erfcOfMagnitude
    let large = oneMinus.replacing(with: splat(0) - oneMinus, where: z .< splat(0))
    return large.replacing(with: p.smallErf, where: p.isSmall)
}

/// `1 + erf(z)` on eight lanes; measured absolute error ≤ 1.6e-7 and, for z ≥ -4.5, relative
/// error ≤ 1.3e-6 (it is 0 for z < -4.5, where the true value is below 2e-10).
///
/// `1 + z · P(z²)` for |z| < 0.6; else `2 − erfc(z)` for z > 0 and `erfc(−z)` for z < 0, so
/// nothing cancels for negative `z` (see ``erfPieces(_:)``).
@inline(__always)
func onePlusErf(_ z: SIMD8<Float>) -> SIMD8<Float> {
    let p = erfPieces(z)
    let erfc = p.erfcOfMagnitude
    let large = erfc.replacing(with: splat(2) - erfc, where: z .> splat(0))
    return large.replacing(with: splat(1) + p.smallErf, where: p.isSmall)
}

/// The two branch-free pieces of `erf`, both evaluated for every lane. The coefficients are our
/// own fits (iteratively reweighted least squares toward minimax, checked in simulated float32):
/// - `smallErf`: `z · P(z²)`, `P` of degree 4 approximating `erf(z)/z` on |z| < 0.6 (relative 8e-9).
/// - `erfcOfMagnitude`: `erfc(|z|) = exp(-z²) · R(|z|)`, `R` a (4, 4) rational approximating the
///   scaled complementary error function `erfcx` on [0.6, 4.5] (relative 1e-9); 0 beyond 4.5
///   (and for ±∞), where the tail is below 2e-10, so huge |x| stay exact in GELU.
@inline(__always)
func erfPieces(_ z: SIMD8<Float>) -> (smallErf: SIMD8<Float>, erfcOfMagnitude: SIMD8<Float>, isSmall: SIMDMask<SIMD8<Int32>>) {
    let magnitude = unsafeBitCast(unsafeBitCast(z, to: SIMD8<UInt32>.self) & 0x7fff_ffff, to: SIMD8<Float>.self)
    let a = clamp(magnitude, 0, 4.5)
    let t = a * a

    var ps = splat(0.004512359853833914)
    ps = multiplyAdd(splat(-0.026646988466382027), ps, t)
    ps = multiplyAdd(splat(0.112809918820858), ps, t)
    ps = multiplyAdd(splat(-0.37612512707710266), ps, t)
    ps = multiplyAdd(splat(1.1283791065216064), ps, t)

    var pl = splat(3.8021189538994804e-06)
    pl = multiplyAdd(splat(0.0845319852232933), pl, a)
    pl = multiplyAdd(splat(0.43540602922439575), pl, a)
    pl = multiplyAdd(splat(0.9629601240158081), pl, a)
    pl = multiplyAdd(splat(0.9999725222587585), pl, a)
    var ql = splat(0.15000221133232117)
    ql = multiplyAdd(splat(0.7697193622589111), ql, a)
    ql = multiplyAdd(splat(1.7959398031234741), ql, a)
    ql = multiplyAdd(splat(2.091096878051758), ql, a)
    ql = multiplyAdd(splat(1), ql, a)
    let erfc = expOfNonPositive(splat(0) - t) * (pl / ql)
    return (z * ps, erfc.replacing(with: splat(0), where: magnitude .> splat(4.5)), magnitude .< splat(0.6))
}

/// `exp(v)` for `v` in [-30, 0] on eight lanes, measured relative error ≤ 1.2e-7.
///
/// Range reduction `v = n·ln2 + r`, |r| ≤ ln2/2 (`n` rounded to nearest with the 1.5·2²³ trick,
/// `n·ln2` subtracted in two parts, Cody–Waite), a degree-6 polynomial for `exp(r)` (our fit,
/// relative 2e-9), and `2ⁿ` built from its exponent bits. Valid while `2ⁿ` is a normal float.
@inline(__always)
func expOfNonPositive(_ v: SIMD8<Float>) -> SIMD8<Float> {
    let magic = splat(12_582_912)  // 1.5 · 2²³: adding it rounds to an integer in the low bits.
    let shifted = multiplyAdd(magic, v, splat(1.4426950216293335))
    let n = shifted - magic
    var r = v - n * splat(0.693359375)  // ln2, high part: exact times any |n| < 2¹⁵
    r = r - n * splat(-2.12194440e-4)  // ln2 − high part
    var p = splat(0.0013836834114044905)
    p = multiplyAdd(splat(0.008374815806746483), p, r)
    p = multiplyAdd(splat(0.04166822507977486), p, r)
    p = multiplyAdd(splat(0.16666419804096222), p, r)
    p = multiplyAdd(splat(0.49999991059303284), p, r)
    p = multiplyAdd(splat(1), p, r)
    p = multiplyAdd(splat(1), p, r)
    let exponent = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    let scale = unsafeBitCast((exponent &+ 127) &<< 23, to: SIMD8<Float>.self)
    return p * scale
}


/// `f32-gelu__swift`: `data[i] = geluExact(data[i])` for `i < count`, eight lanes at a time and the
/// rest through a partial vector (so every element goes through the same vector code).
///
/// Deliberately out of line: inlined into the GEMM tile, LLVM splits the polynomial chains across
/// scalar and vector registers and runs twice as slowly as this stand-alone loop.
@inline(never)
func f32GELU(_ data: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i + 8 <= count {
        store8(geluExact(load8(data + i)), data + i)
        i &+= 8
    }
    if i < count {
        storePartial8(geluExact(loadPartial8(data + i, count: count - i)), data + i, count: count - i)
    }
}
