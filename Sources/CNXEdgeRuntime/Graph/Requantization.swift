/// The one rounding rule of cnx-edge's integer arithmetic: a real value becomes an integer code by
/// rounding to nearest, ties to even, then saturating to the code range. Weight codes, int32
/// accumulator starts, activation codes, the GELU table and the per-image requantized GRN weights
/// all use it, here in Swift and in the SIMD and C kernels (whose float-to-int conversions round
/// to nearest even in the default rounding mode, and whose packs saturate).
public enum Requantization {
    /// Round to nearest, ties to even (what ``round(_:)`` and ``code(_:in:)`` apply).
    public static let rounding: FloatingPointRoundingRule = .toNearestOrEven

    /// `x` rounded by ``rounding``, not yet saturated. Inlinable, so callers in other modules get
    /// a specialised copy (a generic call per weight costs seconds in the quantizer).
    @inlinable @inline(__always)
    public static func round<T: BinaryFloatingPoint>(_ x: T) -> T { x.rounded(.toNearestOrEven) }

    /// `x` rounded by ``rounding`` and saturated to `range`.
    @inlinable @inline(__always)
    public static func code<T: BinaryFloatingPoint>(_ x: T, in range: ClosedRange<T>) -> T {
        min(max(x.rounded(.toNearestOrEven), range.lowerBound), range.upperBound)
    }
}
