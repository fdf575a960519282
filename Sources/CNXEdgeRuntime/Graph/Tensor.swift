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
    /// int8 activations, stored as unsigned codes `q` meaning `scale · (q − zeroPoint)`
    /// (``Tensor/quantization``).
    case uint8
    /// int8 weights, symmetric per output channel (scales in a float32 constant beside them).
    case int8
    /// int32 biases of int8 convolutions, in units of `input scale × weight scale`.
    case int32

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .float32, .int32: 4
        case .float64: 8
        case .uint8, .int8: 1
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
    /// For ``TensorDataType/uint8`` activations: what the codes mean.
    public var quantization: TensorQuantization?

    public init(id: TensorID, name: String, shape: [Int], kind: TensorKind, dataType: TensorDataType = .float32,
                quantization: TensorQuantization? = nil) {
        self.id = id
        self.name = name
        self.shape = shape
        self.kind = kind
        self.dataType = dataType
        self.quantization = quantization
    }

    /// Number of elements, the product of ``shape``.
    public var elementCount: Int { shape.reduce(1, *) }

    /// Bytes of storage, `elementCount × dataType.size`.
    public var byteCount: Int { elementCount * dataType.size }
}

/// Affine uint8 quantization of an activation tensor: code `q` in 0...255 means `scale · (q − zeroPoint)`.
public struct TensorQuantization: Sendable, Equatable, Hashable, Codable {
    /// Real value of one code step; finite and positive.
    public var scale: Float
    /// The code of 0.0, in 0...255.
    public var zeroPoint: Int32

    public init(scale: Float, zeroPoint: Int32) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// Whether scale is finite and positive and the zero point a valid code.
    public var isValid: Bool { scale.isFinite && scale > 0 && (0...255).contains(zeroPoint) }

    /// The code nearest `x` (ties to even), clamped to 0...255: `x · (1/scale)` rounded, plus the
    /// zero point — the reciprocal taken once in float, as every kernel does.
    @inline(__always)
    public func quantize(_ x: Float, inverseScale: Float) -> UInt8 {
        UInt8(Requantization.code(Requantization.round(x * inverseScale) + Float(zeroPoint), in: 0...255))
    }

    /// `1 / scale` in float, the multiplier kernels quantize with.
    public var inverseScale: Float { 1 / scale }
}
