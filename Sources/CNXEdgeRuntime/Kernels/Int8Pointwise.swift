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

/// Eight int32 lanes, each in -2²²...2²², as floats, exactly: the integer plus 1.5·2²³ is a
/// float's bit pattern. (A SIMD `Float(SIMD8<Int32>)` compiles to an out-of-line call.)
@inline(__always)
private func smallFloats(_ v: SIMD8<Int32>) -> SIMD8<Float> {
    unsafeBitCast(v &+ SIMD8<Int32>(repeating: 0x4B40_0000), to: SIMD8<Float>.self) - SIMD8<Float>(repeating: 12_582_912)
}

/// The inverse of ``smallFloats(_:)`` for floats holding integers in -2²²...2²².
@inline(__always)
private func smallIntegers(_ v: SIMD8<Float>) -> SIMD8<Int32> {
    unsafeBitCast(v + SIMD8<Float>(repeating: 12_582_912), to: SIMD8<Int32>.self) &- SIMD8<Int32>(repeating: 0x4B40_0000)
}

/// Channels per float block: every partial sum of at most 128 products `code · weight`
/// (|·| ≤ 255 · 128) stays an integer below 2²², held exactly by a float.
private let exactChannels = 128

/// Σ_k x[r][k]·w[k][n] for six rows of float codes `x` (`[6][stride]`, 0 past K) and the 16
/// outputs of one panel of float weights `w` (`[stride][16]`), added to the int32 sums `out`
/// (`[6][16]`). Products are summed in float blocks of ``exactChannels``: every step is exact
/// (integers below 2²⁴), so the sums equal the integer ones.
@inline(never)
private func panelSums6(_ x: UnsafePointer<Float>, stride: Int, _ w: UnsafePointer<Float>, into out: UnsafeMutablePointer<Int32>) {
    let x0 = x, x1 = x + stride, x2 = x1 + stride, x3 = x2 + stride, x4 = x3 + stride, x5 = x4 + stride
    var k = 0
    while k < stride {
        let end = min(stride, k &+ exactChannels)
        var r00 = SIMD8<Float>(), r01 = SIMD8<Float>(), r10 = SIMD8<Float>(), r11 = SIMD8<Float>()
        var r20 = SIMD8<Float>(), r21 = SIMD8<Float>(), r30 = SIMD8<Float>(), r31 = SIMD8<Float>()
        var r40 = SIMD8<Float>(), r41 = SIMD8<Float>(), r50 = SIMD8<Float>(), r51 = SIMD8<Float>()
        while k < end {
            let w0 = load8(w + k &* 16), w1 = load8(w + (k &* 16 &+ 8))
            var a = splat(x0[k])
            r00 = multiplyAdd(r00, a, w0); r01 = multiplyAdd(r01, a, w1)
            a = splat(x1[k])
            r10 = multiplyAdd(r10, a, w0); r11 = multiplyAdd(r11, a, w1)
            a = splat(x2[k])
            r20 = multiplyAdd(r20, a, w0); r21 = multiplyAdd(r21, a, w1)
            a = splat(x3[k])
            r30 = multiplyAdd(r30, a, w0); r31 = multiplyAdd(r31, a, w1)
            a = splat(x4[k])
            r40 = multiplyAdd(r40, a, w0); r41 = multiplyAdd(r41, a, w1)
            a = splat(x5[k])
            r50 = multiplyAdd(r50, a, w0); r51 = multiplyAdd(r51, a, w1)
            k &+= 1
        }
        @inline(__always) func add(_ v: SIMD8<Float>, _ offset: Int) {
            let o = UnsafeMutableRawPointer(out + offset)
            o.storeBytes(of: o.loadUnaligned(as: SIMD8<Int32>.self) &+ smallIntegers(v), as: SIMD8<Int32>.self)
        }
        add(r00, 0); add(r01, 8); add(r10, 16); add(r11, 24); add(r20, 32); add(r21, 40)
        add(r30, 48); add(r31, 56); add(r40, 64); add(r41, 72); add(r50, 80); add(r51, 88)
    }
}

/// One packed panel (`[groups][16][4]` int8) as floats `[groups·4][16]`: shifts and the float
/// trick of ``smallFloats(_:)``.
@inline(never)
private func widenPanel(_ wp: UnsafeRawPointer, groups: Int, into w: UnsafeMutablePointer<Float>) {
    let down = SIMD8<Int32>(repeating: 24)
    for g in 0..<groups {
        let p = wp + g &* 64, o = w + g &* 64
        let v0 = p.loadUnaligned(as: SIMD8<Int32>.self), v1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Int32>.self)
        for j in 0..<4 {
            let up = SIMD8<Int32>(repeating: Int32(24 - 8 * j))
            store8(smallFloats((v0 &<< up) &>> down), o + j &* 16)
            store8(smallFloats((v1 &<< up) &>> down), o + (j &* 16 &+ 8))
        }
    }
}

/// `u8-pwconv__swift`: the int8 1x1 convolution. For every row `m` in `rows` and output `n`:
/// `acc = bias[n] + Σ_k input[m·inputStride + k] · w[n][k]` in exact int32, then `epilogue`.
/// Integer results are exact on every CPU and for any row split; the epilogue's float steps are
/// the same multiply, add and round-to-nearest-even the C kernels use. Never allocates (its
/// scratch, at most about 100 KB plus 64 bytes per input channel, is on the stack).
///
/// Runs as a float GEMM on exact integers (Swift's portable SIMD has no widening int16 multiply-add
/// that compiles to one instruction): a block of rows is widened to float once, each panel's weights
/// once per block, and tiles of 6 rows x 16 outputs sum in float blocks of ``exactChannels``.
public func u8PointwiseGEMM(input: UnsafePointer<UInt8>, inputStride: Int, rows: Range<Int>,
                            weights w: PackedInt8PointwiseWeights, epilogue: Int8Epilogue) {
    guard !rows.isEmpty else { return }
    let k = w.inputChannels, n = w.outputChannels, groups = w.kGroups, stride = groups * 4
    let panels = UnsafeRawPointer(w.panels.base), bias = UnsafeRawPointer(w.bias.base).assumingMemoryBound(to: Int32.self)
    // Rows per block: their floats within 96 KB, a whole number of 6-row tiles (each panel's
    // weights are widened once per block, so larger blocks widen less often).
    let blockRows = min((rows.count + 5) / 6 * 6, max(6, 24576 / stride / 6 * 6))
    withUnsafeTemporaryAllocation(of: Float.self, capacity: (blockRows + 16) * stride + 96) { scratch in
        let x = scratch.baseAddress!, wf = x + blockRows * stride
        let sums = UnsafeMutableRawPointer(wf + 16 * stride).assumingMemoryBound(to: Int32.self)
        var start = rows.lowerBound
        while start < rows.upperBound {
            let count = min(blockRows, rows.upperBound - start), tiles = (count + 5) / 6
            // Past the last row, the tile's rows repeat it.
            for r in 0..<(tiles * 6) {
                let a = input + (start + min(r, count - 1)) * inputStride, row = x + r * stride
                for j in 0..<k { row[j] = Float(a[j]) }
                for j in k..<stride { row[j] = 0 }
            }
            for panel in 0..<w.panelCount {
                widenPanel(panels + panel * groups * 64, groups: groups, into: wf)
                let b = UnsafeRawPointer(bias + panel * 16).loadUnaligned(as: SIMD16<Int32>.self)
                let lanes = min(16, n - panel * 16)
                for t in 0..<tiles {
                    for r in 0..<6 { UnsafeMutableRawPointer(sums + 16 * r).storeBytes(of: b, as: SIMD16<Int32>.self) }
                    panelSums6(x + 6 * t * stride, stride: stride, wf, into: sums)
                    for r in 0..<min(6, count - 6 * t) {
                        int8Epilogue(sums + 16 * r, row: start + 6 * t + r, column: panel * 16, lanes: lanes, n: n, epilogue)
                    }
                }
            }
            start += count
        }
    }
}

/// Applies `epilogue` to the int32 sums `acc[0..<lanes]` of row `m`, columns `c...`.
@inline(__always)
private func int8Epilogue(_ acc: UnsafePointer<Int32>, row m: Int, column c: Int,
                          lanes: Int, n: Int, _ epilogue: Int8Epilogue) {
    // Multipliers are padded to whole panels of 16 (``Int8Math/multipliers``). Scalar loops the
    // compiler vectorizes (a SIMD `Float(SIMD16<Int32>)` is an out-of-line call).
    switch epilogue {
    case let .float(scale, output):
        let s = scale + c, o = output + m * n + c
        if lanes == 16 {
            for j in 0..<16 { o[j] = Float(acc[j]) * s[j] }
        } else {
            for j in 0..<lanes { o[j] = Float(acc[j]) * s[j] }
        }
    case let .floatResidual(scale, output):
        let s = scale + c, o = output + m * n + c
        if lanes == 16 {
            for j in 0..<16 { o[j] = o[j] + Float(acc[j]) * s[j] }
        } else {
            for j in 0..<lanes { o[j] = o[j] + Float(acc[j]) * s[j] }
        }
    case let .codes(scale, zeroPoint, table, output):
        let s = scale + c, zp = Float(zeroPoint), o = output + m * n + c
        if lanes == 16 {
            // A fixed trip count the compiler turns into vector code; the table stays scalar.
            var f = SIMD16<Float>()
            for j in 0..<16 { f[j] = Float(acc[j]) }
            let v = codes16(f * UnsafeRawPointer(s).loadUnaligned(as: SIMD16<Float>.self), zeroPoint: zp)
            if let table {
                for j in 0..<16 { o[j] = table[Int(v[j])] }
            } else {
                UnsafeMutableRawPointer(o).storeBytes(of: v, as: SIMD16<UInt8>.self)
            }
        } else if let table {
            for j in 0..<lanes { o[j] = table[Int(code(Float(acc[j]) * s[j], zeroPoint: zp))] }
        } else {
            for j in 0..<lanes { o[j] = code(Float(acc[j]) * s[j], zeroPoint: zp) }
        }
    }
}

/// ``code(_:zeroPoint:)`` on 16 lanes, the same steps as vector operations.
@inline(__always)
private func codes16(_ v: SIMD16<Float>, zeroPoint zp: Float) -> SIMD16<UInt8> {
    let lo = SIMD16<Float>(repeating: -1 - zp), hi = SIMD16<Float>(repeating: 256 - zp)
    let magic = SIMD16<Float>(repeating: 12_582_912)
    var c = v.replacing(with: lo, where: v .< lo)
    c = c.replacing(with: hi, where: c .> hi)
    var r = (c + magic) - magic + SIMD16<Float>(repeating: zp)
    r = r.replacing(with: 0, where: r .< 0)
    r = r.replacing(with: 255, where: r .> 255)
    let bits = unsafeBitCast(r + magic, to: SIMD16<UInt32>.self)
    var out = SIMD16<UInt8>()
    for j in 0..<16 { out[j] = UInt8(truncatingIfNeeded: bits[j]) }
    return out
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
