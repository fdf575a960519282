/// What ``qs8GRNRequantize(_:panels:)`` reads and writes: one int8 1x1 convolution with a
/// GRN folded into it, `y_n = B_n + Σ_k W[n][k]·σ_k·x_k`, `W[n][k] = weightScale[n]·c[n][k]`.
public struct GRNRequantizeParameters {
    /// The stored codes `c[n][k]` in ``PackedInt8PointwiseWeights``' layout, `[panel][k/4][16][4]`
    /// int8.
    public var codes: UnsafeRawPointer
    /// Groups of 4 input channels (K rounded up, over 4).
    public var kGroups: Int
    /// N; lanes past it in the last panel are written as zeros.
    public var outputChannels: Int
    /// GRN's per-channel scale `σ_k = 1 + γ_k·N_k` for this image, `[kGroups·4]`, zeros past K.
    public var inputScale: UnsafePointer<Float>
    /// The real value of one step of each output channel's stored codes, `[N]`.
    public var weightScale: UnsafePointer<Float>
    /// `B_n`: the float bias with GRN's β folded in (`b + W·β`), `[N]`.
    public var bias: UnsafePointer<Float>
    /// The uint8 input's scale and zero point (`x = scale·(u − zeroPoint)`).
    public var input: TensorQuantization
    /// Out: the requantized codes `q[n][k]`, same layout as `codes`.
    public var output: UnsafeMutableRawPointer
    /// Out, if given: the same codes as ``PackedInt8PointwiseWeights``' int16 pairs
    /// (`[panel][k/4][pair][16]`, what ``QU8PWConvVariant/int16Pairs`` reads), written in the same
    /// pass instead of widened after it.
    public var pairs: UnsafeMutableRawPointer?
    /// Out: the int32 accumulator start per output channel, `[panels·16]`.
    public var accumulatorStart: UnsafeMutablePointer<Int32>
    /// Out: the epilogue multiplier per output channel (`input.scale · t_n`), `[panels·16]`.
    public var multipliers: UnsafeMutablePointer<Float>

    /// Every field as documented above; `pairs` nil writes no int16 pairs.
    public init(codes: UnsafeRawPointer, kGroups: Int, outputChannels: Int, inputScale: UnsafePointer<Float>,
                weightScale: UnsafePointer<Float>, bias: UnsafePointer<Float>, input: TensorQuantization,
                output: UnsafeMutableRawPointer, pairs: UnsafeMutableRawPointer? = nil, accumulatorStart: UnsafeMutablePointer<Int32>,
                multipliers: UnsafeMutablePointer<Float>) {
        self.codes = codes; self.kGroups = kGroups; self.outputChannels = outputChannels; self.inputScale = inputScale
        self.weightScale = weightScale; self.bias = bias; self.input = input; self.output = output; self.pairs = pairs
        self.accumulatorStart = accumulatorStart; self.multipliers = multipliers
    }
}

/// `qs8-grn-requantize__swift`: the weights of an int8 1x1 whose input is scaled per channel by
/// a folded GRN, requantized for this image's scales `σ`, for `panels` of 16 output channels.
///
/// Per output channel `n`: `m_n = max_k |c[n][k]·σ_k|` (float products), the new step
/// `t_n = max(weightScale[n]·m_n/127, |B_n| / (input.scale·2³⁰))` (double; the second bound keeps
/// the accumulator start within ±2³⁰ when a channel's weights all but vanish), the codes
/// `q[n][k] = round(c[n][k]·σ_k·r_n)`, `r_n = float(weightScale[n]/t_n)` (float products, ties to
/// even, clamped to ±127), the accumulator start `round(B_n / (input.scale·t_n)) − zp·Σ_k q[n][k]`
/// (double, ties to even) and the multiplier `float(input.scale·t_n)`; a channel with `t_n = 0`
/// (no weights, no bias) gets zeros. Non-finite constants (only a corrupt file has them) give
/// meaningless values, never a trap. So `multiplier_n·(start_n + Σ_k q[n][k]·u_k)` approximates
/// `y_n` with full-range int8 weights for this image, for any kernel of
/// ``qu8PWConv(input:inputStride:rows:weights:epilogue:)``'s layout. The same codes on every
/// build and backend (no fused operations, no reassociation); panels are independent, so any split
/// of the panels over threads gives the same result. Never allocates.
public func qs8GRNRequantize(_ p: GRNRequantizeParameters, panels: Range<Int>) {
    let groups = p.kGroups
    let magic = SIMD16<Float>(repeating: 12_582_912), magicBits = SIMD16<Int32>(repeating: 0x4B40_0000)
    let down = SIMD16<Int32>(repeating: 24), limit = SIMD16<Float>(repeating: 127)
    /// Code `j` of each lane's 4 as floats: sign-extended by shifts, converted exactly by adding the
    /// bits of 1.5·2²³ (the codes are small integers).
    @inline(__always) func codes(_ word: SIMD16<Int32>, _ j: Int) -> SIMD16<Float> {
        let c = (word &<< SIMD16<Int32>(repeating: Int32(24 - 8 * j))) &>> down
        return unsafeBitCast(c &+ magicBits, to: SIMD16<Float>.self) - magic
    }
    for panel in panels {
        let source = p.codes + panel &* groups &* 64, destination = p.output + panel &* groups &* 64
        var largest = SIMD16<Float>()
        for g in 0..<groups {
            let word = (source + g &* 64).loadUnaligned(as: SIMD16<Int32>.self), s = p.inputScale + 4 &* g
            for j in 0..<4 {
                let v = codes(word, j) * SIMD16<Float>(repeating: s[j])
                // Comparisons and blends: `pointwiseMax` compiles to a loop over the lanes.
                let magnitude = v.replacing(with: -v, where: v .< 0)
                largest = largest.replacing(with: magnitude, where: magnitude .> largest)
            }
        }
        var ratio = SIMD16<Float>(), steps = SIMD16<Double>()
        for lane in 0..<16 where panel &* 16 &+ lane < p.outputChannels {
            let n = panel &* 16 &+ lane, w = Double(p.weightScale[n])
            let t = max(w * Double(largest[lane]) / 127, abs(Double(p.bias[n])) / (Double(p.input.scale) * 1_073_741_824))
            steps[lane] = t
            ratio[lane] = t > 0 ? Float(w / t) : 0
        }
        var sums = SIMD16<Int32>()
        let byte = SIMD16<Int32>(repeating: 0xFF), half = SIMD16<Int32>(repeating: 0xFFFF)
        for g in 0..<groups {
            let word = (source + g &* 64).loadUnaligned(as: SIMD16<Int32>.self), s = p.inputScale + 4 &* g
            @inline(__always) func quantized(_ j: Int) -> SIMD16<Int32> {
                var v = codes(word, j) * SIMD16<Float>(repeating: s[j]) * ratio
                v = v.replacing(with: limit, where: v .> limit).replacing(with: -limit, where: v .< -limit)
                // Ties to even: 1.5·2²³ added rounds into the low mantissa bits.
                return unsafeBitCast(v + magic, to: SIMD16<Int32>.self) &- magicBits
            }
            let q0 = quantized(0), q1 = quantized(1), q2 = quantized(2), q3 = quantized(3)
            sums &+= (q0 &+ q1) &+ (q2 &+ q3)
            // In steps: Debian's swiftlang 6.2 (the aarch64 cross toolchain) gives up type-checking
            // it as one expression.
            let low: SIMD16<Int32> = (q0 & byte) | ((q1 & byte) &<< 8)
            let high: SIMD16<Int32> = ((q2 & byte) &<< 16) | (q3 &<< 24)
            let packed = low | high
            (destination + g &* 64).storeBytes(of: packed, as: SIMD16<Int32>.self)
            if let pairs = p.pairs {
                // Each lane's (k0, k2) then (k1, k3) as int16 halves: 16 lanes of even pairs, then odd.
                let o = pairs + (panel &* groups &+ g) &* 128
                o.storeBytes(of: (q0 & half) | (q2 &<< 16), as: SIMD16<Int32>.self)
                o.storeBytes(of: (q1 & half) | (q3 &<< 16), toByteOffset: 64, as: SIMD16<Int32>.self)
            }
        }
        for lane in 0..<16 {
            let n = panel &* 16 &+ lane, t = steps[lane]
            guard n < p.outputChannels, t > 0 else {
                p.accumulatorStart[n] = 0
                p.multipliers[n] = 0
                continue
            }
            // Within ±2³⁰ by the choice of t; the clamp only meets non-finite constants (a corrupt
            // file), which must not trap.
            let start = Requantization.round(Double(p.bias[n]) / (Double(p.input.scale) * t))
            p.accumulatorStart[n] = (start.isNaN ? 0 : Int32(min(max(start, -1_073_741_824), 1_073_741_824))) &- p.input.zeroPoint &* sums[lane]
            p.multipliers[n] = Float(Double(p.input.scale) * t)
        }
    }
}
