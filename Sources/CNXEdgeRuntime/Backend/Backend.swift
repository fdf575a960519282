/// Something that runs fused ops: the pure-Swift ``SwiftBackend``, or a native one.
///
/// A backend is prepared once for a graph (packing its constants into the layouts its kernels
/// want), then asked to run the graph's ops one at a time, in order, on buffers the
/// ``MemoryPlan`` placed. Kernels never allocate: all working memory is the plan's scratch.
public protocol Backend: AnyObject {
    /// Short name for reports (`swift`).
    var name: String { get }
    /// Whether this backend can run `op`.
    func supports(_ op: FusedOp) -> Bool
    /// The kernel that runs `op`, e.g. `f32-pwconv-gelu__swift`.
    func kernelName(for op: FusedOp) -> String
    /// Why ``kernelName(for:)`` was chosen for `op` on this machine, e.g. `AVX-512 found by cpuinfo`
    /// or `portable Swift SIMD`; shown by `inspect`.
    func selectionReason(for op: FusedOp) -> String
    /// Scratch bytes `op` needs while it runs, reserved by the memory planner.
    func scratchBytes(for op: FusedOp, in graph: Graph) -> Int
    /// Packs `graph`'s constants. Called once before ``execute(op:_:)``.
    func prepare(_ graph: Graph) throws
    /// Runs op `index` of the prepared graph.
    func execute(op index: Int, _ buffers: ExecutionBuffers)
}

/// Pointers to a graph's tensors for one run: activations and scratch in the arena, the input in
/// the caller's buffer.
public struct ExecutionBuffers {
    /// The arena, ``MemoryPlan/arenaBytes`` long and 64-byte aligned.
    public let arena: UnsafeMutableRawPointer
    public let plan: MemoryPlan
    /// The input tensor's id and storage (NCHW floats).
    public let inputID: TensorID
    public let input: UnsafePointer<Float>

    public init(arena: UnsafeMutableRawPointer, plan: MemoryPlan, inputID: TensorID, input: UnsafePointer<Float>) {
        self.arena = arena
        self.plan = plan
        self.inputID = inputID
        self.input = input
    }

    /// Storage of float32 tensor `t`.
    public func float(_ t: TensorID) -> UnsafeMutablePointer<Float> {
        if t == inputID { return UnsafeMutablePointer(mutating: input) }
        return (arena + plan.offsets[t]!).assumingMemoryBound(to: Float.self)
    }

    /// Storage of float64 tensor `t`.
    public func double(_ t: TensorID) -> UnsafeMutablePointer<Double> {
        (arena + plan.offsets[t]!).assumingMemoryBound(to: Double.self)
    }

    /// Storage of uint8 tensor `t` (int8 activations' codes).
    public func bytes(_ t: TensorID) -> UnsafeMutablePointer<UInt8> {
        (arena + plan.offsets[t]!).assumingMemoryBound(to: UInt8.self)
    }

    /// Scratch space of op `index`, ``MemoryPlan/scratchBytes`` long.
    public func scratch(_ index: Int) -> UnsafeMutableRawPointer {
        arena + plan.scratchOffsets[index]
    }
}

/// A backend that keeps the graph it prepared: the per-op helpers both backends' op functions use.
protocol PreparedGraphBackend: AnyObject {
    /// The graph of the last ``Backend/prepare(_:)``.
    var graph: Graph? { get }
}

extension PreparedGraphBackend {
    /// `(h, w, c)` of NHWC activation `t`.
    func nhwc(_ t: TensorID) -> (h: Int, w: Int, c: Int) {
        let s = graph![t].shape
        return (s[1], s[2], s[3])
    }

    /// Copies the residual into the output unless they share storage (the op then accumulates in place).
    func copyResidual(_ residual: TensorID?, to output: TensorID, _ buffers: ExecutionBuffers) {
        guard let residual else { return }
        let r = buffers.float(residual), out = buffers.float(output)
        if r != out { out.update(from: r, count: graph![output].elementCount) }
    }
}
