/// What ``qu8PWConv(input:inputStride:rows:weights:epilogue:)`` does with each int32
/// accumulator `acc[m][n]` (`f = Float(acc) · scale[n]`, a rounded multiply):
public enum QU8PWConvEpilogue {
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

/// The two implementations of ``qu8PWConv(input:inputStride:rows:weights:epilogue:)``; both
/// give the same bits (exact int32 sums, the same epilogue).
public enum QU8PWConvVariant: CaseIterable, Sendable {
    /// Int16 pairs on 256-bit `pmaddwd` (``qu8PWConvI16Pairs(input:inputStride:rows:weights:epilogue:)``):
    /// about 1.5x the float kernel on AVX2 (Atto's int8 1x1 convolutions, Zen 5).
    case int16Pairs
    /// Exact integers in float FMAs (``qu8PWConvExactF32(input:inputStride:rows:weights:epilogue:)``).
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
    public static var preferred: QU8PWConvVariant {
        #if CNX_FMA
        .int16Pairs
        #else
        .exactFloat
        #endif
    }

    /// The kernel's name in profiles (`bench --profile`, `inspect`).
    public var name: String {
        switch self {
        case .int16Pairs: "qu8-pwconv-i16pairs"
        case .exactFloat: "qu8-pwconv-exactf32"
        }
    }
}

/// `qu8-pwconv__swift`: the int8 1x1 convolution. For every row `m` in `rows` and output `n`:
/// `acc = bias[n] + Σ_k input[m·inputStride + k] · w[n][k]` in int32, then `epilogue`.
/// Integer results are exact (bit-identical to the C kernels') on every CPU and for any row split;
/// the epilogue's float steps are the same multiply, add and round-to-nearest-even the C kernels
/// use. Never allocates (its scratch, at most about max(160 KB, 64 bytes per input channel) plus
/// 64 bytes per input channel, is on the stack).
///
/// Runs ``QU8PWConvVariant/preferred``: an int16 GEMM on `pmaddwd` on `CNX_FMA` (AVX2) builds, a
/// float GEMM on exact integers elsewhere.
///
/// Numerics: every product and pair sum is exact in int32 and the accumulators wrap like the C
/// kernels', so `acc` is bit-identical to theirs; no float rounding happens before the epilogue.
public func qu8PWConv(input: UnsafePointer<UInt8>, inputStride: Int, rows: Range<Int>,
                            weights w: PackedInt8PointwiseWeights, epilogue: QU8PWConvEpilogue) {
    qu8PWConv(input: input, inputStride: inputStride, rows: rows, weights: w, epilogue: epilogue, kernel: .preferred)
}

/// ``qu8PWConv(input:inputStride:rows:weights:epilogue:)`` on a given kernel (tests run both).
func qu8PWConv(input: UnsafePointer<UInt8>, inputStride: Int, rows: Range<Int>,
                     weights w: PackedInt8PointwiseWeights, epilogue: QU8PWConvEpilogue, kernel: QU8PWConvVariant) {
    switch kernel {
    case .int16Pairs: qu8PWConvI16Pairs(input: input, inputStride: inputStride, rows: rows, weights: w, epilogue: epilogue)
    case .exactFloat: qu8PWConvExactF32(input: input, inputStride: inputStride, rows: rows, weights: w, epilogue: epilogue)
    }
}
