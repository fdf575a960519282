// Vector helpers shared by the `__swift` kernels. All are `@inline(__always)` so each kernel's
// hot loop compiles to straight vector code (an out-of-line call would pass `SIMD8` through
// memory and split it into halves).

/// Whether `multiplyAdd` is one fused operation in this build.
///
/// Fused on arm64 (every ARMv8 core has `fmla`). On x86-64 Swift cannot test CPU features at
/// compile time, and `addingProduct` on the baseline SSE2 target becomes a libm `fmaf` call per
/// lane, so x86-64 uses a separate multiply and add unless the build defines `CNX_FMA`
/// (`-Xswiftc -DCNX_FMA`, only together with an FMA target such as `-Xswiftc -target-cpu
/// -Xswiftc haswell`). Either way every kernel uses the same rounding on every path, so results
/// never depend on tiling or on how rows are split across threads.
#if arch(arm64) || CNX_FMA
let fusedMultiplyAdd = true
#else
let fusedMultiplyAdd = false
#endif

/// `acc + a · b`, fused or not according to ``fusedMultiplyAdd``.
@inline(__always)
func multiplyAdd(_ acc: SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    vectorMultiplyAdd(acc, a, b)
}

/// ``multiplyAdd(_:_:_:)-(SIMD8<Float>,_,_)`` on any float vector (`SIMD16` in the AVX-512 kernels).
@inline(__always)
func vectorMultiplyAdd<V: SIMD>(_ acc: V, _ a: V, _ b: V) -> V where V.Scalar == Float {
    #if arch(arm64) || CNX_FMA
    acc.addingProduct(a, b)
    #else
    acc + a * b
    #endif
}

/// Scalar `acc + a · b` rounded exactly as one lane of the vector ``multiplyAdd(_:_:_:)``.
@inline(__always)
func multiplyAdd(_ acc: Float, _ a: Float, _ b: Float) -> Float {
    #if arch(arm64) || CNX_FMA
    return acc.addingProduct(a, b)
    #else
    return acc + a * b
    #endif
}

@inline(__always)
func splat(_ value: Float) -> SIMD8<Float> { SIMD8(repeating: value) }

/// One vector of floats from `p` (its lane count from the context), no alignment required.
@inline(__always)
func loadVector<V: SIMD>(_ p: UnsafePointer<Float>) -> V where V.Scalar == Float {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
}

/// Stores the vector `v` at `p`, no alignment required.
@inline(__always)
func storeVector<V: SIMD>(_ v: V, _ p: UnsafeMutablePointer<Float>) where V.Scalar == Float {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
}

/// Eight floats from `p`, no alignment required.
@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { loadVector(p) }

/// Stores eight floats at `p`, no alignment required.
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) { storeVector(v, p) }

/// The first `count` floats at `p` (none if `count ≤ 0`, eight if `count ≥ 8`), the other lanes
/// zero; reads nothing at or past `p + count`.
@inline(__always)
func loadPartial8(_ p: UnsafePointer<Float>, count: Int) -> SIMD8<Float> {
    var v = SIMD8<Float>()
    var i = 0
    while i < count && i < 8 { v[i] = p[i]; i &+= 1 }
    return v
}

/// Stores the first `count` lanes of `v` at `p` (none if `count ≤ 0`, eight if `count ≥ 8`);
/// writes nothing at or past `p + count`.
@inline(__always)
func storePartial8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, count: Int) {
    var i = 0
    while i < count && i < 8 { p[i] = v[i]; i &+= 1 }
}

/// Lane-wise `min(max(x, lo), hi)`. `pointwiseMin`/`clamped` are not inlined by the standard
/// library and split the vector into halves, so kernels use this.
@inline(__always)
func clamp(_ x: SIMD8<Float>, _ lo: Float, _ hi: Float) -> SIMD8<Float> {
    let l = splat(lo), h = splat(hi)
    let a = x.replacing(with: l, where: x .< l)
    return a.replacing(with: h, where: a .> h)
}

/// Sum of the lanes in a fixed order (pairwise), the same for every call.
@inline(__always)
func horizontalSum(_ v: SIMD8<Float>) -> Float {
    let h = v.lowHalf + v.highHalf
    let q = h.lowHalf + h.highHalf
    return q[0] + q[1]
}

/// Memory for packed weights: 64-byte aligned (one cache line) so a 16-float row of a packed panel
/// never straddles two lines. Immutable after `init`, hence `Sendable`. Either owned (allocated
/// here) or borrowed from a mapped `.cnx` file, which `owner` keeps alive.
final class AlignedFloatBuffer: @unchecked Sendable {
    let count: Int
    let base: UnsafeMutablePointer<Float>
    /// Keeps borrowed memory alive; `nil` when this buffer allocated `base` itself.
    private let owner: AnyObject?

    /// `count` zeros, then `fill(base)` writes the contents.
    init(count: Int, fill: (UnsafeMutablePointer<Float>) -> Void) {
        self.count = count
        base = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
        owner = nil
        fill(base)
    }

    /// Borrows `count` floats at `base` (64-byte aligned, never written) for as long as `owner` lives.
    init(borrowing base: UnsafeRawPointer, count: Int, owner: AnyObject) {
        precondition(Int(bitPattern: base) % 64 == 0, "AlignedFloatBuffer: borrowed memory must be 64-byte aligned")
        self.count = count
        self.base = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Float.self))
        self.owner = owner
    }

    deinit { if owner == nil { base.deallocate() } }
}
