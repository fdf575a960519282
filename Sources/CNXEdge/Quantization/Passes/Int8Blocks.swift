import CNXEdgeRuntime

extension CompilerPass {
    /// `int8-blocks`: every ConvNeXt block not left float (``QuantizationOptions/floatOps``) runs
    /// in int8, its ops converted in order (each op's output precision decides the next's input):
    /// - the depthwise 7x7 + LayerNorm → ``FusedOp/qu8DepthwiseConvLN(_:)``, writing uint8 codes of
    ///   its calibrated range (``CalibrationRole/Kind/depthwiseOutput``): the block's entry;
    /// - the 1x1 + GELU → ``FusedOp/qu8PointwiseGELU(_:)``: int8 weights, int32 starts for the
    ///   input's scale, its pre-activation and output quantized (`.geluInput`, `.geluOutput`);
    /// - a GRN → ``FusedOp/qu8GRN(_:)``, its output quantized (`.grnOutput`, with the default 2x margin);
    /// - the second 1x1 → ``FusedOp/qu8Pointwise(_:)``, or, with its GRN folded
    ///   (``foldGRNInt8(_:)``), → ``FusedOp/qu8GRNPointwise(_:)``: int8 codes beside the float
    ///   bias, requantized per image.
    /// The residual stream stays float32, so the graph verifies after the pass.
    /// - Throws: ``CalibrationError/noData(tensor:)``, ``QuantizationError/biasOverflow(tensor:channel:)``.
    static func int8Blocks(_ context: QuantizationContext) -> CompilerPass {
        CompilerPass(name: "int8-blocks") { graph in
            var g = graph
            func codes(_ t: TensorID) -> TensorQuantization? { g[t].dataType == .uint8 ? g[t].quantization : nil }
            func q(_ kind: CalibrationRole.Kind, _ t: TensorID) throws -> TensorQuantization {
                try context.quantization(CalibrationRole(kind, t), in: g)
            }
            for (i, op) in g.ops.enumerated() {
                switch op {
                case let .depthwiseConvLN(p):
                    guard !context.floatBlocks.contains(p.output) else { continue }
                    g.quantize(p.output, try q(.depthwiseOutput, p.output))
                    g.ops[i] = .qu8DepthwiseConvLN(p)
                case let .pointwiseGELU(p):
                    guard let input = codes(p.input) else { continue }
                    let c = try context.int8Conv(&g, g[p.output].name + ".fc1", weight: p.weight, bias: p.bias, input: input)
                    let gelu = try q(.geluInput, p.output)
                    g.quantize(p.output, try q(.geluOutput, p.output))
                    g.ops[i] = .qu8PointwiseGELU(QU8PointwiseGELUParameters(
                        input: p.input, output: p.output, sumOfSquares: p.sumOfSquares, weight: c.weight, bias: c.bias,
                        weightScale: c.weightScale, geluInput: gelu))
                case let .grn(p):
                    guard codes(p.input) != nil else { continue }
                    g.quantize(p.output, try q(.grnOutput, p.output))
                    g.ops[i] = .qu8GRN(p)
                case let .pointwise(p):
                    guard let input = codes(p.input) else { continue }
                    let c = try context.int8Conv(&g, g[p.output].name + ".fc2", weight: p.weight, bias: p.bias, input: input)
                    g.ops[i] = .qu8Pointwise(QU8PointwiseParameters(input: p.input, output: p.output, residual: p.residual,
                                                                    weight: c.weight, bias: c.bias, weightScale: c.weightScale))
                case let .grnPointwise(p):
                    guard codes(p.input) != nil else { continue }
                    let name = g[p.output].name + ".fc2"
                    let (values, scales) = QuantizationContext.symmetricCodes(g, p.weight, limit: context.options.weightCodeLimit)
                    let steps = g.addConstant(name + ".weight_scale", [g[p.weight].shape[0]], scales)
                    let weight = g.addIntegerConstant(name + ".weight.int8", g[p.weight].shape, .int8, values)
                    g.ops[i] = .qu8GRNPointwise(QU8GRNPointwiseParameters(input: p.input, output: p.output, residual: p.residual,
                                                                          weight: weight, bias: p.bias, weightScale: steps, grn: p.grn))
                case .stem, .downsample, .head, .qu8DepthwiseConvLN, .qu8PointwiseGELU, .qu8GRN, .qu8Pointwise, .qu8GRNPointwise,
                     .qu8Downsample: continue
                }
            }
            return g.droppingUnusedConstants()
        }
    }
}
