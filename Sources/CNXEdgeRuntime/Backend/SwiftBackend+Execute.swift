extension SwiftBackend {
    /// Runs op `index` of the prepared graph: one call per op into its function (float32 ops in
    /// `SwiftBackend+Ops.swift`, int8 in `SwiftBackend+Int8Ops.swift`); never allocates.
    public func execute(op index: Int, _ buffers: ExecutionBuffers) {
        let s = buffers.scratch(index)
        switch prepared[index] {
        case let .stem(p, w, norm): stem(p, w, norm, buffers, scratch: s)
        case let .depthwiseConvLN(p, w, norm): depthwiseConvLN(p, w, norm, buffers)
        case let .pointwiseGELU(p, w): pointwiseGELU(p, w, buffers, scratch: s)
        case let .grn(p, gamma, beta): grn(p, gamma, beta, buffers, scratch: s)
        case let .pointwise(p, w): pointwise(p, w, buffers)
        case let .grnPointwise(p, w, folded): grnPointwise(p, w, folded, buffers, scratch: s)
        case let .downsample(p, norm, w): downsample(p, norm, w, buffers, scratch: s)
        case let .head(p, norm, w): head(p, norm, w, buffers, scratch: s)
        case let .qu8DepthwiseConvLN(p, w, norm): qu8DepthwiseConvLN(p, w, norm, buffers, scratch: s)
        case let .qu8PointwiseGELU(p, conv, table): qu8PointwiseGELU(p, conv, table, buffers, scratch: s)
        case let .qu8GRN(p, gamma, beta): qu8GRN(p, gamma, beta, buffers, scratch: s)
        case let .qu8Pointwise(p, conv): qu8Pointwise(p.input, p.output, p.residual, conv, buffers)
        case let .qu8GRNPointwise(p, folded): qu8GRNPointwise(p, folded, buffers, scratch: s)
        case let .qu8Downsample(p, norm, conv): qu8Downsample(p, norm, conv, buffers, scratch: s)
        case .absent: preconditionFailure("op \(index) was not prepared for the swift provider")
        }
    }

    func gemm(_ a: UnsafePointer<Float>, rows: Int, _ w: PackedPointwiseWeights, _ epilogue: PointwiseEpilogue,
              _ residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>) {
        // Chunks on whole row tiles, so only the last chunk can have a partial (redundant) tile.
        runner.forEachChunk(rows, granularity: pointwiseRowTile) { r in
            f32PWConv(input: a, rows: r, weights: w, epilogue: epilogue, residual: residual, output: out)
        }
    }

    func layerNorm(_ a: UnsafePointer<Float>, rows: Int, _ c: Int, _ norm: NormVectors, _ out: UnsafeMutablePointer<Float>) {
        let gamma = UnsafePointer(norm.gamma.base), beta = UnsafePointer(norm.beta.base), eps = norm.epsilon
        runner.forEachChunk(rows, granularity: 8) { r in
            f32LayerNorm(input: a, rows: r, channels: c, gamma: gamma, beta: beta, eps: eps, output: out)
        }
    }
}
