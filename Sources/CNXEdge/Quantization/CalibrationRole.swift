import CNXEdgeRuntime

/// An activation the int8 graph quantizes, named by what it is and by the fp32 graph's tensor it
/// belongs to. Tensor ids stay the same through every compiler and quantizer pass (passes add
/// tensors, never renumber them), so a role found while calibrating the fp32 graph still names
/// the same activation when a pass needs its range.
public struct CalibrationRole: Hashable, Sendable, CustomStringConvertible {
    /// What the activation is.
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// A depthwise 7x7 + LayerNorm's output: an int8 block's input codes. Tensor: that output.
        case depthwiseOutput
        /// A 1x1 + GELU's pre-activation: the GELU table's input codes. Tensor: the op's output.
        case geluInput
        /// A 1x1 + GELU's output codes. Tensor: that output.
        case geluOutput
        /// A GRN's output codes, when GRN is not folded into the next 1x1. Tensor: that output.
        case grnOutput
        /// A downsample's LayerNorm output: its convolution's input codes. Tensor: the downsample's input.
        case downsampleNorm
    }

    public var kind: Kind
    public var tensor: TensorID

    public init(_ kind: Kind, _ tensor: TensorID) {
        self.kind = kind
        self.tensor = tensor
    }

    /// E.g. `geluInput of %14`.
    public var description: String { "\(kind.rawValue) of \(tensor)" }

    /// E.g. `s0b1_gelu geluInput`, naming the tensor as `graph` does.
    public func name(in graph: Graph) -> String { "\(graph[tensor].name) \(kind.rawValue)" }
}
