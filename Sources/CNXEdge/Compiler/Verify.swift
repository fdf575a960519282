extension CompilerPass {
    /// `verify`: returns the graph unchanged after checking it with ``Graph/verify()``.
    public static let verify = CompilerPass(name: "verify") { graph in
        try graph.verify()
        return graph
    }
}
