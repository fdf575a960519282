#if Native
import CCNXKernels

extension NativeBackend {
    /// `f32-layernorm` over `rows` pixels of `c` channels, row tiles spread over the pool.
    func layerNorm(_ input: UnsafePointer<Float>, rows: Int, _ c: Int, _ norm: Norm, _ out: UnsafeMutablePointer<Float>) {
        let isa = isa, gamma = norm.gammaPointer, beta = norm.betaPointer, eps = norm.epsilon
        forEachRowTile(rows) { r in
            cnx_f32_layernorm(isa, input, out, c, gamma, beta, eps, r.lowerBound, r.upperBound)
        }
    }

    /// `f32-scalebias` in place over `rows` pixels of `c` channels, row tiles spread over the pool.
    func scaleBias(_ data: UnsafeMutablePointer<Float>, rows: Int, _ c: Int, _ scale: UnsafePointer<Float>,
                   _ bias: UnsafePointer<Float>) {
        let isa = isa
        forEachRowTile(rows) { r in
            cnx_f32_scalebias(isa, data, c, scale, bias, r.lowerBound, r.upperBound)
        }
    }

    /// GRN's `sums[c] = Σ_p x[p, c]²` (`f32-sumsq`, in double) in fixed pixel blocks on the pool
    /// (``FusedOpMath/sumBlock(_:pixels:channels:partials:)``; `partials` from
    /// scratch). The same sums for any thread count.
    func sumOfSquares(_ x: UnsafePointer<Float>, pixels: Int, _ c: Int, partials: UnsafeMutablePointer<Double>,
                      into sums: UnsafeMutablePointer<Double>) {
        let isa = isa, blocks = FusedOpMath.sumOfSquaresBlocks(pixels: pixels)
        forEachTile(blocks, tile: 1) { r in
            for b in r {
                let (range, partial) = FusedOpMath.sumBlock(b, pixels: pixels, channels: c, partials: partials)
                cnx_f32_sumsq(isa, x, c, range.lowerBound, range.upperBound, partial)
            }
        }
        FusedOpMath.addPartials(blocks: blocks, channels: c, partials: partials, into: sums)
    }

    /// Calls `body` on disjoint ranges of patch rows covering `0..<rows`, about two per thread, for
    /// the stem's and downsamples' Swift gathers (a few dozen rows: finer than ``forEachRowTile(_:_:)``'s
    /// 8-row minimum, so even stage 3's 7 rows spread over the pool).
    func forEachPatchRow(_ rows: Int, _ body: (Range<Int>) -> Void) {
        forEachTile(rows, tile: max(1, rows / (2 * threads)), body)
    }

    /// Calls `body` on disjoint row ranges covering `0..<rows`, about four per thread, on the pool
    /// (or once, on this thread, without one). Rows are independent, so the split does not change
    /// results. The closure travels to the workers by pointer: nothing is allocated.
    func forEachRowTile(_ rows: Int, _ body: (Range<Int>) -> Void) {
        forEachTile(rows, tile: max(8, (rows + 4 * threads - 1) / (4 * threads)), body)
    }

    /// Calls `body` on disjoint ranges covering `0..<count` elements of an element-wise pass
    /// (quantize, GELU, byte flips and lookups): about four per thread, at least 4096 and a
    /// multiple of 64 long, on the pool. Elements are independent, so the split does not change
    /// results.
    func forEachElementTile(_ count: Int, _ body: (Range<Int>) -> Void) {
        forEachTile(count, tile: max(4096, (count / (4 * threads) + 63) / 64 * 64), body)
    }

    /// Calls `body` on `0..<count` split into ranges of `tile` (the last shorter), on the pool, or
    /// once on this thread without one.
    func forEachTile(_ count: Int, tile: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        guard let pool else { body(0..<count); return }
        withoutActuallyEscaping(body) { escapable in
            var task = escapable
            withUnsafeMutablePointer(to: &task) { context in
                cnx_parallelize_1d_tile_1d(pool, { context, start, count in
                    context!.assumingMemoryBound(to: ((Range<Int>) -> Void).self).pointee(start..<(start + count))
                }, context, count, tile)
            }
        }
    }
}
#endif
