import CNXEdge
import Foundation

/// Float64 definitions of every fused op, read from a one-op graph's constants and inputs (the
/// oracle of the op harness), and the int8 ops' documented integer rules.
extension ReferenceOps {
    /// Weights of `t` as real values: float32 values, or int8 codes times their row's steps (plus
    /// the second plane's).
    static func realWeights(_ g: Graph, _ t: TensorID, _ storage: WeightStorage) -> [Double] {
        switch storage {
        case .float32: return g.constants[t]!.map(Double.init)
        case let .int8(w):
            let n = g[t].shape[0], k = g[t].elementCount / n
            func plane(_ codes: TensorID, _ steps: TensorID) -> [Double] {
                let c = g.integerConstants[codes]!, s = g.constants[steps]!
                return c.indices.map { Double(c[$0]) * Double(s[$0 / k]) }
            }
            var values = plane(t, w.weightScale)
            if let r = w.residualWeight, let rs = w.residualScale {
                let rest = plane(r, rs)
                for i in values.indices { values[i] += rest[i] }
            }
            return values
        }
    }

    static func vector(_ g: Graph, _ t: TensorID?, _ c: Int, default value: Double) -> [Double] {
        t.map { g.constants[$0]!.map(Double.init) } ?? [Double](repeating: value, count: c)
    }

    /// LayerNorm `n` (its affine from `g`, ones and zeros where folded away) over `[rows, c]` in double.
    static func layerNorm(_ x: [Double], rows: Int, c: Int, _ g: Graph, _ n: LayerNormAffine) -> [Double] {
        layerNorm(x, rows: rows, channels: c, gamma: vector(g, n.gamma, c, default: 1), beta: vector(g, n.beta, c, default: 0),
                  eps: Double(n.epsilon))
    }

    /// GRN's scale `1 + γ_c · √s_c / (mean √s + 1e-6)` in double.
    static func grnScale(_ sums: [Double], _ gamma: [Double]) -> [Double] {
        let norms = sums.map { $0.squareRoot() }, mean = norms.reduce(0, +) / Double(sums.count)
        return norms.indices.map { 1 + gamma[$0] * norms[$0] / (mean + 1e-6) }
    }

    /// The real values of an input: floats, or codes dequantized with the tensor's quantization.
    static func real(_ one: OneOpGraph, _ t: TensorID) -> [Double] {
        switch one.inputs[t]! {
        case let .float(v): return v.map(Double.init)
        case let .codes(v):
            let q = one.graph[t].quantization!
            return v.map { Double(q.scale) * Double(Int32($0) - q.zeroPoint) }
        case let .double(v): return v
        }
    }

    /// Depthwise 7x7 (zero padding 3) + LayerNorm of NHWC `x`.
    static func depthwiseLN(_ one: OneOpGraph, _ p: DepthwiseConvLNParameters) -> [Double] {
        let g = one.graph, s = g[p.input].shape, (h, w, c) = (s[1], s[2], s[3])
        let conv = depthwise7x7(real(one, p.input), height: h, width: w, channels: c, weights: realWeights(g, p.weight, p.weightStorage),
                                bias: vector(g, p.bias, c, default: 0))
        return layerNorm(conv, rows: h * w, c: c, g, p.norm)
    }

    /// LayerNorm then a `patch`x`patch` stride-`patch` convolution of NHWC `x` (`[1, h, w, cin]`)
    /// with PyTorch's `[cout, cin, patch, patch]` weights.
    static func patchConv(_ x: [Double], h: Int, w: Int, cin: Int, patch: Int, weights wt: [Double], bias: [Double], cout: Int) -> [Double] {
        let oh = h / patch, ow = w / patch
        var out = [Double](repeating: 0, count: oh * ow * cout)
        for y in 0..<oh {
            for xx in 0..<ow {
                for n in 0..<cout {
                    var acc = bias[n]
                    for ci in 0..<cin {
                        for ky in 0..<patch {
                            for kx in 0..<patch {
                                acc += x[((y * patch + ky) * w + xx * patch + kx) * cin + ci] * wt[((n * cin + ci) * patch + ky) * patch + kx]
                            }
                        }
                    }
                    out[(y * ow + xx) * cout + n] = acc
                }
            }
        }
        return out
    }

    /// The float64 outputs of float op `one.op` (and of the float parts of the int8 ops, the
    /// codes' real values standing in for their inputs): one array per output tensor, in real values.
    public static func fused(_ one: OneOpGraph) -> [TensorID: [Double]] {
        let g = one.graph
        func shape(_ t: TensorID) -> (h: Int, w: Int, c: Int) { (g[t].shape[1], g[t].shape[2], g[t].shape[3]) }
        func vec(_ t: TensorID, _ c: Int) -> [Double] { vector(g, t, c, default: 0) }
        func sums(_ y: [Double], _ c: Int) -> [Double] {
            var s = [Double](repeating: 0, count: c)
            for i in y.indices { s[i % c] += y[i] * y[i] }
            return s
        }
        switch one.op {
        case let .stem(p):
            let (h, w) = (g.inputHeight, g.inputWidth), image = real(one, g.input), c = shape(p.output).c
            // NCHW image to NHWC for the patch convolution.
            var nhwc = [Double](repeating: 0, count: 3 * h * w)
            for ch in 0..<3 { for y in 0..<h { for x in 0..<w { nhwc[(y * w + x) * 3 + ch] = image[(ch * h + y) * w + x] } } }
            let conv = patchConv(nhwc, h: h, w: w, cin: 3, patch: 4, weights: realWeights(g, p.weight, .float32), bias: vec(p.bias, c), cout: c)
            return [p.output: layerNorm(conv, rows: (h / 4) * (w / 4), c: c, g, p.norm)]
        case let .depthwiseConvLN(p), let .qu8DepthwiseConvLN(p):
            return [p.output: depthwiseLN(one, p)]
        case let .pointwiseGELU(p):
            let x = shape(p.input), y = shape(p.output)
            let out = linear(real(one, p.input), rows: x.h * x.w, k: x.c, realWeights(g, p.weight, p.weightStorage), vec(p.bias, y.c), n: y.c)
                .map(gelu)
            return [p.output: out, p.sumOfSquares: sums(out, y.c)]
        case let .grn(p), let .qu8GRN(p):
            let x = shape(p.input), scale = grnScale(real(one, p.sumOfSquares), vec(p.gamma, x.c)), beta = vec(p.beta, x.c)
            return [p.output: real(one, p.input).enumerated().map { $0.element * scale[$0.offset % x.c] + beta[$0.offset % x.c] }]
        case let .pointwise(p):
            let x = shape(p.input), y = shape(p.output)
            var out = linear(real(one, p.input), rows: x.h * x.w, k: x.c, realWeights(g, p.weight, p.weightStorage), vec(p.bias, y.c), n: y.c)
            if let r = p.residual { out = zip(out, real(one, r)).map(+) }
            return [p.output: out]
        case let .grnPointwise(p):
            return [p.output: grnLinear(one, input: p.input, output: p.output, residual: p.residual, weights: realWeights(g, p.weight, .float32),
                                        bias: p.bias, grn: p.grn)]
        case let .qu8GRNPointwise(p):
            return [p.output: grnLinear(one, input: p.input, output: p.output, residual: p.residual,
                                        weights: realWeights(g, p.weight, .int8(WeightOnlyInt8(weightScale: p.weightScale))), bias: p.bias, grn: p.grn)]
        case let .downsample(p):
            let x = shape(p.input), y = shape(p.output)
            let normed = layerNorm(real(one, p.input), rows: x.h * x.w, c: x.c, g, p.norm)
            return [p.output: patchConv(normed, h: x.h, w: x.w, cin: x.c, patch: 2, weights: realWeights(g, p.weight, p.weightStorage),
                                        bias: vec(p.bias, y.c), cout: y.c)]
        case let .head(p):
            let x = shape(p.input), y = shape(p.output), input = real(one, p.input)
            var pooled = [Double](repeating: 0, count: x.c)
            for i in input.indices { pooled[i % x.c] += input[i] / Double(x.h * x.w) }
            let normed = layerNorm(pooled, rows: 1, c: x.c, g, p.norm)
            return [p.output: linear(normed, rows: 1, k: x.c, realWeights(g, p.weight, p.weightStorage), vec(p.bias, y.c), n: y.c)]
        case let .qu8Downsample(p):
            // LayerNorm in double, its codes by the op's quantization, the int8 convolution exact.
            let x = shape(p.input), y = shape(p.output), q = p.normQuantization
            let normed = layerNorm(real(one, p.input), rows: x.h * x.w, c: x.c, g, p.norm)
            let codes = normed.map { Double(Int32(quantize(Float($0), q)) - q.zeroPoint) * Double(q.scale) }
            let steps = g.constants[p.weightScale]!, k = x.c * 4
            let weights = g.integerConstants[p.weight]!.enumerated().map { Double($0.element) * Double(steps[$0.offset / k]) }
            // The int32 start holds the float bias over S_in·S_w minus zp·Σw; zp is already taken off the codes above.
            let bias = (0..<y.c).map { n in
                let start = Double(g.integerConstants[p.bias]![n]) + Double(q.zeroPoint) * Double(g.integerConstants[p.weight]![(n * k)..<((n + 1) * k)].reduce(0, +))
                return start * Double(q.scale) * Double(steps[n])
            }
            return [p.output: patchConv(codes, h: x.h, w: x.w, cin: x.c, patch: 2, weights: weights, bias: bias, cout: y.c)]
        case .qu8PointwiseGELU, .qu8Pointwise:
            return [:]  // integer math: ``int8Rule(_:)``
        }
    }

    /// GRN then a 1x1 (with residual) in double, from the input's real values.
    static func grnLinear(_ one: OneOpGraph, input: TensorID, output: TensorID, residual: TensorID?, weights: [Double], bias: TensorID,
                          grn: GRNInputScale) -> [Double] {
        let g = one.graph, s = g[input].shape, k = s[3], n = g[output].shape[3], rows = s[1] * s[2]
        let scale = grnScale(real(one, grn.sumOfSquares), vector(g, grn.gamma, k, default: 0))
        let x = real(one, input).enumerated().map { $0.element * scale[$0.offset % k] }
        var out = linear(x, rows: rows, k: k, weights, vector(g, bias, n, default: 0), n: n)
        if let residual { out = zip(out, real(one, residual)).map(+) }
        return out
    }

    /// ``TensorQuantization/quantize(_:inverseScale:)``'s rule.
    static func quantize(_ x: Float, _ q: TensorQuantization) -> UInt8 { q.quantize(x, inverseScale: q.inverseScale) }

    /// `clamp(round-half-even(y) + zp, 0, 255)` with `round(y)` first clamped to ±32768 (the
    /// kernels' saturating packs); NaN gives 0.
    public static func requantize(_ y: Float, _ zp: Int32) -> UInt8 {
        if y.isNaN { return 0 }
        let r = min(max(y.rounded(.toNearestOrEven), -32768), 32767)
        return UInt8(clamping: Int32(r) + zp)
    }

    /// The exact outputs of the integer-math int8 ops by their documented rules: the int32
    /// accumulator `start[n] + Σ_k q[k]·w[n, k]`; a float output `Float(acc) · m[n]` with
    /// `m = Float(S_in·S_w[n] / S_out)` (in double, rounded once), added onto the residual; a code
    /// output ``requantize(_:_:)`` of it, then the GELU table (`round(GELU(S_g·(v − zp_g)) / S_out) + zp_out`);
    /// GRN's sums `Σ (q − zp)²·S²`; GRN on codes `requantize((q − zp)·m_c + o_c, 0)` with
    /// `m_c = Float(S_in·σ_c / S_out)`, `o_c = Float(β_c / S_out + zp_out)`, each product and sum
    /// rounded to float. `nil` for the other ops.
    ///
    /// `xnnpack`: XNNPACK's qc8 rule for `qu8PointwiseGELU`, whose multiplier is
    /// `S_in · S_w[n] / S_g` evaluated in float32 (two roundings, not one in double): where
    /// `acc · m` lies within a float32 ulp of a rounding tie, a pre-activation code moves by one.
    public static func int8Rule(_ one: OneOpGraph, xnnpack: Bool = false) -> [TensorID: OpValues]? {
        let g = one.graph
        func accumulators(_ input: TensorID, _ weight: TensorID, _ bias: TensorID) -> [Int32] {
            let x = one.inputs[input]!.bytes, w = g.integerConstants[weight]!, b = g.integerConstants[bias]!
            let n = g[weight].shape[0], k = g[weight].elementCount / n, rows = x.count / k
            var acc = [Int32](repeating: 0, count: rows * n)
            for r in 0..<rows {
                for j in 0..<n {
                    var a = b[j]
                    for i in 0..<k { a &+= Int32(x[r * k + i]) * w[j * k + i] }
                    acc[r * n + j] = a
                }
            }
            return acc
        }
        func multipliers(_ input: Float, _ steps: TensorID, output: Float = 1) -> [Float] {
            g.constants[steps]!.map { xnnpack ? input * $0 / output : Float(Double(input) * Double($0) / Double(output)) }
        }
        switch one.op {
        case let .qu8Pointwise(p):
            let acc = accumulators(p.input, p.weight, p.bias), n = g[p.weight].shape[0]
            let m = multipliers(g[p.input].quantization!.scale, p.weightScale)
            let residual = p.residual.map { one.inputs[$0]!.floats }
            return [p.output: .float(acc.indices.map { i in
                let y = Float(acc[i]) * m[i % n]
                return residual.map { $0[i] + y } ?? y
            })]
        case let .qu8PointwiseGELU(p):
            let acc = accumulators(p.input, p.weight, p.bias), n = g[p.weight].shape[0], out = g[p.output].quantization!
            let m = multipliers(g[p.input].quantization!.scale, p.weightScale, output: p.geluInput.scale)
            let table = (0..<256).map { v -> UInt8 in
                let x = Double(p.geluInput.scale) * Double(v - Int(p.geluInput.zeroPoint))
                return UInt8(min(max((gelu(x) / Double(out.scale)).rounded(.toNearestOrEven) + Double(out.zeroPoint), 0), 255))
            }
            let codes = acc.indices.map { table[Int(requantize(Float(acc[$0]) * m[$0 % n], p.geluInput.zeroPoint))] }
            var exact = [Int64](repeating: 0, count: n)
            for i in codes.indices { let d = Int64(codes[i]) - Int64(out.zeroPoint); exact[i % n] += d * d }
            let s2 = Double(out.scale) * Double(out.scale)
            return [p.output: .codes(codes), p.sumOfSquares: .double(exact.map { Double($0) * s2 })]
        case let .qu8GRN(p):
            let c = g[p.input].shape[3], input = g[p.input].quantization!, output = g[p.output].quantization!
            let sums = one.inputs[p.sumOfSquares]!.doubles, gamma = g.constants[p.gamma]!, beta = g.constants[p.beta]!
            var mean = 0.0
            for s in sums { mean += s.squareRoot() }
            mean /= Double(c)
            let sigma = (0..<c).map { 1 + gamma[$0] * Float(sums[$0].squareRoot() / (mean + 1e-6)) }
            let m = sigma.map { Float(Double(input.scale) * Double($0) / Double(output.scale)) }
            let o = beta.map { Float(Double($0) / Double(output.scale) + Double(output.zeroPoint)) }
            return [p.output: .codes(one.inputs[p.input]!.bytes.enumerated().map { i, q in
                let d = Float(Int32(q) - input.zeroPoint), y = d * m[i % c]
                return requantize(y + o[i % c], 0)
            })]
        case .stem, .depthwiseConvLN, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .downsample, .head, .qu8DepthwiseConvLN,
             .qu8GRNPointwise, .qu8Downsample:
            return nil
        }
    }
}
