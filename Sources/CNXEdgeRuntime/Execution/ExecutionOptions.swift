/// An instruction set the native backend's C kernels are built for.
public enum KernelISA: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Portable C, every CPU.
    case scalar
    /// x86-64 AVX2 + FMA.
    case avx2
    /// x86-64 AVX-512 (F, BW, VL; VNNI where present).
    case avx512
    /// ARM64 NEON.
    case neon

    public var description: String { rawValue }
}

/// Options for running a model: passed in, never read from the environment.
public struct ExecutionOptions: Sendable, Equatable {
    /// Worker threads for the kernels; results are identical for every value.
    public var threads: Int
    /// The instruction set the native backend's kernels run on; `nil` (the default) for the best
    /// one this CPU and build run, as cpuinfo finds it. An ISA the CPU or build cannot run falls
    /// back to the best, and the backend says so (`NativeBackend.selectionReason(for:)`); check
    /// first with `NativeBackend.canRun(_:)`. Results are the same on every ISA up to float
    /// rounding; int8 GEMMs are exact. The swift backend ignores it.
    public var isa: KernelISA?

    public init(threads: Int = 1, isa: KernelISA? = nil) {
        self.threads = threads
        self.isa = isa
    }
}

/// A named intermediate activation, reported to a tap as NCHW `Float`s: the name of the tensor
/// (the reference vectors' names where there is one: `stem`, `stage0`...`stage3`, and for block B
/// of stage S `sSbB_norm`, `sSbB_gelu`, `sSbB_grn`).
public typealias ActivationTap = (_ name: String, _ nchw: [Float], _ shape: [Int]) -> Void
