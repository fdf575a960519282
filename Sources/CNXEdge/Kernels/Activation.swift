import Foundation

/// Exact GELU, `x · Φ(x) = 0.5 x (1 + erf(x / √2))`, as PyTorch's `nn.GELU()` (not the tanh form).
@inline(__always)
public func geluExact(_ x: Float) -> Float {
    0.5 * x * (1 + erf(x * 0.70710678118654752))
}
