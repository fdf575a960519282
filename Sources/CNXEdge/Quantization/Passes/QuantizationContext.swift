import CNXEdgeRuntime

/// What the quantizer's passes share: the calibration statistics, the options, and which blocks
/// and downsamples stay float (``QuantizationOptions/floatOps``, op numbers of the fp32 graph,
/// turned into the tensors they produce so they survive passes that remove ops).
struct QuantizationContext: Sendable {
    let statistics: CalibrationStatistics
    let options: QuantizationOptions
    /// Outputs of the depthwise + LayerNorm ops whose blocks stay float.
    let floatBlocks: Set<TensorID>
    /// Outputs of the downsamples whose convolutions stay float.
    let floatDownsamples: Set<TensorID>

    init(fp32 graph: Graph, statistics: CalibrationStatistics, options: QuantizationOptions) {
        self.statistics = statistics
        self.options = options
        var blocks: Set<TensorID> = [], downsamples: Set<TensorID> = []
        for i in options.floatOps where graph.ops.indices.contains(i) {
            switch graph.ops[i] {
            case let .depthwiseConvLN(p): blocks.insert(p.output)
            case let .downsample(p): downsamples.insert(p.output)
            case .stem, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .head, .qu8DepthwiseConvLN, .qu8PointwiseGELU, .qu8GRN,
                 .qu8Pointwise, .qu8GRNPointwise, .qu8Downsample: break
            }
        }
        floatBlocks = blocks
        floatDownsamples = downsamples
    }

    /// The uint8 quantization of `role`'s activation: its calibrated range by the options' method,
    /// widened by the role's margin (``QuantizationOptions/rangeMargins``) where it has one.
    /// - Throws: ``CalibrationError/noData(tensor:)`` if calibration never saw it.
    func quantization(_ role: CalibrationRole, in graph: Graph) throws -> TensorQuantization {
        guard let observer = statistics.observers[role] else { throw CalibrationError.noData(tensor: role.name(in: graph)) }
        let spec = options.calibration
        var q = try observer.quantization(for: spec, qmin: 0, qmax: 255)
        if let margin = options.rangeMargins[role.kind] {
            let r = try observer.range(for: spec, qmin: 0, qmax: 255)
            q = ActivationQuantization(range: QuantizationRange(lower: r.lower * margin, upper: r.upper * margin), qmin: 0, qmax: 255)
        }
        return TensorQuantization(scale: q.scale, zeroPoint: q.zeroPoint)
    }

    /// Symmetric per-output-channel codes within ±`limit` of float weight `weight` of `g`, and the
    /// steps (`max |w| / limit` per row, 1 for a zero row); codes by ``Requantization``.
    static func symmetricCodes(_ g: Graph, _ weight: TensorID, limit: Int32) -> (codes: [Int32], scales: [Float]) {
        let n = g[weight].shape[0], k = g[weight].elementCount / n, w = g.constants[weight]!
        var codes = [Int32](repeating: 0, count: n * k), scales = [Float](repeating: 1, count: n)
        for row in 0..<n {
            let values = w[(row * k)..<((row + 1) * k)]
            let largest = values.reduce(0) { max($0, abs($1)) }
            let scale = largest > 0 ? largest / Float(limit) : 1
            scales[row] = scale
            for j in 0..<k {
                codes[row * k + j] = Int32(Requantization.code(values[row * k + j] / scale, in: -Float(limit)...Float(limit)))
            }
        }
        return (codes, scales)
    }

    /// The int8 weights of float convolution `weight`/`bias` of `g` for an input quantized as
    /// `input`, added to `g` under `name`: codes, int32 accumulator starts
    /// (`round(b / (S_in·S_w[n])) − zp_in·Σ codes[n]`) and steps.
    /// - Throws: ``QuantizationError/biasOverflow(tensor:channel:)``.
    func int8Conv(_ g: inout Graph, _ name: String, weight: TensorID, bias: TensorID, input: TensorQuantization) throws
        -> (weight: TensorID, bias: TensorID, weightScale: TensorID) {
        let shape = g[weight].shape, n = shape[0], k = g[weight].elementCount / n, b = g.constants[bias]!
        let (codes, scales) = Self.symmetricCodes(g, weight, limit: options.weightCodeLimit)
        var biases = [Int32](repeating: 0, count: n)
        for row in 0..<n {
            let sum = codes[(row * k)..<((row + 1) * k)].reduce(Int64(0)) { $0 + Int64($1) }
            let real = Requantization.round(Double(b[row]) / (Double(input.scale) * Double(scales[row])))
            let start = real - Double(input.zeroPoint) * Double(sum)
            guard abs(start) < Double(Int32.max) else { throw QuantizationError.biasOverflow(tensor: name, channel: row) }
            biases[row] = Int32(start)
        }
        return (g.addIntegerConstant(name + ".weight.int8", shape, .int8, codes), g.addIntegerConstant(name + ".bias.int32", [n], .int32, biases),
                g.addConstant(name + ".weight_scale", [n], scales))
    }
}
