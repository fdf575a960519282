/// One named step of the compiler: a graph in, a rewritten graph out.
///
/// Passes are pure functions of the graph, so they can be listed, reordered in tests, and shown one
/// at a time by `inspect`.
public struct CompilerPass: Sendable {
    /// Stable name, as printed by `inspect` and in errors.
    public let name: String
    /// The rewrite. Throws ``GraphError`` (or a more specific error) when the graph does not fit.
    public let run: @Sendable (Graph) throws -> Graph

    public init(name: String, run: @escaping @Sendable (Graph) throws -> Graph) {
        self.name = name
        self.run = run
    }
}

extension Graph {
    /// Indices of the ops that read `tensor` as an activation input.
    func consumers(of tensor: TensorID) -> [Int] {
        ops.indices.filter { ops[$0].inputs.contains(tensor) }
    }
}
