import CNXEdgeRuntime

extension CompilerPass {
    /// `fold-grn-int8`: the GRN of each block that will run in int8 (its depthwise 7x7 not left
    /// float) folded into the 1x1 after it (``Graph/foldGRNIntoReader(_:)``, as ``foldGRN`` does for
    /// float graphs): GRN's β into that 1x1's float bias, its per-image scale onto the weights
    /// (``FusedOp/grnPointwise(_:)``), which ``int8Blocks(_:)`` then makes a
    /// ``FusedOp/qu8GRNPointwise(_:)``, so GRN's output is never quantized. Runs first, on the float
    /// graph, when ``QuantizationOptions/foldGRN`` is set (the default).
    /// - Throws: ``QuantizationError/unsupportedGraph(reason:)`` if such a GRN is not read by one 1x1 alone.
    static func foldGRNInt8(_ context: QuantizationContext) -> CompilerPass {
        CompilerPass(name: "fold-grn-int8") { graph in
            var g = graph, removed: Set<Int> = []
            func producer(_ t: TensorID) -> FusedOp? { graph.ops.first { $0.outputs.contains(t) } }
            for (i, op) in graph.ops.enumerated() {
                guard case let .grn(grn) = op, case let .pointwiseGELU(fc1)? = producer(grn.input),
                      case let .depthwiseConvLN(dw)? = producer(fc1.input), !context.floatBlocks.contains(dw.output) else { continue }
                guard try g.foldGRNIntoReader(i) != nil else {
                    throw QuantizationError.unsupportedGraph(reason: "\(graph[grn.output].name) is not read by one 1x1 convolution alone")
                }
                removed.insert(i)
            }
            g.ops = g.ops.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
            return g.droppingUnusedConstants()
        }
    }
}
