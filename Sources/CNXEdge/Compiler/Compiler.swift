/// Choices for ``Compiler/compile(_:height:width:options:observe:)``.
public struct CompilerOptions: Sendable {
    /// Fold the LayerNorm affines that are followed by a linear map (depthwise, downsample, head).
    public var foldNormAffines: Bool
    /// Fold each GRN into the following 1x1 convolution (``CompilerPass/foldGRN``). Off by default:
    /// it trades a pass over the `[H, W, 4C]` activation for a per-inference rescale of the weights,
    /// a win only where the activation is larger than the weights (early stages).
    public var foldGRN: Bool
    /// Run ``CompilerPass/verify`` after every pass (tests do; it costs a walk of the graph).
    public var verifyEachPass: Bool

    public init(foldNormAffines: Bool = true, foldGRN: Bool = false, verifyEachPass: Bool = false) {
        self.foldNormAffines = foldNormAffines
        self.foldGRN = foldGRN
        self.verifyEachPass = verifyEachPass
    }
}

/// Compiles ConvNeXt V2 weights into a verified fused-op ``Graph`` for one input size.
public enum Compiler {
    /// The passes run after `lower`, in order, for `options`.
    public static func passes(_ options: CompilerOptions) -> [CompilerPass] {
        var passes: [CompilerPass] = []
        if options.foldNormAffines {
            passes += [.foldDepthwiseNorm, .foldDownsampleNorm, .foldHeadNorm]
        }
        if options.foldGRN { passes.append(.foldGRN) }
        return passes + [.verify]
    }

    /// Lowers `weights` for an `height`x`width` input and runs ``passes(_:)``.
    /// - Parameter observe: called with `lower` and each pass's name and result (for `inspect`).
    /// - Throws: ``ExecutionError`` for an unsupported input size, ``GraphError`` from a pass.
    public static func compile(_ weights: ConvNeXtV2Weights, height: Int, width: Int,
                               options: CompilerOptions = .init(),
                               observe: ((String, Graph) -> Void)? = nil) throws -> Graph {
        var graph = try CompilerPass.lower(weights, height: height, width: width)
        if options.verifyEachPass { try graph.verify() }
        observe?("lower", graph)
        for pass in passes(options) {
            graph = try pass.run(graph)
            if options.verifyEachPass { try graph.verify() }
            observe?(pass.name, graph)
        }
        return graph
    }
}
