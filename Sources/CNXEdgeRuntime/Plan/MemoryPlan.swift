/// Where every activation and every op's scratch space lives in one arena, and how big it is.
///
/// Offsets are byte offsets from the arena's base, multiples of ``MemoryPlan/alignment``.
/// An in-place output (GRN, the residual 1x1) shares its input's buffer. Made by
/// ``MemoryPlanner/plan(_:scratchBytes:)`` before anything runs, so the peak is known up front.
public struct MemoryPlan: Sendable, Equatable {
    /// Byte alignment of every buffer: one cache line, and enough for any vector load.
    public static let alignment = 64

    /// One region of the arena and the ops during which it must hold its contents.
    public struct Buffer: Sendable, Equatable {
        /// The activations stored here (several when outputs are computed in place), or empty for scratch.
        public var tensors: [TensorID]
        /// The op whose scratch space this is, for scratch buffers.
        public var scratchOf: Int?
        public var offset: Int
        public var byteCount: Int
        /// First and last op index (inclusive) during which the buffer is live.
        public var firstOp: Int
        public var lastOp: Int

        /// Whether the two buffers are live during a common op.
        public func livesWith(_ other: Buffer) -> Bool {
            firstOp <= other.lastOp && other.firstOp <= lastOp
        }

        /// Whether the two byte ranges intersect.
        public func overlaps(_ other: Buffer) -> Bool {
            offset < other.offset + other.byteCount && other.offset < offset + byteCount
        }
    }

    /// Every buffer, activations and scratch.
    public var buffers: [Buffer]
    /// Peak bytes: the arena the executor allocates.
    public var arenaBytes: Int
    /// Byte offset of each activation tensor.
    public var offsets: [TensorID: Int]
    /// Byte offset of each op's scratch space (0 and unused where ``scratchBytes`` is 0).
    public var scratchOffsets: [Int]
    /// Scratch bytes each op asked for.
    public var scratchBytes: [Int]
}
