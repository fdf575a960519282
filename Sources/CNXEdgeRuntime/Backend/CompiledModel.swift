import Foundation

/// A compiled graph, its memory plan and a prepared backend: ready to run images of the graph's
/// input size. The arena is allocated once, so repeated inference does not allocate (apart from
/// the returned logits).
///
/// Not safe to call from two threads at once; use one instance per thread.
public final class CompiledModel: @unchecked Sendable {
    /// The verified graph being run.
    public let graph: Graph
    /// Where every activation and scratch buffer lives in the arena.
    public let plan: MemoryPlan
    /// The prepared backend that runs every op.
    public let backend: any Backend
    private let arena: UnsafeMutableRawPointer

    /// Verifies `graph`, checks `backend` supports every op, prepares it and plans memory.
    /// - Throws: ``GraphError`` for a malformed graph, ``ExecutionError/unsupportedOp(op:kind:backend:)``.
    public init(graph: Graph, backend: any Backend) throws {
        try graph.verify()
        for (i, op) in graph.ops.enumerated() where !backend.supports(op) {
            throw ExecutionError.unsupportedOp(op: i, kind: op.kind, backend: backend.name)
        }
        try backend.prepare(graph)
        self.graph = graph
        self.backend = backend
        plan = MemoryPlanner.plan(graph) { backend.scratchBytes(for: graph.ops[$0], in: graph) }
        arena = .allocate(byteCount: max(plan.arenaBytes, MemoryPlan.alignment), alignment: MemoryPlan.alignment)
    }

    deinit { arena.deallocate() }

    /// Checks that `count` floats are a `[1, 3, height, width]` input this network accepts
    /// (height and width positive multiples of 32).
    /// - Throws: ``ExecutionError/invalidInputSize(height:width:)`` or ``ExecutionError/inputCountMismatch(expected:found:)``.
    public static func validate(height: Int, width: Int, count: Int) throws {
        guard height > 0, width > 0, height % 32 == 0, width % 32 == 0 else {
            throw ExecutionError.invalidInputSize(height: height, width: width)
        }
        guard count == 3 * height * width else {
            throw ExecutionError.inputCountMismatch(expected: 3 * height * width, found: count)
        }
    }

    /// Runs one image.
    /// - Parameters:
    ///   - input: `[1, 3, H, W]` NCHW at the graph's input size, already normalised.
    ///   - tap: if given, receives every NHWC activation after the op producing it, as NCHW.
    /// - Returns: the logits.
    /// - Throws: ``ExecutionError`` for a wrong element count or a non-finite value.
    public func predict(_ input: [Float], tap: ActivationTap? = nil) throws -> [Float] {
        try run(input) { buffers in
            for i in graph.ops.indices {
                backend.execute(op: i, buffers)
                if let tap { report(graph.ops[i], buffers, tap) }
            }
        }
    }

    /// Runs one image, calling `observe(op, after, buffers)` just before (`after` false) and just
    /// after (`after` true) each op: calibration reads activations (and recomputes an op's
    /// internals from its inputs) through it. The buffers are valid only during the call.
    /// - Throws: as ``predict(_:tap:)``.
    public func predict(_ input: [Float], observe: (_ op: Int, _ after: Bool, _ buffers: ExecutionBuffers) throws -> Void) throws -> [Float] {
        var failure: Error?
        let logits = try run(input) { buffers in
            for i in graph.ops.indices where failure == nil {
                do {
                    try observe(i, false, buffers)
                    backend.execute(op: i, buffers)
                    try observe(i, true, buffers)
                } catch { failure = error }
            }
        }
        if let failure { throw failure }
        return logits
    }

    /// Runs one image op by op with a clock read around each op, for profiling; the plain
    /// ``predict(_:tap:)`` reads no clock.
    /// - Parameters:
    ///   - input: as for ``predict(_:tap:)``.
    ///   - opNanoseconds: one entry per op of ``graph``; each op's wall time (monotonic clock) is
    ///     added to its entry, so repeated calls accumulate.
    /// - Returns: the logits.
    /// - Throws: ``ExecutionError`` for a wrong element count or a non-finite value.
    public func predict(_ input: [Float], opNanoseconds: inout [UInt64]) throws -> [Float] {
        precondition(opNanoseconds.count == graph.ops.count, "opNanoseconds needs one entry per op")
        var times = opNanoseconds
        defer { opNanoseconds = times }
        return try run(input) { buffers in
            for i in graph.ops.indices {
                let start = DispatchTime.now().uptimeNanoseconds
                backend.execute(op: i, buffers)
                times[i] += DispatchTime.now().uptimeNanoseconds - start
            }
        }
    }

    /// Runs one image without allocating: what a session serving camera frames calls.
    /// - Parameters:
    ///   - input: `[1, 3, H, W]` NCHW at the graph's input size, already normalised.
    ///   - logits: receives the ``Graph/classCount`` logits.
    /// - Throws: ``ExecutionError`` for a wrong element count (of either buffer) or a non-finite value.
    public func predict(_ input: UnsafeBufferPointer<Float>, into logits: UnsafeMutableBufferPointer<Float>) throws {
        guard logits.count == graph.classCount else {
            throw ExecutionError.inputCountMismatch(expected: graph.classCount, found: logits.count)
        }
        let out = try run(input) { buffers in
            for i in graph.ops.indices { backend.execute(op: i, buffers) }
        }
        logits.baseAddress!.update(from: out, count: logits.count)
    }

    /// Checks `input`, hands `ops` the buffers of one run, and returns the logits it left.
    private func run(_ input: [Float], _ ops: (ExecutionBuffers) -> Void) throws -> [Float] {
        try input.withUnsafeBufferPointer { p in
            let out = try run(p, ops), n = graph.classCount
            // Not `Array(UnsafeBufferPointer(start: out, count: n))`: where the caller drops the
            // result (`_ = try model.predict(x)`, a warm-up), Swift 6.3 -O inlined that copy and
            // released the new array before its memcpy, writing 4 KB into freed memory
            // (AddressSanitizer, `make test-sanitize`, in Tuner.tune). This form copies first.
            return [Float](unsafeUninitializedCapacity: n) { buffer, count in
                buffer.baseAddress!.initialize(from: out, count: n)
                count = n
            }
        }
    }

    /// Checks `input`, hands `ops` the buffers of one run; the logits it left, in the arena.
    private func run(_ input: UnsafeBufferPointer<Float>, _ ops: (ExecutionBuffers) -> Void) throws -> UnsafePointer<Float> {
        try Self.validate(height: graph.inputHeight, width: graph.inputWidth, count: input.count)
        if let bad = input.firstIndex(where: { !$0.isFinite }) { throw ExecutionError.nonFiniteInput(index: bad) }
        let buffers = ExecutionBuffers(arena: arena, plan: plan, inputID: graph.input, input: input.baseAddress!)
        ops(buffers)
        return UnsafePointer(buffers.float(graph.output))
    }

    private func report(_ op: FusedOp, _ buffers: ExecutionBuffers, _ tap: ActivationTap) {
        for t in op.outputs where graph[t].shape.count == 4 && graph[t].dataType == .float32 {
            let s = graph[t].shape
            tap(graph[t].name, NHWC.toNCHW(buffers.float(t), s[1], s[2], s[3]), [1, s[3], s[1], s[2]])
        }
    }
}
