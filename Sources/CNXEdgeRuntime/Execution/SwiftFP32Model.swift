import Foundation

/// Options for running a model.
public struct ExecutionOptions: Sendable {
    /// Worker threads for the kernels; results are identical for every value.
    public var threads: Int

    public init(threads: Int = 1) {
        self.threads = threads
    }
}

/// A named intermediate activation, reported to a tap as NCHW `Float`s.
///
/// Names follow the reference vectors: `stem`, `stage0`...`stage3`, and for block B of stage S
/// `sSbB_dwconv`, `sSbB_norm`, `sSbB_gelu`, `sSbB_grn`, `sSbB_fc2` (before the residual add).
public typealias ActivationTap = (_ name: String, _ nchw: [Float], _ shape: [Int]) -> Void

/// ConvNeXt V2 in fp32, pure Swift, NHWC, the fallback every other backend is checked against.
///
/// Weights are repacked once at initialisation. Working buffers are sized for the last input
/// resolution and reused, so repeated inference at one size does not allocate.
/// Not safe to call from two threads at once (it owns its buffers); use one instance per thread.
public final class SwiftFP32Model: @unchecked Sendable {
    public let config: ModelConfig
    public let options: ExecutionOptions

    private let runner: ParallelRunner
    private let stem: PackedPointwiseWeights
    private let stemNorm: LayerNormWeights
    private let stages: [PackedStage]
    private let headNorm: LayerNormWeights
    private let head: PackedPointwiseWeights
    private var workspace: Workspace?

    struct PackedBlock {
        let dwconv: PackedDepthwiseWeights
        let norm: LayerNormWeights
        let fc1: PackedPointwiseWeights
        let grnGamma: [Float]
        let grnBeta: [Float]
        let fc2: PackedPointwiseWeights
    }

    struct PackedStage {
        let downsampleNorm: LayerNormWeights?
        let downsample: PackedPointwiseWeights?
        let blocks: [PackedBlock]
    }

    public init(weights: ConvNeXtV2Weights, options: ExecutionOptions = .init()) {
        let cfg = weights.config
        config = cfg
        self.options = options
        runner = ParallelRunner(threads: options.threads)
        stem = PackedPointwiseWeights(weights: weights.stemWeight, bias: weights.stemBias,
                                      outputChannels: cfg.dims[0], inputChannels: 48)
        stemNorm = weights.stemNorm
        stages = weights.stages.enumerated().map { s, stage in
            let c = cfg.dims[s]
            let blocks = stage.blocks.map { b in
                PackedBlock(
                    dwconv: PackedDepthwiseWeights(weights: b.dwconvWeight, bias: b.dwconvBias, channels: c),
                    norm: b.norm,
                    fc1: PackedPointwiseWeights(weights: b.fc1Weight, bias: b.fc1Bias, outputChannels: 4 * c, inputChannels: c),
                    grnGamma: b.grnGamma, grnBeta: b.grnBeta,
                    fc2: PackedPointwiseWeights(weights: b.fc2Weight, bias: b.fc2Bias, outputChannels: c, inputChannels: 4 * c))
            }
            let ds = stage.downsample.map {
                PackedPointwiseWeights(weights: $0.convWeight, bias: $0.convBias, outputChannels: c, inputChannels: 4 * cfg.dims[s - 1])
            }
            return PackedStage(downsampleNorm: stage.downsample?.norm, downsample: ds, blocks: blocks)
        }
        headNorm = weights.headNorm
        head = PackedPointwiseWeights(weights: weights.headWeight, bias: weights.headBias,
                                      outputChannels: cfg.numClasses, inputChannels: cfg.dims[3])
    }

    /// Checks that `[1, 3, height, width]` is an input this network accepts.
    public static func validate(height: Int, width: Int, count: Int) throws {
        guard height > 0, width > 0, height % 32 == 0, width % 32 == 0 else {
            throw ExecutionError.invalidInputSize(height: height, width: width)
        }
        guard count == 3 * height * width else {
            throw ExecutionError.inputCountMismatch(expected: 3 * height * width, found: count)
        }
    }

    /// Runs one image.
    /// - Parameters:
    ///   - input: `[1, 3, height, width]` NCHW, already normalised (see ``ImagePreprocessor``).
    ///   - tap: if given, receives each named intermediate activation (slow; for tests and debugging).
    /// - Returns: the `numClasses` logits.
    /// - Throws: ``ExecutionError`` for a wrong size or a non-finite input value.
    public func predict(_ input: [Float], height: Int, width: Int, tap: ActivationTap? = nil) throws -> [Float] {
        try Self.validate(height: height, width: width, count: input.count)
        if let bad = input.firstIndex(where: { !$0.isFinite }) { throw ExecutionError.nonFiniteInput(index: bad) }
        if workspace?.height != height || workspace?.width != width {
            workspace = Workspace(config: config, height: height, width: width)
        }
        let ws = workspace!
        input.withUnsafeBufferPointer { forward($0.baseAddress!, ws, tap) }
        return Array(ws.logits)
    }

    private func forward(_ input: UnsafePointer<Float>, _ ws: Workspace, _ tap: ActivationTap?) {
        let dims = config.dims
        var h = ws.height / 4, w = ws.width / 4
        let x = ws.residual.baseAddress!, t = ws.normed.baseAddress!
        let hidden = ws.hidden.baseAddress!, patches = ws.patches.baseAddress!
        let eps = config.layerNormEpsilon

        // Stem: 4x4/s4 patches laid out as the weight's [cin][ky][kx], then GEMM, then LN.
        Patchify.nchwImage(input, height: ws.height, width: ws.width, patch: 4, into: patches, runner: runner)
        gemm(patches, rows: h * w, stem, .none, nil, t)
        layerNorm(t, rows: h * w, dims[0], stemNorm, eps, x)
        tap?("stem", NHWC.toNCHW(x, h, w, dims[0]), [1, dims[0], h, w])

        for (s, stage) in stages.enumerated() {
            let c = dims[s]
            if let norm = stage.downsampleNorm, let conv = stage.downsample {
                let cin = dims[s - 1]
                layerNorm(x, rows: h * w, cin, norm, eps, t)
                Patchify.nhwc(t, height: h, width: w, channels: cin, into: patches, runner: runner)
                h /= 2; w /= 2
                gemm(patches, rows: h * w, conv, .none, nil, x)
            }
            for (b, block) in stage.blocks.enumerated() {
                let name = "s\(s)b\(b)_"
                let pixels = h * w
                runner.forEachChunk(h) { rows in
                    f32DepthwiseConv7x7(input: x, height: h, width: w, weights: block.dwconv, outputRows: rows, output: t)
                }
                tap?(name + "dwconv", NHWC.toNCHW(t, h, w, c), [1, c, h, w])
                layerNorm(t, rows: pixels, c, block.norm, eps, t)
                tap?(name + "norm", NHWC.toNCHW(t, h, w, c), [1, c, h, w])
                gemm(t, rows: pixels, block.fc1, .gelu, nil, hidden)
                tap?(name + "gelu", NHWC.toNCHW(hidden, h, w, 4 * c), [1, 4 * c, h, w])
                grn(hidden, pixels: pixels, channels: 4 * c, block, ws)
                tap?(name + "grn", NHWC.toNCHW(hidden, h, w, 4 * c), [1, 4 * c, h, w])
                if let tap {
                    gemm(hidden, rows: pixels, block.fc2, .none, nil, t)
                    tap(name + "fc2", NHWC.toNCHW(t, h, w, c), [1, c, h, w])
                }
                gemm(hidden, rows: pixels, block.fc2, .residual, x, x)
            }
            tap?("stage\(s)", NHWC.toNCHW(x, h, w, c), [1, c, h, w])
        }

        // Head: global average pool (accumulated in Double), LN, linear.
        let c = dims[3]
        let pooled = ws.pooled.baseAddress!
        for ch in 0..<c {
            var sum = 0.0
            for p in 0..<(h * w) { sum += Double(x[p * c + ch]) }
            pooled[ch] = Float(sum / Double(h * w))
        }
        layerNorm(pooled, rows: 1, c, headNorm, eps, pooled)
        f32PointwiseGEMM(input: pooled, rows: 0..<1, weights: head, epilogue: .none, residual: nil, output: ws.logits.baseAddress!)
    }

    private func gemm(_ a: UnsafePointer<Float>, rows: Int, _ wts: PackedPointwiseWeights, _ epilogue: PointwiseEpilogue,
                      _ residual: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>) {
        // Chunks on whole row tiles, so only the last chunk can have a partial (redundant) tile.
        runner.forEachChunk(rows, granularity: pointwiseRowTile) { r in
            f32PointwiseGEMM(input: a, rows: r, weights: wts, epilogue: epilogue, residual: residual, output: out)
        }
    }

    private func layerNorm(_ a: UnsafePointer<Float>, rows: Int, _ c: Int, _ norm: LayerNormWeights, _ eps: Float,
                           _ out: UnsafeMutablePointer<Float>) {
        norm.gamma.withUnsafeBufferPointer { g in
            norm.beta.withUnsafeBufferPointer { b in
                runner.forEachChunk(rows, granularity: 8) { r in
                    f32LayerNorm(input: a, rows: r, channels: c, gamma: g.baseAddress!, beta: b.baseAddress!, eps: eps, output: out)
                }
            }
        }
    }

    /// GRN: `x · (1 + γ·N) + β` with `N_c = ‖x_c‖₂ / (mean_c ‖x_c‖₂ + 1e-6)`. The sums run in one
    /// fixed order so the result does not depend on the thread count.
    private func grn(_ x: UnsafeMutablePointer<Float>, pixels: Int, channels c: Int, _ block: PackedBlock, _ ws: Workspace) {
        let sums = ws.channelSums.baseAddress!
        FusedOpMath.channelSumOfSquares(x, pixels: pixels, channels: c, partials: ws.sumPartials.baseAddress!,
                                        into: sums, runner: runner)
        let scale = ws.channelScale.baseAddress!
        block.grnGamma.withUnsafeBufferPointer { gamma in
            FusedOpMath.grnScale(sums: sums, gamma: gamma.baseAddress!, channels: c, scale: scale)
        }
        block.grnBeta.withUnsafeBufferPointer { beta in
            runner.forEachChunk(pixels, granularity: 8) { r in
                f32ChannelScaleBias(data: x, rows: r, channels: c, scale: scale, bias: beta.baseAddress!)
            }
        }
    }
}

/// Buffers for one input resolution, allocated once.
final class Workspace {
    let height: Int, width: Int
    let residual: UnsafeMutableBufferPointer<Float>
    let normed: UnsafeMutableBufferPointer<Float>
    let hidden: UnsafeMutableBufferPointer<Float>
    let patches: UnsafeMutableBufferPointer<Float>
    let pooled: UnsafeMutableBufferPointer<Float>
    let logits: UnsafeMutableBufferPointer<Float>
    let channelSums: UnsafeMutableBufferPointer<Double>
    let channelScale: UnsafeMutableBufferPointer<Float>
    let sumPartials: UnsafeMutableBufferPointer<Double>

    init(config: ModelConfig, height: Int, width: Int) {
        self.height = height
        self.width = width
        // Stage s has (H/4/2^s)(W/4/2^s) pixels of dims[s] channels; the largest stage bounds each buffer.
        let pixels0 = (height / 4) * (width / 4)
        let stream = (0..<4).map { pixels0 >> (2 * $0) * config.dims[$0] }.max()!
        residual = .allocate(capacity: stream)
        normed = .allocate(capacity: stream)
        hidden = .allocate(capacity: 4 * stream)
        patches = .allocate(capacity: max(pixels0 * 48, stream))
        pooled = .allocate(capacity: config.dims[3])
        logits = .allocate(capacity: config.numClasses)
        channelSums = .allocate(capacity: 4 * config.dims[3])
        channelScale = .allocate(capacity: 4 * config.dims[3])
        sumPartials = .allocate(capacity: (0..<4).map {
            FusedOpMath.sumOfSquaresBlocks(pixels: pixels0 >> (2 * $0)) * 4 * config.dims[$0]
        }.max()!)
    }

    deinit {
        residual.deallocate(); normed.deallocate(); hidden.deallocate(); patches.deallocate()
        pooled.deallocate(); logits.deallocate(); channelSums.deallocate(); channelScale.deallocate()
        sumPartials.deallocate()
    }
}
