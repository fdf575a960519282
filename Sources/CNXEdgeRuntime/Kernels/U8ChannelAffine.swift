/// `u8-channel-affine__swift`: requantizes uint8 codes channel by channel,
/// `out[r][c] = clamp(round(Float(x[r][c] − zeroPoint) · multiplier[c] + offset[c]), 0, 255)`
/// (a rounded multiply, then a rounded add, ties to even): GRN on int8 data, with the output's
/// zero point in `offset`. May run in place. Never allocates.
public func u8ChannelAffine(_ x: UnsafePointer<UInt8>, rows: Range<Int>, channels: Int, zeroPoint: Int32,
                            multiplier: UnsafePointer<Float>, offset: UnsafePointer<Float>, output: UnsafeMutablePointer<UInt8>) {
    // Each row is first copied aside (on the stack): in place, input and output overlap exactly,
    // and the compiler's overlap check would then take its scalar loop.
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: channels) { copy in
        let row = copy.baseAddress!
        for r in rows {
            row.update(from: x + r * channels, count: channels)
            let out = output + r * channels
            for c in 0..<channels {
                out[c] = code(Float(Int32(row[c]) &- zeroPoint) * multiplier[c] + offset[c], zeroPoint: 0)
            }
        }
    }
}
