/// `f32-scalebias__swift`: `data[r, c] = data[r, c] · scale[c] + bias[c]` in place for `rows`
/// (a multiply rounded, then an add rounded, on every build). GRN reduces to this once its global
/// norm is known: scale `1 + γ·N`, bias `β`. Vectorised over channels. Never allocates.
public func f32ScaleBias(
    data: UnsafeMutablePointer<Float>, rows: Range<Int>, channels c: Int,
    scale: UnsafePointer<Float>, bias: UnsafePointer<Float>
) {
    let vectorEnd = c & ~7
    for r in rows {
        let x = data + r * c
        var i = 0
        while i < vectorEnd {
            store8(load8(x + i) * load8(scale + i) + load8(bias + i), x + i)
            i &+= 8
        }
        while i < c { x[i] = x[i] * scale[i] + bias[i]; i &+= 1 }
    }
}
