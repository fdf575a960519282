import Dispatch
import Synchronization

/// Splits a range of work items over a fixed number of threads: the calling thread and, for more
/// than one thread, a ``WorkerPool`` of persistent Dispatch workers.
///
/// Kernels compute each output element the same way whatever range they are handed, so results do
/// not depend on the thread count.
public struct ParallelRunner: Sendable {
    /// Threads to use, at least 1.
    public let threads: Int
    private let pool: WorkerPool?

    public init(threads: Int) {
        self.threads = max(1, threads)
        pool = self.threads > 1 ? WorkerPool(workers: self.threads - 1) : nil
    }

    /// Calls `body` on disjoint sub-ranges covering `0..<count`, each a multiple of `granularity`
    /// long except the last, on up to `threads` threads at once. Returns when all are done.
    /// Not reentrant: one call at a time per runner (a model runs one inference at a time).
    public func forEachChunk(_ count: Int, granularity: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let units = (count + granularity - 1) / granularity
        let parts = min(threads, units)
        guard parts > 1, let pool else { body(0..<count); return }
        pool.run(parts: parts) { i in
            let lo = units * i / parts * granularity
            let hi = min(count, units * (i + 1) / parts * granularity)
            if lo < hi { body(lo..<hi) }
        }
    }
}

/// Worker threads that live as long as the pool and take one job at a time from the thread that
/// owns it: part 0 on the caller, part `w` on worker `w`.
///
/// A model runs ~60 parallel rounds per image, many of them a few tens of microseconds long, so
/// waking a parked thread for each (as `DispatchQueue.concurrentPerform` does) costs more than the
/// second thread saves. Here each worker is one long-running block on its own Dispatch queue that
/// spins on a generation counter for a while after each job (catching the next round at once)
/// and then parks on a semaphore, so an idle model does not burn a core.
final class WorkerPool: @unchecked Sendable {
    private let state: State

    init(workers: Int) {
        state = State(workers: workers)
        for w in 1...workers {
            let state = state
            DispatchQueue(label: "cnx-edge.worker.\(w)", qos: .userInitiated).async { state.workerLoop(w) }
        }
    }

    deinit { state.stop() }

    /// Runs `body(0..<parts)` (`parts` ≤ workers + 1), part 0 on this thread; returns when all are
    /// done.
    func run(parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in state.run(parts: parts, body) }
    }

    final class State: @unchecked Sendable {
        let workers: Int
        /// Bumped once per job (and once to stop); workers compare it with the last one they ran.
        private let generation = Atomic<Int>(0)
        /// Workers that have not finished the current job.
        private let remaining = Atomic<Int>(0)
        private let stopping = Atomic<Bool>(false)
        /// `sleeping[w]`: worker `w` is parked (or about to park) on `wake[w]`.
        private let sleeping: UnsafeMutablePointer<Atomic<Bool>>
        private let wake: [DispatchSemaphore]
        // Written by the owner before `generation` is bumped (release), read by workers after
        // they see the bump (acquire).
        private var job: ((Int) -> Void)?
        private var parts = 0

        /// Spins on the generation counter before parking: about 0.4-1.6 ms, so a worker stays
        /// awake from one image to the next when images come back to back (with 1 << 16, about
        /// 50-200 µs, it parked between images and the stem's first round paid the wake-up:
        /// int8 Atto's stem 0.15 -> 0.10 ms at 2 threads, Zen 5). An idle model parks after that.
        private static let spinLimit = 1 << 19

        init(workers: Int) {
            self.workers = workers
            sleeping = .allocate(capacity: workers + 1)
            for w in 0...workers { (sleeping + w).initialize(to: Atomic(false)) }
            wake = (0...workers).map { _ in DispatchSemaphore(value: 0) }
        }

        deinit {
            sleeping.deinitialize(count: workers + 1)
            sleeping.deallocate()
        }

        func run(parts: Int, _ body: @escaping (Int) -> Void) {
            job = body
            self.parts = parts
            remaining.store(workers, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            wakeSleepers()
            body(0)
            while remaining.load(ordering: .acquiring) != 0 {}
            job = nil
        }

        func stop() {
            stopping.store(true, ordering: .sequentiallyConsistent)
            generation.add(1, ordering: .sequentiallyConsistent)
            wakeSleepers()
        }

        private func wakeSleepers() {
            for w in 1...workers where sleeping[w].exchange(false, ordering: .sequentiallyConsistent) {
                wake[w].signal()
            }
        }

        func workerLoop(_ w: Int) {
            var seen = 0
            while true {
                var current = generation.load(ordering: .acquiring)
                var spins = 0
                while current == seen {
                    if spins < Self.spinLimit {
                        spins += 1
                    } else {
                        // Announce the park, then look once more: a job published in between
                        // either finds the flag (and signals) or is seen here.
                        sleeping[w].store(true, ordering: .sequentiallyConsistent)
                        if generation.load(ordering: .sequentiallyConsistent) == seen
                            || !sleeping[w].exchange(false, ordering: .sequentiallyConsistent) {
                            wake[w].wait()
                        }
                        spins = 0
                    }
                    current = generation.load(ordering: .acquiring)
                }
                seen = current
                if stopping.load(ordering: .acquiring) { return }
                if w < parts, let job { job(w) }
                remaining.subtract(1, ordering: .releasing)
            }
        }
    }
}

/// Carries a value across a concurrency boundary the caller has proven safe.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
