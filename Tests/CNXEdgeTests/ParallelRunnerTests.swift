import Synchronization
import Testing
@testable import CNXEdgeRuntime

/// The Swift backend's worker pool: every item of every round is handed out exactly once, chunks
/// keep their granularity, rounds after the workers have parked still complete, and a pool with
/// more threads than cores neither hangs nor leaks work into the next round.
@Suite("ParallelRunner and its worker pool")
struct ParallelRunnerTests {
    final class Counts: @unchecked Sendable {
        let hits: UnsafeMutablePointer<Atomic<Int>>
        let count: Int
        init(_ count: Int) {
            self.count = count
            hits = .allocate(capacity: count)
            for i in 0..<count { (hits + i).initialize(to: Atomic(0)) }
        }
        deinit { hits.deinitialize(count: count); hits.deallocate() }
        func add(_ r: Range<Int>) { for i in r { hits[i].add(1, ordering: .relaxed) } }
        func all(equal n: Int) -> Bool { (0..<count).allSatisfy { hits[$0].load(ordering: .relaxed) == n } }
    }

    @Test("each item once per round, chunks on the granularity", arguments: [1, 2, 3, 5])
    func coverage(threads: Int) {
        let runner = ParallelRunner(threads: threads)
        for count in [1, 2, 7, 8, 9, 63, 1000] {
            for granularity in [1, 6, 8] {
                let counts = Counts(count)
                for _ in 0..<50 {
                    runner.forEachChunk(count, granularity: granularity) { r in
                        precondition(r.lowerBound % granularity == 0)
                        precondition(r.upperBound == count || r.count % granularity == 0)
                        counts.add(r)
                    }
                }
                #expect(counts.all(equal: 50), "threads \(threads), count \(count), granularity \(granularity)")
            }
        }
    }

    @Test("rounds complete after the workers have parked, and pools come and go")
    func parkedWorkers() async throws {
        let runner = ParallelRunner(threads: 2)
        let counts = Counts(64)
        for _ in 0..<3 {
            runner.forEachChunk(64) { counts.add($0) }
            try await Task.sleep(for: .milliseconds(30)) // longer than the spin: workers park
        }
        #expect(counts.all(equal: 3))
        for _ in 0..<20 { // each pool's workers exit when it goes away
            let transient = Counts(16)
            ParallelRunner(threads: 3).forEachChunk(16) { transient.add($0) }
            #expect(transient.all(equal: 1))
        }
    }
}
