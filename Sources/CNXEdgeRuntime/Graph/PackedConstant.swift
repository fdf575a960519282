/// How a constant's values are laid out where a kernel reads them in place.
public enum ConstantLayout: UInt8, Sendable, Equatable, CaseIterable {
    /// Row-major float32 in the tensor's shape (LayerNorm and GRN vectors, int8 weight scales).
    case raw = 0
    /// A 1x1/linear/patch-convolution weight `[out, rest...]` as ``PackedPointwiseWeights`` panels:
    /// `ceil(out/16)` panels of `[in][16]` float32, zero-padded.
    case pointwisePanels = 1
    /// A pointwise float32 bias `[out]`, zero-padded to a multiple of 16.
    case bias16 = 2
    /// A depthwise 7x7 float32 weight `[C, 49]` as `[49][ceil(C/8)·8]`, zero-padded.
    case depthwiseTaps = 3
    /// A depthwise float32 bias `[C]`, zero-padded to a multiple of 8.
    case bias8 = 4
    /// An int8 1x1/patch-convolution weight `[N, rest...]` (`K` = product of `rest`) as
    /// ``PackedInt8PointwiseWeights`` panels: `[ceil(N/16)][ceil(K/4)][16][4]` int8, zero-padded
    /// (the layout the native C kernels' `cnx_qu8_pwconv_pack` produces too).
    case int8PointwisePanels = 5
    /// An int8 convolution's int32 bias `[N]`, zero-padded to `ceil(N/16)·16`.
    case int32Bias16 = 6
    /// A weight-only int8 convolution's weight `[N, rest...]` (``WeightOnlyInt8``): the float
    /// ``pointwisePanels`` arrangement with int8 codes, `[ceil(N/16)][K][16]`, zero-padded.
    case int8FloatPanels = 7
    /// Row-major int8 in the tensor's shape, zero-padded to a multiple of 4 bytes (a weight-only
    /// int8 depthwise weight `[C, 49]`, expanded to float taps when a backend loads it).
    case int8Raw = 8

    /// The element type of the tensors this layout stores.
    public var dataType: TensorDataType {
        switch self {
        case .raw, .pointwisePanels, .bias16, .depthwiseTaps, .bias8: .float32
        case .int8PointwisePanels, .int8FloatPanels, .int8Raw: .int8
        case .int32Bias16: .int32
        }
    }

    /// Bytes stored for a tensor of `shape` in this layout (always a multiple of 4), or `nil` if
    /// it overflows or the shape does not suit the layout.
    public func storedBytes(for shape: [Int]) -> Int? {
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 && $0 < 1 << 31 }) else { return nil }
        let (n, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, n < 1 << 40 else { return nil }
        let rest = n / shape[0], panels = (shape[0] + 15) / 16
        switch self {
        case .raw: return 4 * n
        case .pointwisePanels: return 4 * panels * 16 * rest
        case .bias16: return shape.count == 1 ? 4 * panels * 16 : nil
        case .depthwiseTaps: return shape == [shape[0], 49] ? 4 * 49 * ((shape[0] + 7) / 8 * 8) : nil
        case .bias8: return shape.count == 1 ? 4 * ((n + 7) / 8 * 8) : nil
        case .int8PointwisePanels: return shape.count >= 2 ? panels * ((rest + 3) / 4) * 64 : nil
        case .int32Bias16: return shape.count == 1 ? 4 * panels * 16 : nil
        case .int8FloatPanels: return shape.count >= 2 ? panels * 16 * rest : nil
        case .int8Raw: return (n + 3) / 4 * 4
        }
    }

    /// ``storedBytes(for:)`` in 4-byte units (floats for the float layouts), the unit of
    /// ``PackedConstant/floatCount``.
    public func storedFloats(for shape: [Int]) -> Int? { storedBytes(for: shape).map { $0 / 4 } }
}

/// A constant stored outside the graph, already in its kernel's layout, read in place (a `.cnx`
/// file's mapped weights). `owner` keeps the memory alive.
public struct PackedConstant: @unchecked Sendable {
    /// 64-byte aligned, never written.
    public let base: UnsafeRawPointer
    /// 4-byte units stored at ``base`` (floats for the float layouts; int8 panels count 4 codes per
    /// unit, int32 biases one value): ``ConstantLayout/storedFloats(for:)`` of the tensor's shape.
    public let floatCount: Int
    /// How the values are arranged.
    public let layout: ConstantLayout
    /// Keeps ``base`` valid (the ``MappedFile``).
    public let owner: AnyObject

    /// Bytes stored at ``base``.
    public var byteCount: Int { floatCount * 4 }

    public init(base: UnsafeRawPointer, floatCount: Int, layout: ConstantLayout, owner: AnyObject) {
        self.base = base
        self.floatCount = floatCount
        self.layout = layout
        self.owner = owner
    }
}
