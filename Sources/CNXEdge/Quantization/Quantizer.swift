import CNXEdgeRuntime

/// Why a graph cannot be quantized.
public enum QuantizationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An int32 bias would overflow (a float bias vastly larger than its input and weight scales).
    case biasOverflow(tensor: String, channel: Int)
    /// The graph is not a plain fp32 ConvNeXt V2 graph the quantizer understands (e.g. GRN folded
    /// into the next 1x1, or already int8).
    case unsupportedGraph(reason: String)

    public var description: String {
        switch self {
        case let .biasOverflow(t, c): "\(t): channel \(c)'s int32 bias overflows"
        case let .unsupportedGraph(reason): "cannot quantize this graph: \(reason)"
        }
    }
}

/// How ``Quantizer`` makes an int8 graph.
public struct QuantizationOptions: Sendable, Equatable {
    /// How activation ranges are chosen from the calibration statistics.
    public var calibration: CalibrationSpec
    /// Largest weight code: 127 (full int8, the default: 7-bit weights cost 4.5 dB of logits SQNR
    /// on the synthetic reference Atto), or 63 (7-bit weights, for comparison; every int8 kernel is
    /// exact for full-range weights).
    public var weightCodeLimit: Int32
    /// Ops left in float32: a depthwise + LN listed here keeps its whole block float (its output,
    /// and so the 1x1s, GELU and GRN after it); a downsample keeps its convolution float.
    public var floatOps: Set<Int>
    /// Calibrated ranges widened by these factors, by role: `"<op kind>.<what>"`, e.g.
    /// `"grn.output"` — headroom for images whose activations exceed every calibration image's.
    public var rangeMargins: [String: Float]
    /// Whether the convolutions that stay float32 (the 1x1s of ``floatOps``' blocks, every
    /// depthwise 7x7, the classifier) store their weights as int8 (``WeightOnlyInt8``, full ±127
    /// per output channel; float activations and math), the head in two planes (~15 bits: flat
    /// logits lost 1.1 dB of SQNR with one). The default: the int8 Atto's file 7.5 → 4.2 MB.
    public var weightOnlyFloatOps: Bool
    /// Whether each int8 block's GRN is folded into the 1x1 after it (the default): that 1x1 reads
    /// the GELU codes and requantizes its weights `W·diag(1 + γ·N)` per image, so GRN's output is
    /// never quantized. Measured (calibrated on the first 50 of `../shared/images`, 300 eval
    /// images): synthetic Atto / Femto / Pico logits SQNR median 37.2 / 36.7 / 35.8 → 39.6 / 39.5 /
    /// 37.8 dB; the trained Atto 49.6 → 51.4 dB with one block left float instead of two. `false`
    /// quantizes GRN's output to uint8 (with ``rangeMargins``' `grn.output` headroom) for the next
    /// 1x1's static int8 weights.
    public var foldGRN: Bool

    /// The default headroom: GRN's outputs get twice their calibrated range (when GRN is not
    /// folded). GRN scales each channel by its norm relative to the image's mean norm, so an image
    /// with one dominant channel overshoots every calibration image; clipping it cost 10+ dB on
    /// such images.
    public static let defaultRangeMargins: [String: Float] = ["grn.output": 2]

    public init(calibration: CalibrationSpec = CalibrationSpec(.minmax), weightCodeLimit: Int32 = 127, floatOps: Set<Int> = [],
                rangeMargins: [String: Float] = QuantizationOptions.defaultRangeMargins, weightOnlyFloatOps: Bool = true,
                foldGRN: Bool = true) {
        self.calibration = calibration
        self.weightCodeLimit = weightCodeLimit
        self.floatOps = floatOps
        self.rangeMargins = rangeMargins
        self.weightOnlyFloatOps = weightOnlyFloatOps
        self.foldGRN = foldGRN
    }
}

/// What calibration saw at every activation the int8 graph quantizes, by role
/// (``Quantizer/role(_:_:)``): enough to choose ranges with any method without running the model
/// again.
public struct CalibrationStatistics: Sendable {
    /// Observers by role, e.g. `"12.output"`, `"13.preactivation"`.
    public var observers: [String: ActivationObserver]
    /// Images observed.
    public var imageCount: Int
}

/// Post-training int8 quantization of a compiled fp32 graph.
///
/// The scheme (figures in the README's int8 section): weights int8, symmetric per output channel;
/// the inputs of every 1x1 and downsample convolution uint8 per tensor; the 1x1 + GELU's output
/// uint8 through a 256-entry table; GRN's statistics on those codes (in integers), GRN folded
/// into the next 1x1, whose weights are requantized per image (``QuantizationOptions/foldGRN``);
/// the residual stream, the depthwise 7x7, every LayerNorm's statistics, the stem and the head
/// stay float32. The result's ops are the fp32 graph's less the folded GRNs.
public enum Quantizer {
    /// The role name of op `op`'s quantized activation `what`.
    public static func role(_ op: Int, _ what: String) -> String { "\(op).\(what)" }

    /// Runs the fp32 `graph` on `backend` over `inputs` (NCHW tensors at the graph's input size)
    /// and records every activation the int8 graph will quantize.
    /// - Parameter progress: called after each image with the number done.
    /// - Throws: ``ExecutionError`` for a bad input, ``CalibrationError`` for a non-finite activation,
    ///   ``GraphError`` if `graph` does not verify or is already int8.
    public static func calibrate(_ graph: Graph, backend: any Backend, inputs: some Sequence<[Float]>,
                                 progress: (Int) -> Void = { _ in }) throws -> CalibrationStatistics {
        let model = try CompiledModel(graph: graph, backend: backend)
        var observers: [String: ActivationObserver] = [:]
        // fc1's pre-activation is internal to the fused op: recomputed from its input (fp32 GEMM).
        var preactivation: [Int: PackedPointwiseWeights] = [:]
        var norms: [Int: (gamma: [Float], beta: [Float], epsilon: Float)] = [:]
        for (i, op) in graph.ops.enumerated() {
            switch op {
            case let .pointwiseGELU(p):
                let s = graph[p.weight].shape
                preactivation[i] = PackedPointwiseWeights(weights: graph.constants[p.weight]!, bias: graph.constants[p.bias]!,
                                                         outputChannels: s[0], inputChannels: s[1])
            case let .downsample(p):
                let c = graph[p.input].shape[3]
                norms[i] = (p.norm.gamma.map { graph.constants[$0]! } ?? [Float](repeating: 1, count: c),
                            p.norm.beta.map { graph.constants[$0]! } ?? [Float](repeating: 0, count: c), p.norm.epsilon)
            case .stem, .depthwiseConvLN, .grn, .pointwise, .head: break
            }
        }
        // One buffer for the recomputed activations, grown to the largest and reused.
        var scratch: [Float] = []
        var count = 0
        for input in inputs {
            _ = try model.predict(input) { i, after, buffers in
                func observe(_ what: String, _ p: UnsafePointer<Float>, _ n: Int) throws {
                    try observers[role(i, what), default: ActivationObserver(name: role(i, what))]
                        .observe(UnsafeBufferPointer(start: p, count: n))
                }
                switch graph.ops[i] {
                case let .depthwiseConvLN(p) where after:
                    try observe("output", buffers.float(p.output), graph[p.output].elementCount)
                case let .pointwiseGELU(p) where !after:
                    let rows = graph[p.input].elementCount / graph[p.input].shape[3], w = preactivation[i]!
                    let n = rows * w.outputChannels
                    if scratch.count < n { scratch = [Float](repeating: 0, count: n) }
                    try scratch.withUnsafeMutableBufferPointer { out in
                        f32PointwiseGEMM(input: buffers.float(p.input), rows: 0..<rows, weights: w, epilogue: .none,
                                         residual: nil, output: out.baseAddress!)
                        try observe("preactivation", out.baseAddress!, n)
                    }
                case let .pointwiseGELU(p) where after:
                    try observe("output", buffers.float(p.output), graph[p.output].elementCount)
                case let .grn(p) where after:
                    try observe("output", buffers.float(p.output), graph[p.output].elementCount)
                case let .downsample(p) where !after:
                    let c = graph[p.input].shape[3], rows = graph[p.input].elementCount / c, n = norms[i]!
                    if scratch.count < rows * c { scratch = [Float](repeating: 0, count: rows * c) }
                    try scratch.withUnsafeMutableBufferPointer { out in
                        f32LayerNorm(input: buffers.float(p.input), rows: 0..<rows, channels: c, gamma: n.gamma,
                                     beta: n.beta, eps: n.epsilon, output: out.baseAddress!)
                        try observe("norm", out.baseAddress!, rows * c)
                    }
                default: break
                }
            }
            count += 1
            progress(count)
        }
        guard count > 0 else { throw CalibrationError.noImages(path: "calibration inputs") }
        return CalibrationStatistics(observers: observers, imageCount: count)
    }

    /// Blocks (by their depthwise + LN op) and downsamples to leave in float32, chosen greedily on
    /// `inputs` (calibration images): each round leaves float the candidate whose float version
    /// raises the median logits SQNR most over the current graph, while that gain is at least
    /// `thresholdDecibels`. One op usually dominates (the trained Atto, GRNs folded: stage 3's
    /// first block, +4.1 dB on the first 32 calibration images, then nothing gains 2 dB; with
    /// GRN's output quantized it was +19.7 dB, and after it stage 3's second block +2.3 dB, +0.2
    /// alone). Runs the model once per candidate per round; `gains` holds each candidate's gain in
    /// the last round that measured it.
    public static func sensitiveOps(_ graph: Graph, statistics: CalibrationStatistics, options: QuantizationOptions,
                                    inputs: [[Float]], backend: () -> any Backend,
                                    thresholdDecibels: Double = defaultSensitivityThreshold) throws -> (ops: Set<Int>, gains: [Int: Double]) {
        let fp32 = try CompiledModel(graph: graph, backend: backend())
        let reference = try inputs.map { try fp32.predict($0) }
        func median(_ floats: Set<Int>) throws -> Double {
            var o = options
            o.floatOps = floats
            let model = try CompiledModel(graph: try quantize(graph, statistics: statistics, options: o), backend: backend())
            let s = try inputs.indices.map { QuantizationAnalysis.sqnr(reference[$0], try model.predict(inputs[$0])) }.sorted()
            return s[s.count / 2]
        }
        let candidates = graph.ops.indices.filter { i in
            switch graph.ops[i] {
            case .depthwiseConvLN, .downsample: !options.floatOps.contains(i)
            default: false
            }
        }
        var chosen = options.floatOps, gains: [Int: Double] = [:], base = try median(chosen)
        while true {
            var best: (op: Int, median: Double)?
            for i in candidates where !chosen.contains(i) {
                let m = try median(chosen.union([i]))
                gains[i] = m - base
                if m - base >= thresholdDecibels && m > (best?.median ?? -.infinity) { best = (i, m) }
            }
            guard let best else { break }
            chosen.insert(best.op)
            base = best.median
        }
        return (chosen, gains)
    }

    /// ``sensitiveOps(_:statistics:options:inputs:backend:thresholdDecibels:)``'s default: a block
    /// is left float when that gains 2 dB of median logits SQNR on the calibration images.
    public static let defaultSensitivityThreshold = 2.0

    /// How many calibration images `cnx-edge compile` and `report` measure the sensitivity on (the
    /// first of the set): enough for a stable median, and the cost is one run per image per
    /// candidate per round.
    public static let sensitivityProbeImages = 32

    /// The int8 version of the fp32 `graph` with activation ranges from `statistics`.
    /// - Throws: ``CalibrationError`` if an activation was never observed, ``GraphError`` if the
    ///   result does not verify.
    public static func quantize(_ graph: Graph, statistics: CalibrationStatistics,
                                options: QuantizationOptions = QuantizationOptions()) throws -> Graph {
        var g = graph
        for op in graph.ops {
            if case let .pointwise(p) = op, p.inputScale != nil {
                throw QuantizationError.unsupportedGraph(reason: "GRN folded into a 1x1 convolution (compile without foldGRN)")
            }
            for t in op.inputs + op.outputs where graph[t].dataType == .uint8 {
                throw QuantizationError.unsupportedGraph(reason: "already int8")
            }
        }
        func activation(_ i: Int, _ what: String) throws -> TensorQuantization {
            guard let observer = statistics.observers[role(i, what)] else {
                throw CalibrationError.noData(tensor: role(i, what))
            }
            var q = try observer.quantization(for: options.calibration, qmin: 0, qmax: 255)
            if let margin = options.rangeMargins["\(graph.ops[i].kind).\(what)"] {
                let r = try observer.range(for: options.calibration, qmin: 0, qmax: 255)
                q = ActivationQuantization(range: QuantizationRange(lower: r.lower * margin, upper: r.upper * margin), qmin: 0, qmax: 255)
            }
            return TensorQuantization(scale: q.scale, zeroPoint: q.zeroPoint)
        }
        /// Symmetric per-output-channel codes within ±`limit` of float weight `weight`, and the steps.
        func symmetricCodes(_ weight: TensorID, limit: Int32) -> (codes: [Int32], scales: [Float]) {
            let n = g[weight].shape[0], k = g[weight].elementCount / n, w = g.constants[weight]!
            var codes = [Int32](repeating: 0, count: n * k), scales = [Float](repeating: 1, count: n)
            for row in 0..<n {
                let values = w[(row * k)..<((row + 1) * k)]
                let largest = values.reduce(0) { max($0, abs($1)) }
                let scale = largest > 0 ? largest / Float(limit) : 1
                scales[row] = scale
                for j in 0..<k {
                    codes[row * k + j] = Int32(max(-Float(limit), min(Float(limit), (values[row * k + j] / scale).rounded(.toNearestOrEven))))
                }
            }
            return (codes, scales)
        }
        /// int8 weights of a convolution whose input has `input`'s quantization.
        func int8(_ name: String, weight: TensorID, bias: TensorID, input: TensorQuantization) throws
            -> (weight: TensorID, bias: TensorID, int8: Int8Weights) {
            let shape = g[weight].shape, n = shape[0], k = g[weight].elementCount / n
            let b = g.constants[bias]!
            let (codes, scales) = symmetricCodes(weight, limit: options.weightCodeLimit)
            var biases = [Int32](repeating: 0, count: n)
            for row in 0..<n {
                let scale = scales[row]
                let sum = codes[(row * k)..<((row + 1) * k)].reduce(Int64(0)) { $0 + Int64($1) }
                let real = (Double(b[row]) / (Double(input.scale) * Double(scale))).rounded(.toNearestOrEven)
                let start = real - Double(input.zeroPoint) * Double(sum)
                guard abs(start) < Double(Int32.max) else { throw QuantizationError.biasOverflow(tensor: name, channel: row) }
                biases[row] = Int32(start)
            }
            let qw = g.addIntegerConstant(name + ".weight.int8", shape, .int8, codes)
            let qb = g.addIntegerConstant(name + ".bias.int32", [n], .int32, biases)
            let ws = g.addConstant(name + ".weight_scale", [n], scales)
            return (qw, qb, Int8Weights(weightScale: ws))
        }
        /// Weight-only int8 for a float convolution's `weight` (always full ±127: the math is
        /// float); `planes: 2` adds the second plane, the codes of what the first leaves.
        func weightOnly(_ weight: TensorID, planes: Int = 1) -> (weight: TensorID, weightOnly: WeightOnlyInt8) {
            let (codes, scales) = symmetricCodes(weight, limit: 127), name = g[weight].name, n = g[weight].shape[0]
            let k = g[weight].elementCount / n
            let qw = g.addIntegerConstant(name + ".int8", g[weight].shape, .int8, codes)
            let ws = g.addConstant(name + ".weight_scale", [n], scales)
            guard planes == 2 else { return (qw, WeightOnlyInt8(weightScale: ws)) }
            let original = g.constants[weight]!
            let rest = g.addConstant(name + ".rest", g[weight].shape, original.indices.map { original[$0] - Float(codes[$0]) * scales[$0 / k] })
            let (restCodes, restScales) = symmetricCodes(rest, limit: 127)
            let qr = g.addIntegerConstant(name + ".int8.plane2", g[weight].shape, .int8, restCodes)
            let rs = g.addConstant(name + ".weight_scale.plane2", [n], restScales)
            return (qw, WeightOnlyInt8(weightScale: ws, residualWeight: qr, residualScale: rs))
        }
        /// GRN `i` folded into the 1x1 that reads it (``Graph/foldGRNIntoReader(_:)``), whose
        /// weights become int8 codes and steps (requantized at run time) beside the float bias.
        func foldGRN(_ i: Int, _ grn: GRNParameters) throws {
            guard let j = try g.foldGRNIntoReader(i), case var .pointwise(pw) = g.ops[j] else {
                throw QuantizationError.unsupportedGraph(reason: "\(graph[grn.output].name) is not read by one 1x1 convolution alone")
            }
            let name = graph[pw.output].name + ".fc2", (codes, scales) = symmetricCodes(pw.weight, limit: options.weightCodeLimit)
            pw.int8 = Int8Weights(weightScale: g.addConstant(name + ".weight_scale", [g[pw.weight].shape[0]], scales))
            pw.weight = g.addIntegerConstant(name + ".weight.int8", g[pw.weight].shape, .int8, codes)
            g.ops[j] = .pointwise(pw)
            folded.insert(i)
        }
        var folded: Set<Int> = []
        for (i, op) in graph.ops.enumerated() where !options.floatOps.contains(i) {
            switch op {
            case let .depthwiseConvLN(p):
                g.quantize(p.output, try activation(i, "output"))
            case var .pointwiseGELU(p):
                guard g[p.input].dataType == .uint8, let input = g[p.input].quantization else { continue }
                let q = try int8(graph[p.output].name + ".fc1", weight: p.weight, bias: p.bias, input: input)
                p.weight = q.weight; p.bias = q.bias; p.int8 = q.int8
                p.geluInput = try activation(i, "preactivation")
                g.quantize(p.output, try activation(i, "output"))
                g.ops[i] = .pointwiseGELU(p)
            case let .grn(p):
                guard g[p.input].dataType == .uint8 else { continue }
                if options.foldGRN { try foldGRN(i, p) } else { g.quantize(p.output, try activation(i, "output")) }
            case var .pointwise(p):
                guard g[p.input].dataType == .uint8, let input = g[p.input].quantization, p.inputScale == nil else { continue }
                let q = try int8(graph[p.output].name + ".fc2", weight: p.weight, bias: p.bias, input: input)
                p.weight = q.weight; p.bias = q.bias; p.int8 = q.int8
                g.ops[i] = .pointwise(p)
            case var .downsample(p):
                let norm = try activation(i, "norm")
                let q = try int8(graph[p.output].name + ".downsample", weight: p.weight, bias: p.bias, input: norm)
                p.weight = q.weight; p.bias = q.bias; p.int8 = q.int8; p.normQuantization = norm
                g.ops[i] = .downsample(p)
            case .stem, .head: break
            }
        }
        if options.weightOnlyFloatOps {
            for (i, op) in g.ops.enumerated() {
                switch op {
                case var .pointwiseGELU(p) where p.int8 == nil:
                    (p.weight, p.weightOnly) = weightOnly(p.weight); g.ops[i] = .pointwiseGELU(p)
                case var .pointwise(p) where p.int8 == nil && p.inputScale == nil:
                    (p.weight, p.weightOnly) = weightOnly(p.weight); g.ops[i] = .pointwise(p)
                case var .downsample(p) where p.int8 == nil:
                    (p.weight, p.weightOnly) = weightOnly(p.weight); g.ops[i] = .downsample(p)
                case var .head(p):
                    (p.weight, p.weightOnly) = weightOnly(p.weight, planes: 2); g.ops[i] = .head(p)
                case var .depthwiseConvLN(p):
                    (p.weight, p.weightOnly) = weightOnly(p.weight); g.ops[i] = .depthwiseConvLN(p)
                default: break
                }
            }
        }
        g.ops = g.ops.enumerated().filter { !folded.contains($0.offset) }.map(\.element)
        g = g.droppingUnusedConstants()
        try g.verify()
        return g
    }
}
