/// int8 weights of a 1x1 (or patch) convolution packed for ``u8PointwiseGEMM(input:inputStride:rows:weights:epilogue:)``:
/// panels of 16 output channels, K rounded up to a multiple of 4, `[ceil(N/16)][ceil(K/4)][16][4]`
/// int8 (zeros in the padding), and the int32 accumulator start values `[ceil(N/16)·16]`. The
/// native backend's C kernels read the same layout, which is what a `.cnx` file stores.
public struct PackedInt8PointwiseWeights: Sendable {
    public let outputChannels: Int
    public let inputChannels: Int
    /// `[panel][k/4][16][4]` int8.
    let panels: AlignedFloatBuffer
    /// `[ceil(N/16)·16]` int32.
    let bias: AlignedFloatBuffer

    /// Groups of 4 input channels.
    public var kGroups: Int { (inputChannels + 3) / 4 }
    /// Panels of 16 output channels.
    public var panelCount: Int { (outputChannels + 15) / 16 }

    /// Bytes of the packed weights of an `n`x`k` convolution.
    public static func packedBytes(outputChannels n: Int, inputChannels k: Int) -> Int { (n + 15) / 16 * 16 * ((k + 3) / 4 * 4) }

    /// Packs row-major int8 codes `weights` (`[n][k]`, each in -128...127) and int32 `bias` (`[n]`).
    public init(weights: [Int32], bias: [Int32], outputChannels n: Int, inputChannels k: Int) {
        precondition(weights.count == n * k && bias.count == n, "int8 weights: \(weights.count) codes, \(bias.count) biases for \(n)x\(k)")
        outputChannels = n
        inputChannels = k
        let groups = (k + 3) / 4
        panels = AlignedFloatBuffer(count: Self.packedBytes(outputChannels: n, inputChannels: k) / 4) { p in
            let bytes = UnsafeMutableRawPointer(p).assumingMemoryBound(to: Int8.self)
            for o in 0..<n {
                let panel = o / 16, lane = o % 16
                for j in 0..<k {
                    bytes[((panel * groups + j / 4) * 16 + lane) * 4 + j % 4] = Int8(weights[o * k + j])
                }
            }
        }
        self.bias = AlignedFloatBuffer(count: (n + 15) / 16 * 16) { p in
            let b = UnsafeMutableRawPointer(p).assumingMemoryBound(to: Int32.self)
            for o in 0..<n { b[o] = bias[o] }
        }
    }

    /// Borrows packed weights and biases in this layout (a mapped `.cnx` file's).
    init(panels: AlignedFloatBuffer, bias: AlignedFloatBuffer, outputChannels: Int, inputChannels: Int) {
        self.panels = panels
        self.bias = bias
        self.outputChannels = outputChannels
        self.inputChannels = inputChannels
    }

    /// The packed bytes, for a file writer.
    public var packedBytes: [Int8] {
        let n = Self.packedBytes(outputChannels: outputChannels, inputChannels: inputChannels)
        return Array(UnsafeBufferPointer(start: UnsafeRawPointer(panels.base).assumingMemoryBound(to: Int8.self), count: n))
    }
}

/// What ``u8PointwiseGEMM(input:inputStride:rows:weights:epilogue:)`` does with each int32
/// accumulator `acc[m][n]` (`f = Float(acc) · scale[n]`, a rounded multiply):
public enum Int8Epilogue {
    /// `output[m][n] = f` (float32 rows of N).
    case float(scale: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>)
    /// `output[m][n] = output[m][n] + f`: the residual stream, updated in place.
    case floatResidual(scale: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>)
    /// `v = clamp(round(f) + zeroPoint, 0, 255)` (ties to even), then `table[v]` if there is a
    /// table: uint8 rows of N.
    case codes(scale: UnsafePointer<Float>, zeroPoint: Int32, table: UnsafePointer<UInt8>?, output: UnsafeMutablePointer<UInt8>)
}

/// `clamp(round(v) + zeroPoint, 0, 255)` (ties to even), what the C kernels compute. Rounds by
/// adding 1.5·2²³, whose sum holds the nearest integer in its low mantissa bits (default rounding
/// mode). Scalar, for loops the compiler vectorizes: `rounded`, `clamped` and `SIMD<Int32>(floats)`
/// on SIMD vectors compile to a call per vector or per lane.
@inline(__always)
func code(_ v: Float, zeroPoint: Float) -> UInt8 {
    // Clamping to [−1 − zp, 256 − zp] first gives the same code (rounding is monotonic) and keeps
    // every step exact in float.
    let c = Swift.min(Swift.max(v, -1 - zeroPoint), 256 - zeroPoint)
    let r = Swift.min(Swift.max((c + 12_582_912) - 12_582_912 + zeroPoint, 0), 255)
    return UInt8(truncatingIfNeeded: (r + 12_582_912).bitPattern)
}

/// Pair products summed into int32 lanes (`vpmaddwd` on x86): lane `i` is
/// `a[2i]·b[2i] + a[2i+1]·b[2i+1]`, exact.
@inline(__always)
private func pairProducts(_ a: SIMD16<Int16>, _ b: SIMD16<Int16>) -> SIMD8<Int32> {
    SIMD8<Int32>(truncatingIfNeeded: a.evenHalf) &* SIMD8<Int32>(truncatingIfNeeded: b.evenHalf)
        &+ SIMD8<Int32>(truncatingIfNeeded: a.oddHalf) &* SIMD8<Int32>(truncatingIfNeeded: b.oddHalf)
}

/// Four input codes of row `a` from channel `k`, as one little-endian word; channels past
/// `channels` read as 0 (the last group of a K that is not a multiple of 4 never reads past the row).
@inline(__always)
private func fourCodes(_ a: UnsafePointer<UInt8>, _ k: Int, _ channels: Int) -> UInt32 {
    if k + 4 <= channels { return UnsafeRawPointer(a + k).loadUnaligned(as: UInt32.self) }
    var word: UInt32 = 0
    for j in 0..<(channels - k) { word |= UInt32(a[k + j]) << (8 * j) }
    return word
}

/// Σ_k a[k]·w[n][k] for the 16 outputs of one panel and two rows `a0`, `a1`: kept small and
/// separate so the compiler inlines the vector widenings (in a larger body it calls them).
@inline(never)
private func panelSums(_ a0: UnsafePointer<UInt8>, _ a1: UnsafePointer<UInt8>, _ wp: UnsafeRawPointer,
                       groups: Int, channels k: Int) -> (SIMD16<Int32>, SIMD16<Int32>) {
    var r0 = (SIMD8<Int32>(), SIMD8<Int32>(), SIMD8<Int32>(), SIMD8<Int32>())
    var r1 = r0
    for g in 0..<groups {
        let x0 = SIMD16<Int16>(truncatingIfNeeded: unsafeBitCast(SIMD4<UInt32>(repeating: fourCodes(a0, 4 * g, k)), to: SIMD16<UInt8>.self))
        let x1 = SIMD16<Int16>(truncatingIfNeeded: unsafeBitCast(SIMD4<UInt32>(repeating: fourCodes(a1, 4 * g, k)), to: SIMD16<UInt8>.self))
        let p = wp + g * 64
        let w0 = SIMD16<Int16>(truncatingIfNeeded: p.loadUnaligned(as: SIMD16<Int8>.self))
        let w1 = SIMD16<Int16>(truncatingIfNeeded: p.loadUnaligned(fromByteOffset: 16, as: SIMD16<Int8>.self))
        let w2 = SIMD16<Int16>(truncatingIfNeeded: p.loadUnaligned(fromByteOffset: 32, as: SIMD16<Int8>.self))
        let w3 = SIMD16<Int16>(truncatingIfNeeded: p.loadUnaligned(fromByteOffset: 48, as: SIMD16<Int8>.self))
        r0.0 &+= pairProducts(x0, w0); r0.1 &+= pairProducts(x0, w1)
        r0.2 &+= pairProducts(x0, w2); r0.3 &+= pairProducts(x0, w3)
        r1.0 &+= pairProducts(x1, w0); r1.1 &+= pairProducts(x1, w1)
        r1.2 &+= pairProducts(x1, w2); r1.3 &+= pairProducts(x1, w3)
    }
    // Lanes 2j and 2j+1 of part q hold output 4q+j's two halves.
    func sums(_ r: (SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>, SIMD8<Int32>)) -> SIMD16<Int32> {
        let lo = SIMD8<Int32>(lowHalf: r.0.evenHalf &+ r.0.oddHalf, highHalf: r.1.evenHalf &+ r.1.oddHalf)
        let hi = SIMD8<Int32>(lowHalf: r.2.evenHalf &+ r.2.oddHalf, highHalf: r.3.evenHalf &+ r.3.oddHalf)
        return SIMD16<Int32>(lowHalf: lo, highHalf: hi)
    }
    return (sums(r0), sums(r1))
}

/// `u8-pwconv__swift`: the int8 1x1 convolution. For every row `m` in `rows` and output `n`:
/// `acc = bias[n] + Σ_k input[m·inputStride + k] · w[n][k]` in exact int32, then `epilogue`.
/// Integer results are exact on every CPU and for any row split; the epilogue's float steps are
/// the same multiply, add and round-to-nearest-even the C kernels use. Never allocates.
public func u8PointwiseGEMM(input: UnsafePointer<UInt8>, inputStride: Int, rows: Range<Int>,
                            weights w: PackedInt8PointwiseWeights, epilogue: Int8Epilogue) {
    let k = w.inputChannels, n = w.outputChannels, groups = w.kGroups
    let panels = UnsafeRawPointer(w.panels.base), bias = UnsafeRawPointer(w.bias.base).assumingMemoryBound(to: Int32.self)
    var m = rows.lowerBound
    while m < rows.upperBound {
        // Two rows share each weight load; a lone last row runs with itself as its twin.
        let pair = m + 1 < rows.upperBound
        let a0 = input + m * inputStride, a1 = pair ? a0 + inputStride : a0
        for panel in 0..<w.panelCount {
            let wp = panels + panel * groups * 64
            let (s0, s1) = panelSums(a0, a1, wp, groups: groups, channels: k)
            let b = UnsafeRawPointer(bias + panel * 16).loadUnaligned(as: SIMD16<Int32>.self)
            let lanes = min(16, n - panel * 16)
            int8Epilogue(s0 &+ b, row: m, column: panel * 16, lanes: lanes, n: n, epilogue)
            if pair { int8Epilogue(s1 &+ b, row: m + 1, column: panel * 16, lanes: lanes, n: n, epilogue) }
        }
        m += pair ? 2 : 1
    }
}

@inline(__always)
private func int8Epilogue(_ acc: SIMD16<Int32>, row m: Int, column c: Int, lanes: Int, n: Int, _ epilogue: Int8Epilogue) {
    // Multipliers are padded to whole panels of 16 (``Int8Math/multipliers``).
    @inline(__always) func scaled(_ scale: UnsafePointer<Float>) -> SIMD16<Float> {
        SIMD16<Float>(acc) * UnsafeRawPointer(scale + c).loadUnaligned(as: SIMD16<Float>.self)
    }
    switch epilogue {
    case let .float(scale, output):
        let f = scaled(scale), o = output + m * n + c
        for j in 0..<lanes { o[j] = f[j] }
    case let .floatResidual(scale, output):
        let f = scaled(scale), o = output + m * n + c
        for j in 0..<lanes { o[j] = o[j] + f[j] }
    case let .codes(scale, zeroPoint, table, output):
        let f = scaled(scale), zp = Float(zeroPoint), o = output + m * n + c
        if let table {
            for j in 0..<lanes { o[j] = table[Int(code(f[j], zeroPoint: zp))] }
        } else {
            for j in 0..<lanes { o[j] = code(f[j], zeroPoint: zp) }
        }
    }
}

/// `f32-quantize-u8__swift`: `out[i] = clamp(round(x[i] · inverseScale) + zeroPoint, 0, 255)`,
/// ties to even, for `i` in `range`. Never allocates.
public func f32QuantizeU8(_ x: UnsafePointer<Float>, range: Range<Int>, inverseScale: Float, zeroPoint: Int32,
                          output: UnsafeMutablePointer<UInt8>) {
    let zp = Float(zeroPoint)
    for i in range { output[i] = code(x[i] * inverseScale, zeroPoint: zp) }
}

/// `u8-sumsq__swift`: `sums[c] += Σ_rows (x[r][c] − zeroPoint)²`, exact. Never allocates.
public func u8ChannelSumOfSquares(_ x: UnsafePointer<UInt8>, rows: Range<Int>, channels: Int, zeroPoint: Int32,
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
