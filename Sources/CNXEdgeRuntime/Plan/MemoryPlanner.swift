/// Liveness-based arena placement: each buffer lives from the op that produces it to the last op
/// that reads it (the graph output to the end), and is placed greedily, largest first, in the
/// smallest gap between already-placed buffers it is live with (best fit).
public enum MemoryPlanner {
    /// Plans `graph`'s activations plus per-op scratch space.
    /// - Parameter scratchBytes: bytes of scratch op `i` needs while it runs (from the backend).
    public static func plan(_ graph: Graph, scratchBytes: (Int) -> Int = { _ in 0 }) -> MemoryPlan {
        let end = graph.ops.count
        // In-place outputs share their input's buffer: map each tensor to the tensor owning it.
        var owner: [TensorID: TensorID] = [:]
        func root(_ t: TensorID) -> TensorID { owner[t].map(root) ?? t }
        for op in graph.ops {
            // In place only between tensors of one element type (a float → uint8 GRN is not).
            if let (i, o) = op.inPlace, graph[i].dataType == graph[o].dataType { owner[o] = root(i) }
        }

        var first: [TensorID: Int] = [:], last: [TensorID: Int] = [:], members: [TensorID: [TensorID]] = [:]
        func touch(_ t: TensorID, _ i: Int) {
            guard graph[t].kind == .activation else { return }
            let r = root(t)
            first[r] = min(first[r] ?? i, i)
            last[r] = max(last[r] ?? i, i)
            if members[r]?.contains(t) != true { members[r, default: []].append(t) }
        }
        for (i, op) in graph.ops.enumerated() {
            for t in op.outputs { touch(t, i) }
            for t in op.inputs { touch(t, i) }
        }
        if graph[graph.output].kind == .activation { touch(graph.output, end) }

        var buffers = members.keys.sorted().map { r in
            MemoryPlan.Buffer(tensors: members[r]!, scratchOf: nil, offset: 0,
                              byteCount: members[r]!.map { graph[$0].byteCount }.max()!,
                              firstOp: first[r]!, lastOp: last[r]!)
        }
        let scratch = graph.ops.indices.map { max(0, scratchBytes($0)) }
        for (i, bytes) in scratch.enumerated() where bytes > 0 {
            buffers.append(.init(tensors: [], scratchOf: i, offset: 0, byteCount: bytes, firstOp: i, lastOp: i))
        }

        let order = buffers.indices.sorted {
            (buffers[$0].byteCount, -buffers[$0].firstOp, -$0) > (buffers[$1].byteCount, -buffers[$1].firstOp, -$1)
        }
        var placed: [Int] = []
        var arena = 0
        for b in order {
            buffers[b].offset = bestFit(buffers[b], among: placed.map { buffers[$0] }.filter { $0.livesWith(buffers[b]) })
            arena = max(arena, align(buffers[b].offset + buffers[b].byteCount))
            placed.append(b)
        }

        var offsets: [TensorID: Int] = [:]
        var scratchOffsets = [Int](repeating: 0, count: end)
        for b in buffers {
            for t in b.tensors { offsets[t] = b.offset }
            if let op = b.scratchOf { scratchOffsets[op] = b.offset }
        }
        return MemoryPlan(buffers: buffers, arenaBytes: arena, offsets: offsets,
                          scratchOffsets: scratchOffsets, scratchBytes: scratch)
    }

    static func align(_ n: Int) -> Int { (n + MemoryPlan.alignment - 1) / MemoryPlan.alignment * MemoryPlan.alignment }

    /// The aligned offset of the smallest gap among `live` (placed, simultaneously live buffers)
    /// that holds `buffer`, or the first aligned offset past all of them.
    static func bestFit(_ buffer: MemoryPlan.Buffer, among live: [MemoryPlan.Buffer]) -> Int {
        var best: (offset: Int, gap: Int)?
        var cursor = 0
        for other in live.sorted(by: { $0.offset < $1.offset }) {
            let start = align(cursor)
            let gap = other.offset - start
            if gap >= buffer.byteCount, best.map({ gap < $0.gap }) ?? true { best = (start, gap) }
            cursor = max(cursor, other.offset + other.byteCount)
        }
        return best?.offset ?? align(cursor)
    }
}
