import Testing
@testable import CNXEdge
@Test func smoke() { #expect(ModelSize.atto.dims[0] == 40) }
