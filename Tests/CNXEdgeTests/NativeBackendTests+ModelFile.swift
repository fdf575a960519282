#if Native
import CNXEdge
@testable import CNXEdgeRuntime
import Foundation
import Testing
import _CNXEdgeTestSupport

extension NativeBackendTests {
    /// `.cnx` files store 1x1 weights in the panels both backends read, borrowed in place by the
    /// native backend; Atto's 40-, 80- and 1000-wide outputs leave partial panels.
    @Test("a .cnx file on the native backend gives exactly the in-memory graph's logits", arguments: [false, true])
    func modelFile(foldGRN: Bool) throws {
        let graph = try Compiler.compile(ModelFileTests.weights, height: 64, width: 96, options: CompilerOptions(foldGRN: foldGRN))
        let path = try ModelFileTests.temporary(try ModelFileWriter.encode(graph))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try CompiledModel(contentsOf: path, backend: NativeBackend())
        let direct = try CompiledModel(graph: graph, backend: NativeBackend())
        #expect(try loaded.predict(ModelFileTests.input()) == direct.predict(ModelFileTests.input()))
    }

    /// Loading copies no weight: every constant the C kernels read (1x1 panels and biases,
    /// depthwise taps and biases, norm and GRN vectors) lies inside the mapped `.cnx` file, which
    /// the backend keeps mapped after the loaded graph's last use here.
    @Test("the native backend reads a .cnx file's constants in place from its mapping", arguments: [false, true])
    func modelFileInPlace(foldGRN: Bool) throws {
        let graph = try Compiler.compile(ModelFileTests.weights, height: 64, width: 96, options: CompilerOptions(foldGRN: foldGRN))
        let path = try ModelFileTests.temporary(try ModelFileWriter.encode(graph))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let backend = NativeBackend()
        var mapped: Range<UnsafeRawPointer>?
        do {
            let loaded = try ModelFile.load(path: path)
            let file = try #require(loaded.packedConstants.values.first?.owner as? MappedFile)
            let start = try #require(file.bytes.baseAddress)
            mapped = start..<(start + file.bytes.count)
            try backend.prepare(loaded)
        }
        let range = try #require(mapped)
        let addresses = backend.constantAddresses
        let constants = Set(graph.ops.flatMap(\.constants)).count
        #expect(addresses.count == constants, "\(addresses.count) kernel constants for \(constants) graph constants")
        #expect(addresses.allSatisfy { range.contains($0) }, "a constant was copied out of the mapped file")
        // The same graph from values packs into memory of its own.
        let direct = NativeBackend()
        try direct.prepare(graph)
        #expect(direct.constantAddresses.allSatisfy { !range.contains($0) })
    }
}
#endif
