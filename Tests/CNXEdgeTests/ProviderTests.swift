import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// Execution providers and per-op placement: XNNPACK against timm, the tuner, stored placements.
@Suite("Execution providers and placement")
struct ProviderTests {
    /// Synthetic Atto at 64x64: every op kind of a float model, quick to tune.
    static func smallAtto() throws -> Graph {
        try Compiler.compile(ConvNeXtV2Weights.synthetic(config: ModelConfig(.atto), seed: 7), height: 64, width: 64)
    }

    #if Native
    @Test("--backend xnnpack, fp32: logits within 1e-4 of timm's on every reference vector, XNNPACK running every 1x1, downsample and classifier",
          arguments: ReferenceFiles.modelIndices, [1, 2])
    func xnnpackParity(modelIndex: Int, threads: Int) throws {
        guard Provider.available.contains(.xnnpack) else { return }
        let m = ReferenceModelTests.models[modelIndex]
        let weights = try WeightLoader.load(path: ReferenceFiles.reference(m.weights), expected: m.size)
        let vectors = try ReferenceFiles.vectors(m.vectors)
        var worst = 0.0
        for tag in ReferenceModelTests.tags {
            let input = try #require(vectors["input_" + tag])
            let graph = try Compiler.compile(weights, height: input.shape[2], width: input.shape[3])
            let backend = PlacedBackend(policy: .prefer(.xnnpack), options: ExecutionOptions(threads: threads))
            let model = try CompiledModel(graph: graph, backend: backend)
            let onXNNPACK = graph.ops.indices.filter { backend.placement!.providers[$0] == .xnnpack }.map { graph.ops[$0].kind }
            let expected = graph.ops.filter { ["pointwiseGELU", "pointwise", "downsample", "head"].contains($0.kind) }.map(\.kind)
            #expect(onXNNPACK == expected, "\(m.size): XNNPACK runs \(onXNNPACK.count) ops")
            let error = relativeL2Error(try model.predict(input.values), try #require(vectors["logits_" + tag]).values)
            worst = max(worst, error)
            #expect(error <= ReferenceModelTests.tolerance, "\(m.size) \(tag): relative error \(error)")
        }
        print("xnnpack parity \(m.size) threads=\(threads): worst relative L2 error \(worst)")
    }
    #endif

    @Test("the default table places every op on a provider that runs it; prefer(p) gives p every op it supports")
    func table() throws {
        let graph = try Self.smallAtto()
        let table = Placement.table(for: graph, isa: nil)
        #expect(table.providers.count == graph.ops.count && table.source == .table)
        for (i, op) in graph.ops.enumerated() { #expect(PlacedBackend.supports(table.providers[i], op)) }
        for provider in Provider.available {
            let p = Placement.prefer(provider, for: graph, isa: nil, supports: PlacedBackend.supports)
            for (i, op) in graph.ops.enumerated() {
                #expect((p.providers[i] == provider) == PlacedBackend.supports(provider, op), "op \(i) \(op.kind) on \(p.providers[i])")
            }
        }
    }

    @Test("tune: every op timed on each provider that runs it, placed on the fastest or kept on the table's; the placement runs the model")
    func tune() throws {
        let graph = try Self.smallAtto()
        let result = try Tuner.tune(graph, runs: 3)
        #expect(result.placement.providers.count == graph.ops.count && result.placement.source == .measured)
        #expect(result.tunedMilliseconds.isFinite && result.tableMilliseconds.isFinite && result.seconds > 0)
        let table = Placement.table(for: graph, isa: nil)
        for (i, op) in graph.ops.enumerated() {
            let times = result.times[i]
            for p in Provider.available { #expect((times[p] != nil) == PlacedBackend.supports(p, op), "op \(i): \(times)") }
            let chosen = result.placement.providers[i]
            if result.keptTable || chosen == table.providers[i] {
                #expect(chosen == table.providers[i])
            } else {
                // Moved: the fastest of the providers it mixes (native and xnnpack with the Native
                // trait), at least `requiredGain` faster than the table's provider.
                let mixable = times.filter { table.providers.contains(.native) ? $0.key != .swift : true }
                #expect(times[chosen]! == mixable.values.min()!, "op \(i) placed on \(chosen): \(times)")
                #expect(times[chosen]! <= times[table.providers[i]]! * (1 - Tuner.requiredGain))
            }
        }
        if result.placement.providers != table.providers {
            #expect(result.tunedMilliseconds <= result.tableMilliseconds * (1 - Tuner.requiredGain))
            let gain = graph.ops.indices.reduce(0.0) { $0 + result.times[$1][table.providers[$1]]! - result.times[$1][result.placement.providers[$1]]! }
            let total = graph.ops.indices.reduce(0.0) { $0 + result.times[$1][table.providers[$1]]! }
            #expect(gain >= total * Tuner.requiredGain)
        }
        let input = (0..<(3 * 64 * 64)).map { (i: Int) -> Float in Float(i % 17) / 8 - 1 }
        let placed = PlacedBackend(policy: .fixed(result.placement))
        let logits = try CompiledModel(graph: graph, backend: placed).predict(input)
        #expect(placed.placement == result.placement && placed.placementNote == nil)
        let reference = try CompiledModel(graph: graph, backend: SwiftBackend()).predict(input)
        #expect(relativeL2Error(logits, reference) <= 1e-5)
        // swift is not mixed with native in one placement, at one thread or two.
        if table.providers.contains(.native) { #expect(!result.placement.providers.contains(.swift)) }
        let two = try Tuner.tune(graph, options: ExecutionOptions(threads: 2), runs: 3)
        if table.providers.contains(.native) { #expect(!two.placement.providers.contains(.swift)) }
        #expect(two.placement.providers.indices.allSatisfy { PlacedBackend.supports(two.placement.providers[$0], graph.ops[$0]) })
    }

    @Test("a stored placement is reused for its model file, ISA and thread count only; one that does not fit the graph falls back to the table")
    func stored() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnx-placement-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let graph = try Self.smallAtto(), path = dir.appendingPathComponent("atto.cnx").path
        try ModelFileWriter.write(graph, to: path)
        let (bytes, checksum) = try StoredPlacement.identity(of: path)
        let placement = Placement(providers: graph.ops.map { _ in .swift }, source: .measured,
                                  times: graph.ops.map { _ in ["swift": 0.5] })
        let stored = StoredPlacement(modelBytes: bytes, modelChecksum: checksum, isa: "avx2", threads: 1, placement: placement,
                                     tunedMilliseconds: 1, tableMilliseconds: 2)
        #expect(StoredPlacement.load(beside: path, isa: "avx2", threads: 1).stored == nil)  // none yet
        try stored.save(beside: path)
        #expect(StoredPlacement.load(beside: path, isa: "avx2", threads: 1).stored == stored)
        let threads = StoredPlacement.load(beside: path, isa: "avx2", threads: 2)
        #expect(threads.stored == nil && threads.note!.contains("1 thread(s); this run is avx2, 2"))
        #expect(StoredPlacement.load(beside: path, isa: "neon", threads: 1).stored == nil)
        // Another model file under the same name: refused.
        try ModelFileWriter.write(try Compiler.compile(ConvNeXtV2Weights.synthetic(config: ModelConfig(.atto), seed: 8), height: 64, width: 64), to: path)
        let other = StoredPlacement.load(beside: path, isa: "avx2", threads: 1)
        #expect(other.stored == nil && other.note!.contains("another build of the model file"))
        // A placement for another graph: the table, and why.
        let short = PlacedBackend(policy: .fixed(Placement(providers: [.swift], source: .measured)))
        _ = try CompiledModel(graph: graph, backend: short)
        #expect(short.placement == Placement.table(for: graph, isa: nil) && short.placementNote!.contains("1 ops"))
        // Garbage in the file: ignored with a note, never a crash.
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: StoredPlacement.path(beside: path)))
        #expect(StoredPlacement.load(beside: path, isa: "avx2", threads: 1).note!.contains("unreadable"))
    }
}
