import CNXEdgeRuntime

extension CompilerPass {
    /// `int8-downsamples`: each downsample not left float (``QuantizationOptions/floatOps``)
    /// becomes a ``FusedOp/qu8Downsample(_:)``: its LayerNorm's output quantized to uint8 codes of
    /// its calibrated range (``CalibrationRole/Kind/downsampleNorm``), its 2x2 convolution int8
    /// into float32 (input and output stay float32). It also stores the output's per-channel
    /// steps (calibration's largest magnitude per channel, times
    /// ``QuantizationOptions/downsampleOutputMargin``, over 127) for XNNPACK's qc8 convolution,
    /// which writes int8 codes; our kernels never read them.
    /// - Throws: ``CalibrationError/noData(tensor:)``, ``QuantizationError/biasOverflow(tensor:channel:)``.
    static func int8Downsamples(_ context: QuantizationContext) -> CompilerPass {
        CompilerPass(name: "int8-downsamples") { graph in
            var g = graph
            for (i, op) in g.ops.enumerated() {
                guard case let .downsample(p) = op, !context.floatDownsamples.contains(p.output) else { continue }
                let norm = try context.quantization(CalibrationRole(.downsampleNorm, p.input), in: g)
                let c = try context.int8Conv(&g, g[p.output].name + ".downsample", weight: p.weight, bias: p.bias, input: norm)
                // For providers whose int8 convolution writes int8 codes (XNNPACK's qc8).
                let steps = context.statistics.channelMaxima[p.output].map { largest in
                    g.addConstant(g[p.output].name + ".output_steps", [largest.count],
                                  largest.map { max($0, Float.leastNormalMagnitude) * context.options.downsampleOutputMargin / 127 })
                }
                g.ops[i] = .qu8Downsample(QU8DownsampleParameters(input: p.input, output: p.output, norm: p.norm, weight: c.weight,
                                                                  bias: c.bias, weightScale: c.weightScale, normQuantization: norm,
                                                                  outputSteps: steps))
            }
            return g.droppingUnusedConstants()
        }
    }
}
