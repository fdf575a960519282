/// The scratch bytes each op needs while it runs, the same on every backend that runs our kernels
/// (the memory planner reserves them in the arena).
enum OpScratch {
    /// Bytes for `op` in `graph`. `int16Pairs`: the int8 GEMM reads int16 pairs (the swift
    /// backend's ``QU8PWConvVariant/int16Pairs``), which a folded-GRN 1x1 then writes per image too.
    static func bytes(for op: FusedOp, in graph: Graph, int16Pairs: Bool) -> Int {
        func pixels(_ t: TensorID) -> Int { graph[t].shape[1] * graph[t].shape[2] }
        func channels(_ t: TensorID) -> Int { graph[t].shape[3] }
        /// GRN's per-block partial sums and (int8) the exact sums: 8 bytes a channel each.
        func sums(_ output: TensorID, exact: Bool) -> Int {
            (FusedOpMath.sumOfSquaresBlocks(pixels: pixels(output)) + (exact ? 1 : 0)) * channels(output) * 8
        }
        switch op {
        case let .stem(p): return pixels(p.output) * 48 * 4  // the 4x4 patches
        case .depthwiseConvLN: return 0
        case let .qu8DepthwiseConvLN(p): return graph[p.output].elementCount * 4  // the float result before quantization
        case let .pointwiseGELU(p): return sums(p.output, exact: false)
        case let .qu8PointwiseGELU(p): return sums(p.output, exact: true)
        case let .grn(p): return channels(p.input) * 4  // the scale
        case let .qu8GRN(p): return channels(p.input) * 4 * 3  // the scale, multipliers and offsets
        case .pointwise, .qu8Pointwise: return 0
        case let .grnPointwise(p): return channels(p.input) * 4  // the scale
        case let .qu8GRNPointwise(p):
            return FoldedInt8Conv.Scratch(outputChannels: graph[p.weight].shape[0], inputChannels: graph[p.weight].shape[1],
                                          int16Pairs: int16Pairs).bytes
        case let .downsample(p): return 2 * MemoryPlanner.align(graph[p.input].elementCount * 4)  // normalised input, patches
        case let .qu8Downsample(p):
            let n = graph[p.input].elementCount
            return MemoryPlanner.align(n * 4) + 2 * MemoryPlanner.align(n)  // normalised input, its codes, their patches
        case let .head(p): return channels(p.input) * 4  // the pooled vector
        }
    }
}
