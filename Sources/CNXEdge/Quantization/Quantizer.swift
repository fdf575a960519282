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
    /// Calibrated ranges widened by these factors, by role kind, e.g. `.grnOutput` — headroom
    /// for images whose activations exceed every calibration image's.
    public var rangeMargins: [CalibrationRole.Kind: Float]
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
    /// quantizes GRN's output to uint8 (with ``rangeMargins``' `.grnOutput` headroom) for the next
    /// 1x1's static int8 weights.
    public var foldGRN: Bool
    /// Headroom of the per-channel output steps stored for XNNPACK's int8 downsample
    /// (``QU8DownsampleParameters/outputSteps``): calibration's largest magnitude per channel
    /// times this is code ±127. Codes beyond it saturate.
    public var downsampleOutputMargin: Float = 1.25

    /// The default headroom: GRN's outputs get twice their calibrated range (when GRN is not
    /// folded). GRN scales each channel by its norm relative to the image's mean norm, so an image
    /// with one dominant channel overshoots every calibration image; clipping it cost 10+ dB on
    /// such images.
    public static let defaultRangeMargins: [CalibrationRole.Kind: Float] = [.grnOutput: 2]

    public init(calibration: CalibrationSpec = CalibrationSpec(.minmax), weightCodeLimit: Int32 = 127, floatOps: Set<Int> = [],
                rangeMargins: [CalibrationRole.Kind: Float] = QuantizationOptions.defaultRangeMargins, weightOnlyFloatOps: Bool = true,
                foldGRN: Bool = true) {
        self.calibration = calibration
        self.weightCodeLimit = weightCodeLimit
        self.floatOps = floatOps
        self.rangeMargins = rangeMargins
        self.weightOnlyFloatOps = weightOnlyFloatOps
        self.foldGRN = foldGRN
    }
}

/// What calibration saw at every activation the int8 graph may quantize, by role: enough to
/// choose ranges with any method without running the model again.
public struct CalibrationStatistics: Sendable {
    /// Observers by role, e.g. `CalibrationRole(.geluInput, %14)`.
    public var observers: [CalibrationRole: ActivationObserver]
    /// Images observed.
    public var imageCount: Int
    /// Each float downsample output's largest magnitude per channel, by the output tensor: the
    /// per-channel steps XNNPACK's int8 downsample writes codes of (``QU8DownsampleParameters/outputSteps``).
    public var channelMaxima: [TensorID: [Float]] = [:]

    public init(observers: [CalibrationRole: ActivationObserver], imageCount: Int, channelMaxima: [TensorID: [Float]] = [:]) {
        self.observers = observers
        self.imageCount = imageCount
        self.channelMaxima = channelMaxima
    }
}

/// Post-training int8 quantization of a compiled fp32 graph.
///
/// The scheme (figures in the README's int8 section): weights int8, symmetric per output channel;
/// the inputs of every 1x1 and downsample convolution uint8 per tensor; the 1x1 + GELU's output
/// uint8 through a 256-entry table; GRN's statistics on those codes (in integers), GRN folded
/// into the next 1x1, whose weights are requantized per image (``QuantizationOptions/foldGRN``);
/// the residual stream, the depthwise 7x7, every LayerNorm's statistics, the stem and the head
/// stay float32. The result's ops are the fp32 graph's less the folded GRNs.
///
/// ``quantize(_:statistics:options:)`` is a list of compiler passes (``passes(for:statistics:options:)``),
/// each in its own file under `Quantization/Passes/` and verified after it runs:
/// `fold-grn-int8`, `int8-blocks`, `int8-downsamples`, `weight-only-int8`.
public enum Quantizer {
    /// Runs the fp32 `graph` on `backend` over `inputs` (NCHW tensors at the graph's input size)
    /// and records every activation the int8 graph may quantize (``CalibrationRole``).
    /// - Parameter progress: called after each image with the number done.
    /// - Throws: ``ExecutionError`` for a bad input, ``CalibrationError`` for a non-finite activation,
    ///   ``GraphError`` if `graph` does not verify, ``QuantizationError`` if it is not a float graph.
    public static func calibrate(_ graph: Graph, backend: any Backend, inputs: some Sequence<[Float]>,
                                 progress: (Int) -> Void = { _ in }) throws -> CalibrationStatistics {
        try requireFloat(graph)
        let model = try CompiledModel(graph: graph, backend: backend)
        var observers: [CalibrationRole: ActivationObserver] = [:]
        var channelMaxima: [TensorID: [Float]] = [:]
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
            case .stem, .depthwiseConvLN, .grn, .pointwise, .grnPointwise, .head, .qu8DepthwiseConvLN, .qu8PointwiseGELU, .qu8GRN,
                 .qu8Pointwise, .qu8GRNPointwise, .qu8Downsample: break
            }
        }
        // One buffer for the recomputed activations, grown to the largest and reused.
        var scratch: [Float] = []
        var count = 0
        for input in inputs {
            _ = try model.predict(input) { i, after, buffers in
                func observe(_ kind: CalibrationRole.Kind, _ t: TensorID, _ p: UnsafePointer<Float>, _ n: Int) throws {
                    let role = CalibrationRole(kind, t)
                    try observers[role, default: ActivationObserver(name: role.name(in: graph))]
                        .observe(UnsafeBufferPointer(start: p, count: n))
                }
                switch graph.ops[i] {
                case let .depthwiseConvLN(p) where after:
                    try observe(.depthwiseOutput, p.output, buffers.float(p.output), graph[p.output].elementCount)
                case let .pointwiseGELU(p) where !after:
                    let rows = graph[p.input].elementCount / graph[p.input].shape[3], w = preactivation[i]!
                    let n = rows * w.outputChannels
                    if scratch.count < n { scratch = [Float](repeating: 0, count: n) }
                    try scratch.withUnsafeMutableBufferPointer { out in
                        f32PWConv(input: buffers.float(p.input), rows: 0..<rows, weights: w, epilogue: .none,
                                         residual: nil, output: out.baseAddress!)
                        try observe(.geluInput, p.output, out.baseAddress!, n)
                    }
                case let .pointwiseGELU(p) where after:
                    try observe(.geluOutput, p.output, buffers.float(p.output), graph[p.output].elementCount)
                case let .grn(p) where after:
                    try observe(.grnOutput, p.output, buffers.float(p.output), graph[p.output].elementCount)
                case let .downsample(p) where !after:
                    let c = graph[p.input].shape[3], rows = graph[p.input].elementCount / c, n = norms[i]!
                    if scratch.count < rows * c { scratch = [Float](repeating: 0, count: rows * c) }
                    try scratch.withUnsafeMutableBufferPointer { out in
                        f32LayerNorm(input: buffers.float(p.input), rows: 0..<rows, channels: c, gamma: n.gamma,
                                     beta: n.beta, eps: n.epsilon, output: out.baseAddress!)
                        try observe(.downsampleNorm, p.input, out.baseAddress!, rows * c)
                    }
                case let .downsample(p) where after:
                    let c = graph[p.output].shape[3], y = buffers.float(p.output)
                    var largest = channelMaxima[p.output] ?? [Float](repeating: 0, count: c)
                    for i in 0..<graph[p.output].elementCount { largest[i % c] = max(largest[i % c], abs(y[i])) }
                    channelMaxima[p.output] = largest
                case .stem, .depthwiseConvLN, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .downsample, .head, .qu8DepthwiseConvLN,
                     .qu8PointwiseGELU, .qu8GRN, .qu8Pointwise, .qu8GRNPointwise, .qu8Downsample: break
                }
            }
            count += 1
            progress(count)
        }
        guard count > 0 else { throw CalibrationError.noImages(path: "calibration inputs") }
        return CalibrationStatistics(observers: observers, imageCount: count, channelMaxima: channelMaxima)
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
            case .stem, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .head, .qu8DepthwiseConvLN, .qu8PointwiseGELU, .qu8GRN,
                 .qu8Pointwise, .qu8GRNPointwise, .qu8Downsample: false
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

    /// The quantizer's passes for the fp32 `graph`, in order: `fold-grn-int8` (with
    /// ``QuantizationOptions/foldGRN``), `int8-blocks`, `int8-downsamples`, `weight-only-int8` (with
    /// ``QuantizationOptions/weightOnlyFloatOps``).
    public static func passes(for graph: Graph, statistics: CalibrationStatistics, options: QuantizationOptions) -> [CompilerPass] {
        let context = QuantizationContext(fp32: graph, statistics: statistics, options: options)
        return (options.foldGRN ? [.foldGRNInt8(context)] : []) + [.int8Blocks(context), .int8Downsamples(context)]
            + (options.weightOnlyFloatOps ? [.weightOnlyInt8] : [])
    }

    /// The int8 version of the fp32 `graph` with activation ranges from `statistics`: the
    /// ``passes(for:statistics:options:)``, the graph verified after each.
    /// - Parameter observe: called with each pass's name and result (for `inspect`).
    /// - Throws: ``QuantizationError`` if `graph` is not a plain float graph, ``CalibrationError``
    ///   if an activation was never observed, ``GraphError`` if a pass's result does not verify.
    public static func quantize(_ graph: Graph, statistics: CalibrationStatistics, options: QuantizationOptions = QuantizationOptions(),
                                observe: ((String, Graph) -> Void)? = nil) throws -> Graph {
        try requireFloat(graph)
        var g = graph
        for pass in passes(for: graph, statistics: statistics, options: options) {
            g = try pass.run(g)
            try g.verify()
            observe?(pass.name, g)
        }
        return g
    }

    /// Throws unless every op of `graph` is float32 and no GRN is folded into a 1x1.
    static func requireFloat(_ graph: Graph) throws {
        for op in graph.ops {
            if case .grnPointwise = op {
                throw QuantizationError.unsupportedGraph(reason: "GRN folded into a 1x1 convolution (compile without foldGRN)")
            }
            if op.precision == .int8 { throw QuantizationError.unsupportedGraph(reason: "already int8") }
        }
    }
}
