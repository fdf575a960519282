/// Why a model refused an input.
public enum ExecutionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Height and width must be positive multiples of 32 (four stride-2 stages after a stride-4 stem).
    case invalidInputSize(height: Int, width: Int)
    /// The input buffer holds `found` floats; `[1, 3, height, width]` needs `expected`.
    case inputCountMismatch(expected: Int, found: Int)
    /// The input holds NaN or infinity at flat NCHW index `index`.
    case nonFiniteInput(index: Int)
    /// Backend `backend` cannot run op `op` (of kind `kind`) of the graph.
    case unsupportedOp(op: Int, kind: String, backend: String)
    /// Provider `provider` refused to set up op `op` (of kind `kind`): `reason` (e.g. XNNPACK's status).
    case providerFailed(provider: String, op: Int, kind: String, reason: String)
    /// The chosen provider or instruction set is not in this build or not run by this CPU.
    case providerUnavailable(String)

    public var description: String {
        switch self {
        case let .invalidInputSize(h, w): "input \(h)x\(w): height and width must be positive multiples of 32"
        case let .inputCountMismatch(e, f): "input has \(f) values, [1, 3, H, W] needs \(e)"
        case let .nonFiniteInput(i): "input holds a non-finite value at index \(i)"
        case let .unsupportedOp(op, kind, backend): "backend \(backend) cannot run op \(op) (\(kind))"
        case let .providerFailed(provider, op, kind, reason): "provider \(provider) could not prepare op \(op) (\(kind)): \(reason)"
        case let .providerUnavailable(reason): reason
        }
    }
}
