/// Rearranges non-overlapping `patch`x`patch` windows into GEMM rows, in the order of a PyTorch
/// convolution weight `[out, in, ky, kx]` flattened over `(in, ky, kx)`, so a stride-`patch`
/// convolution becomes a pointwise GEMM.
enum Patchify {
    /// From an NCHW 3-channel image: row `(py, px)` holds `image[c, py·p + ky, px·p + kx]` at `c·p² + ky·p + kx`.
    static func nchwImage(_ image: UnsafePointer<Float>, height: Int, width: Int, patch p: Int,
                          into out: UnsafeMutablePointer<Float>, runner: ParallelRunner) {
        runner.forEachChunk(height / p) { rows in nchwImage(image, height: height, width: width, patch: p, into: out, rows: rows) }
    }

    /// ``nchwImage(_:height:width:patch:into:runner:)`` for the patch rows `rows` only.
    static func nchwImage(_ image: UnsafePointer<Float>, height: Int, width: Int, patch p: Int,
                          into out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        let ow = width / p, k = 3 * p * p
        for py in rows {
            for px in 0..<ow {
                let o = out + (py * ow + px) * k
                for c in 0..<3 {
                    for ky in 0..<p {
                        let src = image + (c * height + py * p + ky) * width + px * p
                        for kx in 0..<p { o[c * p * p + ky * p + kx] = src[kx] }
                    }
                }
            }
        }
    }

    /// From NHWC with 2x2 patches: row `(py, px)` holds `x[2py + ky, 2px + kx, c]` at `c·4 + ky·2 + kx`.
    static func nhwc<Element>(_ x: UnsafePointer<Element>, height: Int, width: Int, channels c: Int,
                              into out: UnsafeMutablePointer<Element>, runner: ParallelRunner) {
        runner.forEachChunk(height / 2) { rows in nhwc(x, height: height, width: width, channels: c, into: out, rows: rows) }
    }

    /// ``nhwc(_:height:width:channels:into:runner:)`` for the patch rows `rows` only.
    static func nhwc<Element>(_ x: UnsafePointer<Element>, height: Int, width: Int, channels c: Int,
                              into out: UnsafeMutablePointer<Element>, rows: Range<Int>) {
        let ow = width / 2
        for py in rows {
            for px in 0..<ow {
                let o = out + (py * ow + px) * 4 * c
                for ky in 0..<2 {
                    for kx in 0..<2 {
                        let src = x + ((2 * py + ky) * width + 2 * px + kx) * c
                        for ch in 0..<c { o[ch * 4 + ky * 2 + kx] = src[ch] }
                    }
                }
            }
        }
    }
}

/// Layout conversions between the runtime's NHWC and PyTorch's NCHW.
public enum NHWC {
    /// Copies `[h, w, c]` into a new `[c, h, w]` array.
    public static func toNCHW(_ x: UnsafePointer<Float>, _ h: Int, _ w: Int, _ c: Int) -> [Float] {
        var out = [Float](repeating: 0, count: h * w * c)
        for p in 0..<(h * w) {
            for ch in 0..<c { out[ch * h * w + p] = x[p * c + ch] }
        }
        return out
    }
}
