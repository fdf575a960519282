/// `f32-sumsq__swift`: per-channel sum of squares over `pixels` NHWC pixels, accumulated into `sums`
/// (which the caller zeroes): `sums[c] += Double(x[p, c] · x[p, c])` for `p` in increasing order.
///
/// Accumulates in `Double` so the GRN norm is exact to float precision; the square is rounded to
/// float first, then added in double, exactly as the scalar loop would. Vectorised over channels
/// (eight at a time, the rest scalar) and two pixels per pass over `sums`, which keeps each
/// channel's order of additions. Never allocates.
public func f32SumSq(
    input: UnsafePointer<Float>, pixels: Range<Int>, channels c: Int, sums: UnsafeMutablePointer<Double>
) {
    let vectorEnd = c & ~7
    let raw = UnsafeMutableRawPointer(sums)
    var p = pixels.lowerBound
    while p < pixels.upperBound {
        let pairs = p + 1 < pixels.upperBound
        let x0 = input + p * c
        let x1 = pairs ? x0 + c : x0
        var i = 0
        while i < vectorEnd {
            let s0 = load8(x0 + i)
            var acc = raw.loadUnaligned(fromByteOffset: i * 8, as: SIMD8<Double>.self)
            acc += SIMD8<Double>(s0 * s0)
            if pairs {
                let s1 = load8(x1 + i)
                acc += SIMD8<Double>(s1 * s1)
            }
            raw.storeBytes(of: acc, toByteOffset: i * 8, as: SIMD8<Double>.self)
            i &+= 8
        }
        while i < c {
            sums[i] += Double(x0[i] * x0[i])
            if pairs { sums[i] += Double(x1[i] * x1[i]) }
            i &+= 1
        }
        p += pairs ? 2 : 1
    }
}
