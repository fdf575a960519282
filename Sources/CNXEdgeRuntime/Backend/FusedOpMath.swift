import Foundation

/// The small per-op computations every backend does the same way, so that backends agree exactly
/// on them: GRN's per-channel scale from its sums and the head's average pool.
enum FusedOpMath {
    /// GRN's per-channel scale `1 + γ_c · N_c`, `N_c = √s_c / (mean_c √s_c + 1e-6)`, from the
    /// float64 sums of squares `s` (`[c]`), summed in channel order.
    /// Writes `c` floats to `scale`; never allocates.
    static func grnScale(sums: UnsafePointer<Double>, gamma: UnsafePointer<Float>, channels c: Int,
                         scale: UnsafeMutablePointer<Float>) {
        var meanNorm = 0.0
        for i in 0..<c { meanNorm += sums[i].squareRoot() }
        meanNorm /= Double(c)
        for i in 0..<c { scale[i] = 1 + gamma[i] * Float(sums[i].squareRoot() / (meanNorm + 1e-6)) }
    }

    /// Pixels per block of ``channelSumOfSquares(_:pixels:channels:partials:into:runner:)``
    /// (the native backend's blocks too).
    static let sumOfSquaresBlock = 256

    /// Blocks ``channelSumOfSquares(_:pixels:channels:partials:into:runner:)`` splits `pixels` into.
    static func sumOfSquaresBlocks(pixels: Int) -> Int { (pixels + sumOfSquaresBlock - 1) / sumOfSquaresBlock }

    /// Per-channel sums over `pixels` are taken in fixed blocks of ``sumOfSquaresBlock`` pixels,
    /// each block into its own zeroed row of `partials` (`[blocks][channels]`), the blocks spread
    /// over threads; then ``addPartials(blocks:channels:partials:into:)`` adds the rows in block
    /// order. The same sums for any thread count: the one reduction behind GRN's statistics on
    /// every backend, float and int8. Block `b`'s pixels, and its partial row zeroed. (Callers loop
    /// over blocks in their own non-escaping closure: passing a block closure through a parallel
    /// one would need `withoutActuallyEscaping`, which allocates on every call.)
    @inline(__always)
    static func sumBlock<T: AdditiveArithmetic>(_ b: Int, pixels: Int, channels c: Int,
                                                partials: UnsafeMutablePointer<T>) -> (pixels: Range<Int>, partial: UnsafeMutablePointer<T>) {
        let partial = partials + b * c
        partial.update(repeating: .zero, count: c)
        return ((b * sumOfSquaresBlock)..<min(pixels, (b + 1) * sumOfSquaresBlock), partial)
    }

    /// `sums = Σ_b partials[b]`, in block order.
    static func addPartials<T: AdditiveArithmetic>(blocks: Int, channels c: Int, partials: UnsafeMutablePointer<T>,
                                                   into sums: UnsafeMutablePointer<T>) {
        sums.update(repeating: .zero, count: c)
        for b in 0..<blocks {
            let partial = partials + b * c
            for i in 0..<c { sums[i] += partial[i] }
        }
    }

    /// GRN's `sums[c] = Σ_p x[p, c]²` in double (blocks of ``sumBlock(_:pixels:channels:partials:)``
    /// with `f32-sumsq__swift`, on `runner`'s threads). Never allocates.
    static func channelSumOfSquares(_ x: UnsafePointer<Float>, pixels: Int, channels c: Int,
                                    partials: UnsafeMutablePointer<Double>, into sums: UnsafeMutablePointer<Double>,
                                    runner: ParallelRunner) {
        let blocks = sumOfSquaresBlocks(pixels: pixels)
        runner.forEachChunk(blocks) { r in
            for b in r {
                let (range, partial) = sumBlock(b, pixels: pixels, channels: c, partials: partials)
                f32SumSq(input: x, pixels: range, channels: c, sums: partial)
            }
        }
        addPartials(blocks: blocks, channels: c, partials: partials, into: sums)
    }

    /// `W·diag(scale)` for a folded GRN: row `k` of every `[inputChannels][16]` float panel times
    /// `scale[k]`, from `panels` into `scaled` (the bias is separate and unscaled). Never allocates.
    static func scaleInputRows(panels: UnsafePointer<Float>, panelCount: Int, inputChannels k: Int, by scale: UnsafePointer<Float>,
                               into scaled: UnsafeMutablePointer<Float>) {
        for panel in 0..<panelCount {
            let base = panel * k * 16
            for row in 0..<k {
                let s = scale[row], o = base + row * 16
                for j in 0..<16 { scaled[o + j] = panels[o + j] * s }
            }
        }
    }

    /// Global average pool of NHWC `[pixels][c]` into `pooled` (`[c]`), each channel summed in
    /// double in increasing pixel order. Never allocates.
    static func averagePool(_ input: UnsafePointer<Float>, pixels: Int, channels c: Int,
                            into pooled: UnsafeMutablePointer<Float>) {
        for ch in 0..<c {
            var sum = 0.0
            for q in 0..<pixels { sum += Double(input[q * c + ch]) }
            pooled[ch] = Float(sum / Double(pixels))
        }
    }
}

/// An int8 convolution as both backends run it: packed weights (borrowed from a `.cnx` file or
/// packed from the graph's values) and its epilogue multipliers (``Int8Math``).
struct Int8Conv {
    private(set) var weights: PackedInt8PointwiseWeights
    let multipliers: AlignedFloatBuffer

    /// Op constants `w` (int8), `b` (int32) and `weightScale` (float32) of `graph`, for an input
    /// of scale `input` and an output of scale `output` (1 for float outputs).
    init(_ graph: Graph, weight w: TensorID, bias b: TensorID, weightScale: TensorID, input: Float, output: Float = 1) {
        let s = graph[w].shape, n = s[0], k = s.dropFirst().reduce(1, *)
        if let pw = graph.packedConstants[w], let pb = graph.packedConstants[b] {
            weights = PackedInt8PointwiseWeights(panels: ConstantPacking.borrowed(pw), bias: ConstantPacking.borrowed(pb),
                                                 outputChannels: n, inputChannels: k)
        } else {
            weights = PackedInt8PointwiseWeights(weights: graph.integerConstants[w]!, bias: graph.integerConstants[b]!,
                                                 outputChannels: n, inputChannels: k)
        }
        let scales = graph.packedConstants[weightScale].map { c in
            Array(UnsafeBufferPointer(start: c.base.assumingMemoryBound(to: Float.self), count: n))
        } ?? graph.constants[weightScale]!
        multipliers = Int8Math.multipliers(inputScale: input, weightScales: scales, outputScale: output)
    }

    /// Weights and multipliers a backend rewrites for every image (``FoldedInt8Conv``).
    init(weights: PackedInt8PointwiseWeights, multipliers: AlignedFloatBuffer) {
        self.weights = weights
        self.multipliers = multipliers
    }
}

extension Int8Conv {
    /// This convolution with its weights widened once to int16 pairs (``PackedInt8PointwiseWeights/withInt16Pairs()``).
    func withInt16Pairs() -> Int8Conv {
        var copy = self
        copy.weights = weights.withInt16Pairs()
        return copy
    }

    /// An int8 1x1 + GELU's convolution, its multipliers to the pre-activation codes, and the GELU table.
    static func pointwiseGELU(_ p: QU8PointwiseGELUParameters, in graph: Graph) -> (conv: Int8Conv, table: [UInt8]) {
        (Int8Conv(graph, weight: p.weight, bias: p.bias, weightScale: p.weightScale, input: graph[p.input].quantization!.scale,
                  output: p.geluInput.scale),
         Int8Math.geluTable(input: p.geluInput, output: graph[p.output].quantization!))
    }

    /// An int8 1x1's convolution into float32.
    static func pointwise(_ p: QU8PointwiseParameters, in graph: Graph) -> Int8Conv {
        Int8Conv(graph, weight: p.weight, bias: p.bias, weightScale: p.weightScale, input: graph[p.input].quantization!.scale)
    }

    /// An int8 downsample's convolution into float32, on the LayerNorm's codes.
    static func downsample(_ p: QU8DownsampleParameters, in graph: Graph) -> Int8Conv {
        Int8Conv(graph, weight: p.weight, bias: p.bias, weightScale: p.weightScale, input: p.normQuantization.scale)
    }
}

/// The int8 ops' derived constants, computed one way for every backend so that their integer
/// results agree exactly: epilogue multipliers, the GELU table, GRN's requantization.
enum Int8Math {
    /// `inputScale · weightScale[n] / outputScale` per output channel (`outputScale` 1 for float
    /// outputs), in double, rounded once to float; `[ceil(N/16)·16]`, zero-padded.
    static func multipliers(inputScale: Float, weightScales: [Float], outputScale: Float = 1) -> AlignedFloatBuffer {
        AlignedFloatBuffer(count: (weightScales.count + 15) / 16 * 16) { m in
            for (n, s) in weightScales.enumerated() {
                m[n] = Float(Double(inputScale) * Double(s) / Double(outputScale))
            }
        }
    }

    /// The 256-entry GELU table: code `v` of `input` to the code of `output` nearest
    /// `GELU(input.scale · (v − input.zeroPoint))` (exact GELU in double, ties to even).
    static func geluTable(input: TensorQuantization, output: TensorQuantization) -> [UInt8] {
        (0..<256).map { v in
            let x = Double(input.scale) * Double(v - Int(input.zeroPoint))
            let g = 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
            return UInt8(Requantization.code(Requantization.round(g / Double(output.scale)) + Double(output.zeroPoint), in: 0...255))
        }
    }

    /// GRN's float64 sums of squares of real values from the exact integer sums of `(q − zp)²`.
    static func realSums(_ codes: UnsafePointer<Int64>, channels: Int, scale: Float, into sums: UnsafeMutablePointer<Double>) {
        let s2 = Double(scale) * Double(scale)
        for c in 0..<channels { sums[c] = Double(codes[c]) * s2 }
    }

    /// GRN on uint8 codes as ``u8ChannelAffine(_:rows:channels:zeroPoint:multiplier:offset:output:)``'s
    /// per-channel multiplier `S_in·(1 + γ_c·N_c)/S_out` and offset `β_c/S_out + zp_out`, from the
    /// sums of squares (GRN's scale `1 + γ·N` by ``FusedOpMath/grnScale(sums:gamma:channels:scale:)``).
    /// `scratch` holds `3·channels` floats: the scale, then the multipliers and offsets returned.
    static func grnAffine(sums: UnsafePointer<Double>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, channels: Int,
                          input: TensorQuantization, output: TensorQuantization, scratch: UnsafeMutablePointer<Float>)
        -> (multiplier: UnsafePointer<Float>, offset: UnsafePointer<Float>) {
        let scale = scratch, multiplier = scratch + channels, offset = scratch + 2 * channels
        FusedOpMath.grnScale(sums: sums, gamma: gamma, channels: channels, scale: scale)
        for c in 0..<channels {
            multiplier[c] = Float(Double(input.scale) * Double(scale[c]) / Double(output.scale))
            offset[c] = Float(Double(beta[c]) / Double(output.scale) + Double(output.zeroPoint))
        }
        return (UnsafePointer(multiplier), UnsafePointer(offset))
    }

    /// `sums[c] = Σ (x[p][c] − zp)²` over `pixels` uint8 pixels, exact (Int64), through
    /// blocks of ``FusedOpMath/sumBlock(_:pixels:channels:partials:)`` on `runner`'s threads.
    static func sumOfSquares(_ x: UnsafePointer<UInt8>, pixels: Int, channels c: Int, zeroPoint: Int32,
                             partials: UnsafeMutablePointer<Int64>, into sums: UnsafeMutablePointer<Int64>,
                             runner: ParallelRunner) {
        let blocks = FusedOpMath.sumOfSquaresBlocks(pixels: pixels)
        runner.forEachChunk(blocks) { r in
            for b in r {
                let (range, partial) = FusedOpMath.sumBlock(b, pixels: pixels, channels: c, partials: partials)
                u8SumSq(x, rows: range, channels: c, zeroPoint: zeroPoint, sums: partial)
            }
        }
        FusedOpMath.addPartials(blocks: blocks, channels: c, partials: partials, into: sums)
    }
}
