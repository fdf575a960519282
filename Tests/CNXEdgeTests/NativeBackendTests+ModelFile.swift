#if Native
import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

extension NativeBackendTests {
    /// `.cnx` files store 1x1 weights in the Swift backend's panels, which the native backend
    /// repacks straight into its own; Atto's 40-, 80- and 1000-wide outputs leave partial panels.
    @Test("a .cnx file on the native backend gives exactly the in-memory graph's logits", arguments: [false, true])
    func modelFile(foldGRN: Bool) throws {
        let graph = try Compiler.compile(ModelFileTests.weights, height: 64, width: 96, options: CompilerOptions(foldGRN: foldGRN))
        let path = try ModelFileTests.temporary(try ModelFileWriter.encode(graph))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try CompiledModel(contentsOf: path, backend: NativeBackend())
        let direct = try CompiledModel(graph: graph, backend: NativeBackend())
        #expect(try loaded.predict(ModelFileTests.input()) == direct.predict(ModelFileTests.input()))
    }
}
#endif
