/// Index of a tensor in its ``Graph``'s tensor table.
public struct TensorID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Position in ``Graph/tensors``.
    public var index: Int

    public init(_ index: Int) { self.index = index }

    public static func < (a: TensorID, b: TensorID) -> Bool { a.index < b.index }

    public var description: String { "%\(index)" }
}

/// What a tensor's storage is and who owns it.
public enum TensorKind: Sendable, Equatable {
    /// The image handed to ``CompiledModel/predict(_:tap:)``, read in place, NCHW `[1, 3, H, W]`.
    case input
    /// Produced by an op and placed in the activation arena by the ``MemoryPlan``.
    case activation
    /// A weight or bias, stored in ``Graph/constants``.
    case constant
}

/// Element type of a tensor.
public enum TensorDataType: Sendable, Equatable {
    /// Activations, weights, logits.
    case float32
    /// Per-channel sums GRN accumulates in double precision.
    case float64

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32: 4
        case .float64: 8
        }
    }
}

/// One tensor of a graph.
///
/// Activations are NHWC, `[1, H, W, C]`; the input is NCHW `[1, 3, H, W]` as the model API takes it;
/// constants keep PyTorch's layouts (`[out, in]`, `[out, in, kh, kw]`, `[C, 49]`, `[C]`).
public struct Tensor: Sendable, Equatable {
    /// Its position in the graph's tensor table.
    public var id: TensorID
    /// Human-readable name; for activations the name of the matching reference intermediate where
    /// there is one (`stem`, `s0b1_gelu`, `stage2`).
    public var name: String
    /// Dimensions in the layout given above.
    public var shape: [Int]
    /// Who owns the storage.
    public var kind: TensorKind
    /// Element type.
    public var dataType: TensorDataType

    public init(id: TensorID, name: String, shape: [Int], kind: TensorKind, dataType: TensorDataType = .float32) {
        self.id = id
        self.name = name
        self.shape = shape
        self.kind = kind
        self.dataType = dataType
    }

    /// Number of elements, the product of ``shape``.
    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes of storage, `elementCount × dataType.size`.
    public var byteCount: Int { elementCount * dataType.size }
}
