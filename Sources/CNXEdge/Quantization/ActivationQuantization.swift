import CNXEdgeRuntime

/// A clipping range for one activation tensor, in float units.
public struct QuantizationRange: Equatable, Sendable {
    /// The smallest value kept; anything below is clamped to it.
    public var lower: Float
    /// The largest value kept; anything above is clamped to it.
    public var upper: Float

    /// - Precondition: both finite and `lower <= upper`.
    public init(lower: Float, upper: Float) {
        precondition(lower.isFinite && upper.isFinite && lower <= upper,
                     "QuantizationRange: invalid range [\(lower), \(upper)]")
        self.lower = lower
        self.upper = upper
    }
}

/// Asymmetric per-tensor affine quantization: `real = (q - zeroPoint) * scale` for integer codes
/// `q` in `qmin...qmax` (uint8 codes are `0...255`, int8 codes `-128...127`).
///
/// Zero is always exactly representable (code `zeroPoint`), so zero padding and ReLU/GELU zeros
/// quantize without error. Rounding is to nearest, ties to even; saturation clamps to `qmin...qmax`.
public struct ActivationQuantization: Equatable, Codable, Sendable {
    /// The smallest scale ``init(range:qmin:qmax:)`` gives: `Float.ulpOfOne` (1.19e-7), as PyTorch's
    /// observers do; a degenerate (all-zero or tiny) range gets it instead of 0 or a denormal.
    public static let minimumScale: Float = .ulpOfOne

    /// Float units per integer step; positive and finite.
    public var scale: Float
    /// The code that represents 0.0, in `qmin...qmax`.
    public var zeroPoint: Int32
    /// The smallest code.
    public var qmin: Int32
    /// The largest code.
    public var qmax: Int32

    /// Parameters as given.
    /// - Precondition: `scale` positive and finite, `qmin < qmax`, `zeroPoint` in `qmin...qmax`.
    public init(scale: Float, zeroPoint: Int32, qmin: Int32, qmax: Int32) {
        precondition(scale > 0 && scale.isFinite, "ActivationQuantization: scale \(scale)")
        precondition(qmin < qmax && (qmin...qmax).contains(zeroPoint),
                     "ActivationQuantization: zero point \(zeroPoint) or codes \(qmin)...\(qmax) invalid")
        self.scale = scale
        self.zeroPoint = zeroPoint
        self.qmin = qmin
        self.qmax = qmax
    }

    /// The parameters covering `range` with codes `qmin...qmax`.
    ///
    /// The range is first widened to include 0 (`lower' = min(lower, 0)`, `upper' = max(upper, 0)`);
    /// then `scale = (upper' - lower') / (qmax - qmin)` (computed in Double, at least
    /// ``minimumScale``) and `zeroPoint = qmin - round(lower' / scale)` (ties to even), clamped to
    /// `qmin...qmax`. The represented range ``representedRange`` can differ from the widened one by
    /// up to half a step at each end because the zero point is an integer.
    /// - Precondition: `qmin < qmax`.
    public init(range: QuantizationRange, qmin: Int32 = 0, qmax: Int32 = 255) {
        precondition(qmin < qmax, "ActivationQuantization: qmin \(qmin) >= qmax \(qmax)")
        let lower = min(Double(range.lower), 0), upper = max(Double(range.upper), 0)
        let scale = max(Float((upper - lower) / Double(qmax - qmin)), Self.minimumScale)
        let shift = Requantization.round(lower / Double(scale))
        let zeroPoint = Int32(min(max(Double(qmin) - shift, Double(qmin)), Double(qmax)))
        self.init(scale: scale, zeroPoint: zeroPoint, qmin: qmin, qmax: qmax)
    }

    /// The float range the codes cover: `[(qmin - zeroPoint) * scale, (qmax - zeroPoint) * scale]`.
    public var representedRange: QuantizationRange {
        QuantizationRange(lower: dequantize(qmin), upper: dequantize(qmax))
    }

    /// `clamp(round(x / scale) + zeroPoint, qmin, qmax)`, the division in Float, rounding to
    /// nearest with ties to even. NaN maps to `zeroPoint`.
    @inlinable
    public func quantize(_ x: Float) -> Int32 {
        let q = Requantization.round(x / scale) + Float(zeroPoint)
        guard !q.isNaN else { return zeroPoint }
        return Int32(min(max(q, Float(qmin)), Float(qmax)))
    }

    /// `(q - zeroPoint) * scale` in Float.
    @inlinable
    public func dequantize(_ q: Int32) -> Float {
        Float(q - zeroPoint) * scale
    }
}
