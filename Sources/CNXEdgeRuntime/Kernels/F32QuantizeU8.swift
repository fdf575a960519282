/// `f32-quantize-u8__swift`: `out[i] = clamp(round(x[i] · inverseScale) + zeroPoint, 0, 255)`,
/// ties to even, for `i` in `range`. Never allocates.
public func f32QuantizeU8(_ x: UnsafePointer<Float>, range: Range<Int>, inverseScale: Float, zeroPoint: Int32,
                          output: UnsafeMutablePointer<UInt8>) {
    let zp = Float(zeroPoint)
    for i in range { output[i] = code(x[i] * inverseScale, zeroPoint: zp) }
}
