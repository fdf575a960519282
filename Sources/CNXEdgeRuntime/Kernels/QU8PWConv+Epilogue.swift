extension QU8PWConvEpilogue {
    /// This epilogue without its table, the table, and the codes' output: a kernel that looks the
    /// codes up in a separate pass over each finished block (``lookUp(_:_:count:)``). Looking up
    /// right after the 16-byte store of the codes stalls every byte load on store forwarding (2 ms
    /// slower on int8 Atto); looking up in registers costs a lane extract, shifts and an insert per
    /// byte; the separate pass, 8 codes per word, is about 0.45 ms faster (Zen 5).
    var deferringTable: (epilogue: QU8PWConvEpilogue, table: UnsafePointer<UInt8>?, output: UnsafeMutablePointer<UInt8>?) {
        if case let .codes(scale, zeroPoint, table?, output) = self {
            return (.codes(scale: scale, zeroPoint: zeroPoint, table: nil, output: output), table, output)
        }
        return (self, nil, nil)
    }
}

/// `x[i] = table[x[i]]` for `i < count`: 8 codes read as one word, looked up byte by byte and
/// written back as one word (0.13 ms faster on int8 Atto than a byte load and store per code).
@inline(never)
func lookUp(_ table: UnsafePointer<UInt8>, _ x: UnsafeMutablePointer<UInt8>, count: Int) {
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

/// Applies `epilogue` to the int32 sums `acc[0..<lanes]` of row `m`, columns `c...`.
@inline(__always)
func qu8PWConvEpilogue(_ acc: UnsafePointer<Int32>, row m: Int, column c: Int,
                          lanes: Int, n: Int, _ epilogue: QU8PWConvEpilogue) {
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
        // Tables are looked up per finished block (``QU8PWConvEpilogue/deferringTable``).
        assert(table == nil, "qu8PWConvEpilogue: a table reached the per-tile epilogue")
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
func exactFloats(_ acc: UnsafePointer<Int32>) -> SIMD16<Float> {
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
func codes16(_ v: SIMD16<Float>, zeroPoint zp: Float) -> SIMD16<UInt8> {
    let lo = SIMD16<Float>(repeating: -zp), hi = SIMD16<Float>(repeating: 255 - zp)
    var c = v.replacing(with: lo, where: v .< lo)
    c = c.replacing(with: hi, where: c .> hi)
    let bits = unsafeBitCast((c + SIMD16<Float>(repeating: 12_582_912)) + SIMD16<Float>(repeating: zp), to: SIMD16<UInt32>.self)
    var out = SIMD16<UInt8>()
    for j in 0..<16 { out[j] = UInt8(truncatingIfNeeded: bits[j]) }
    return out
}
