/// `u8-sumsq__swift`: `sums[c] += Σ_rows (x[r][c] − zeroPoint)²`, exact. Never allocates.
public func u8SumSq(_ x: UnsafePointer<UInt8>, rows: Range<Int>, channels: Int, zeroPoint: Int32,
                                  sums: UnsafeMutablePointer<Int64>) {
    // int32 partial sums over at most 32768 rows stay below 255² · 32768 < 2³¹.
    var start = rows.lowerBound
    while start < rows.upperBound {
        let end = min(rows.upperBound, start + 32768)
        var c = 0
        while c + 8 <= channels {
            var acc = SIMD8<Int32>()
            for r in start..<end {
                let d = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(x + r * channels + c).loadUnaligned(as: SIMD8<UInt8>.self))
                    &- SIMD8<Int32>(repeating: zeroPoint)
                acc &+= d &* d
            }
            for j in 0..<8 { sums[c + j] += Int64(acc[j]) }
            c += 8
        }
        while c < channels {
            var acc: Int64 = 0
            for r in start..<end {
                let d = Int64(Int32(x[r * channels + c]) - zeroPoint)
                acc += d * d
            }
            sums[c] += acc
            c += 1
        }
        start = end
    }
}
