import CNXEdge
@testable import CNXEdgeRuntime
import Testing

@Suite("Memory plan")
struct MemoryPlanTests {
    static let cases: [(ModelSize, Int, Int)] = [ModelSize.atto, .femto, .pico, .nano, .tiny, .base].flatMap { [($0, 224, 224), ($0, 160, 256)] }

    @Test("no two simultaneously live buffers overlap; offsets aligned; peak known",
          arguments: cases.indices)
    func noOverlap(index: Int) throws {
        let (size, h, w) = Self.cases[index]
        let graph = try Compiler.compile(zeroWeights(size), height: h, width: w)
        let backend = SwiftBackend()
        let plan = MemoryPlanner.plan(graph) { backend.scratchBytes(for: graph.ops[$0], in: graph) }
        var activationBytes = 0
        for (i, a) in plan.buffers.enumerated() {
            #expect(a.offset % MemoryPlan.alignment == 0)
            #expect(a.offset + a.byteCount <= plan.arenaBytes)
            activationBytes += a.byteCount
            for b in plan.buffers[(i + 1)...] where a.livesWith(b) {
                #expect(!a.overlaps(b), "\(size) \(h)x\(w): \(a) overlaps \(b)")
            }
        }
        // Every activation placed; each op's in-place output shares its input's offset.
        for t in graph.tensors where t.kind == .activation { #expect(plan.offsets[t.id] != nil, "\(t.name) unplaced") }
        for op in graph.ops { if let (i, o) = op.inPlace { #expect(plan.offsets[i] == plan.offsets[o]) } }
        // Reuse: the arena is far smaller than giving every buffer its own space.
        #expect(plan.arenaBytes < activationBytes / 4)
        print("plan \(size) \(h)x\(w): arena \(plan.arenaBytes) bytes, \(plan.buffers.count) buffers totalling \(activationBytes)")
    }

    @Test("a hand-made interval set: best fit reuses the freed gap")
    func bestFit() {
        let a = MemoryPlan.Buffer(tensors: [], scratchOf: nil, offset: 0, byteCount: 100, firstOp: 0, lastOp: 5)
        let b = MemoryPlan.Buffer(tensors: [], scratchOf: nil, offset: 128, byteCount: 64, firstOp: 0, lastOp: 5)
        let c = MemoryPlan.Buffer(tensors: [], scratchOf: nil, offset: 256, byteCount: 1000, firstOp: 0, lastOp: 5)
        let new = MemoryPlan.Buffer(tensors: [], scratchOf: nil, offset: 0, byteCount: 60, firstOp: 1, lastOp: 2)
        // Gaps: [100→128) aligned to nothing, [192, 256) 64 bytes: the smallest that fits.
        #expect(MemoryPlanner.bestFit(new, among: [a, b, c]) == 192)
        #expect(MemoryPlanner.bestFit(new, among: []) == 0)
    }
}
