/// How a constant's floats are laid out where a kernel reads them in place.
public enum ConstantLayout: UInt8, Sendable, Equatable {
    /// Row-major in the tensor's shape (LayerNorm and GRN vectors).
    case raw = 0
    /// A 1x1/linear/patch-convolution weight `[out, rest...]` as ``PackedPointwiseWeights`` panels:
    /// `ceil(out/16)` panels of `[in][16]`, zero-padded.
    case pointwisePanels = 1
    /// A pointwise bias `[out]`, zero-padded to a multiple of 16.
    case bias16 = 2
    /// A depthwise 7x7 weight `[C, 49]` as `[49][ceil(C/8)·8]`, zero-padded.
    case depthwiseTaps = 3
    /// A depthwise bias `[C]`, zero-padded to a multiple of 8.
    case bias8 = 4

    /// Floats stored for a tensor of `shape` in this layout, or `nil` if it overflows or the shape
    /// does not suit the layout.
    public func storedFloats(for shape: [Int]) -> Int? {
        guard !shape.isEmpty, shape.allSatisfy({ $0 > 0 && $0 < 1 << 31 }) else { return nil }
        let (n, overflow) = shape.reduce((1, false)) { acc, d in
            let (p, o) = acc.0.multipliedReportingOverflow(by: d)
            return (p, acc.1 || o)
        }
        guard !overflow, n < 1 << 40 else { return nil }
        let rest = n / shape[0]
        switch self {
        case .raw: return n
        case .pointwisePanels: return (shape[0] + 15) / 16 * 16 * rest
        case .bias16: return shape.count == 1 ? (n + 15) / 16 * 16 : nil
        case .depthwiseTaps: return shape == [shape[0], 49] ? 49 * ((shape[0] + 7) / 8 * 8) : nil
        case .bias8: return shape.count == 1 ? (n + 7) / 8 * 8 : nil
        }
    }
}

/// A constant stored outside the graph, already in its kernel's layout, read in place (a `.cnx`
/// file's mapped weights). `owner` keeps the memory alive.
public struct PackedConstant: @unchecked Sendable {
    /// 64-byte aligned, never written.
    public let base: UnsafeRawPointer
    /// Floats stored at ``base``, ``ConstantLayout/storedFloats(for:)`` of the tensor's shape.
    public let floatCount: Int
    /// How the floats are arranged.
    public let layout: ConstantLayout
    /// Keeps ``base`` valid (the ``MappedFile``).
    public let owner: AnyObject

    public init(base: UnsafeRawPointer, floatCount: Int, layout: ConstantLayout, owner: AnyObject) {
        self.base = base
        self.floatCount = floatCount
        self.layout = layout
        self.owner = owner
    }
}
