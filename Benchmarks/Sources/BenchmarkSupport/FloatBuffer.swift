import CNXEdge

/// A heap buffer of `Float`s allocated once in a benchmark's setup and freed when the benchmark
/// state goes away, so the measured region only ever sees raw pointers (kernels never allocate).
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    /// `count` values drawn from N(0, `std`²) with a fixed seed, so every run sees the same data.
    public init(count: Int, std: Float = 1, seed: UInt64) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        var rng = SplitMix64(seed: seed)
        for i in 0..<count { pointer[i] = std * rng.nextGaussian() }
    }

    /// `count` copies of `value`.
    public init(count: Int, repeating value: Float) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: count)
    }

    deinit { pointer.deallocate() }
}

/// Deterministic N(0, `std`²) values as an array, for the weights handed to the packing initialisers.
public func gaussianArray(_ count: Int, std: Float, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in std * rng.nextGaussian() }
}
