/// Why a graph is malformed, naming the op (by index and kind) and the tensor at fault.
public enum GraphError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A tensor id past the end of the tensor table.
    case unknownTensor(op: Int, kind: String, tensor: TensorID)
    /// Op `op` reads `tensor` before any op has produced it.
    case usedBeforeProduced(op: Int, kind: String, tensor: String)
    /// `tensor` is produced twice (in-place outputs are separate tensors).
    case producedTwice(op: Int, kind: String, tensor: String)
    /// A tensor of the wrong kind in a slot (an activation where a constant belongs, ...).
    case wrongKind(op: Int, kind: String, tensor: String, expected: TensorKind, found: TensorKind)
    /// A constant an op reads has no values.
    case missingConstant(op: Int, kind: String, tensor: String)
    /// A shape that does not fit the op.
    case shapeMismatch(op: Int, kind: String, tensor: String, expected: [Int], found: [Int])
    /// A tensor of the wrong element type (GRN's sums are float64, everything else float32).
    case wrongDataType(op: Int, kind: String, tensor: String, expected: TensorDataType, found: TensorDataType)
    /// The graph's output is never produced.
    case outputNotProduced(tensor: String)
    /// A uint8 tensor without a valid quantization (finite positive scale, zero point in 0...255),
    /// or quantization parameters on a tensor or op that is not int8.
    case badQuantization(op: Int, kind: String, tensor: String)
    /// An ``Graph/externalInputs`` entry that is not an activation of the graph.
    case invalidExternalInput(tensor: String)
    /// ``Graph/labels`` that do not name every class once: `count` names for `classes` classes, or
    /// a name longer than 1,024 bytes or holding a line break.
    case badLabels(reason: String)

    public var description: String {
        switch self {
        case let .unknownTensor(op, kind, t): "op \(op) (\(kind)): no tensor \(t)"
        case let .usedBeforeProduced(op, kind, t): "op \(op) (\(kind)): reads \(t) before it is produced"
        case let .producedTwice(op, kind, t): "op \(op) (\(kind)): \(t) is already produced"
        case let .wrongKind(op, kind, t, e, f): "op \(op) (\(kind)): \(t) is \(f), expected \(e)"
        case let .missingConstant(op, kind, t): "op \(op) (\(kind)): constant \(t) has no values"
        case let .shapeMismatch(op, kind, t, e, f): "op \(op) (\(kind)): \(t) has shape \(f), expected \(e)"
        case let .wrongDataType(op, kind, t, e, f): "op \(op) (\(kind)): \(t) is \(f), expected \(e)"
        case let .outputNotProduced(t): "graph output \(t) is never produced"
        case let .badQuantization(op, kind, t): "op \(op) (\(kind)): \(t) has missing or invalid int8 quantization parameters"
        case let .invalidExternalInput(t): "external input \(t) is not an activation of the graph"
        case let .badLabels(reason): "class labels: \(reason)"
        }
    }
}
