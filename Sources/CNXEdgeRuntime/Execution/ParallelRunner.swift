import Dispatch

/// Splits a range of work items over a fixed number of threads with Dispatch.
///
/// Kernels compute each output element the same way whatever range they are handed, so results do
/// not depend on the thread count.
public struct ParallelRunner: Sendable {
    /// Threads to use, at least 1.
    public let threads: Int

    public init(threads: Int) {
        self.threads = max(1, threads)
    }

    /// Calls `body` on disjoint sub-ranges covering `0..<count`, each a multiple of `granularity`
    /// long except the last, on up to `threads` threads at once. Returns when all are done.
    public func forEachChunk(_ count: Int, granularity: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let units = (count + granularity - 1) / granularity
        let parts = min(threads, units)
        if parts == 1 { body(0..<count); return }
        withoutActuallyEscaping(body) { body in
            // Chunks are disjoint and concurrentPerform returns only when all are done, so handing
            // the non-Sendable closure (it captures raw buffers) to the workers is safe.
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                let lo = units * i / parts * granularity
                let hi = min(count, units * (i + 1) / parts * granularity)
                if lo < hi { shared.value(lo..<hi) }
            }
        }
    }
}

/// Carries a value across a concurrency boundary the caller has proven safe.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
