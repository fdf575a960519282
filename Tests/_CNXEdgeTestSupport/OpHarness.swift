import CNXEdge
import Foundation

/// Values of one tensor handed to or read back from a one-op graph.
public enum OpValues: Equatable, Sendable {
    case float([Float])
    case codes([UInt8])
    case double([Double])

    public var floats: [Float] { if case let .float(v) = self { v } else { [] } }
    public var bytes: [UInt8] { if case let .codes(v) = self { v } else { [] } }
    public var doubles: [Double] { if case let .double(v) = self { v } else { [] } }
}

/// One op alone in a graph: its inputs are ``Graph/externalInputs`` the harness writes into the
/// arena (the image for a stem), its constants random, so every backend can run exactly that op.
/// The analogue of ggml's `test-backend-ops`.
public struct OneOpGraph: Sendable {
    public var graph: Graph
    /// Values of each external input (and of the image, under ``Graph/input``).
    public var inputs: [TensorID: OpValues]

    public var op: FusedOp { graph.ops[0] }

    /// Runs the op on `backend` (prepared here) and returns every output the op writes. The arena
    /// starts filled with 0xA5 bytes, so a kernel that reads what it did not write shows.
    public func run(on backend: any Backend) throws -> [TensorID: OpValues] {
        try backend.prepare(graph)
        let plan = MemoryPlanner.plan(graph) { backend.scratchBytes(for: graph.ops[$0], in: graph) }
        let arena = UnsafeMutableRawPointer.allocate(byteCount: max(plan.arenaBytes, 64), alignment: MemoryPlan.alignment)
        defer { arena.deallocate() }
        arena.initializeMemory(as: UInt8.self, repeating: 0xA5, count: max(plan.arenaBytes, 64))
        let image = inputs[graph.input]?.floats ?? [Float](repeating: 0, count: 3 * graph.inputHeight * graph.inputWidth)
        for t in graph.externalInputs {
            let at = arena + plan.offsets[t]!
            switch inputs[t]! {
            case let .float(v): v.withUnsafeBytes { at.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            case let .codes(v): v.withUnsafeBytes { at.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            case let .double(v): v.withUnsafeBytes { at.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            }
        }
        return image.withUnsafeBufferPointer { p in
            let buffers = ExecutionBuffers(arena: arena, plan: plan, inputID: graph.input, input: p.baseAddress!)
            backend.execute(op: 0, buffers)
            var out: [TensorID: OpValues] = [:]
            for t in op.outputs {
                let n = graph[t].elementCount, at = arena + plan.offsets[t]!
                switch graph[t].dataType {
                case .float32: out[t] = .float(Array(UnsafeBufferPointer(start: at.assumingMemoryBound(to: Float.self), count: n)))
                case .uint8: out[t] = .codes(Array(UnsafeBufferPointer(start: at.assumingMemoryBound(to: UInt8.self), count: n)))
                case .float64: out[t] = .double(Array(UnsafeBufferPointer(start: at.assumingMemoryBound(to: Double.self), count: n)))
                case .int8, .int32: break
                }
            }
            return out
        }
    }
}

/// Builds one-op graphs with random constants and inputs.
public struct OneOpBuilder {
    public var g: Graph
    public var inputs: [TensorID: OpValues] = [:]
    public var rng: SplitMix64

    public init(seed: UInt64, image: (h: Int, w: Int) = (4, 4)) {
        g = Graph(inputHeight: image.h, inputWidth: image.w)
        rng = SplitMix64(seed: seed)
    }

    /// A float32 external input of `shape`, values uniform in `range`.
    public mutating func floatInput(_ name: String, _ shape: [Int], _ range: ClosedRange<Float> = -2...2) -> TensorID {
        let t = g.addTensor(name, shape, .activation)
        g.externalInputs.insert(t)
        inputs[t] = .float(rng.floats(g[t].elementCount, in: range))
        return t
    }

    /// A uint8 external input of `shape` quantized as `q`, random codes.
    public mutating func codeInput(_ name: String, _ shape: [Int], _ q: TensorQuantization) -> TensorID {
        let t = g.addTensor(name, shape, .activation)
        g.quantize(t, q)
        g.externalInputs.insert(t)
        inputs[t] = .codes((0..<g[t].elementCount).map { _ in UInt8.random(in: 0...255, using: &rng) })
        return t
    }

    /// GRN's float64 sums of squares `[c]` as an external input: positive, varied (some near zero).
    public mutating func sumsInput(_ name: String, _ c: Int) -> TensorID {
        let t = g.addTensor(name, [c], .activation, .float64)
        g.externalInputs.insert(t)
        inputs[t] = .double((0..<c).map { i in i % 7 == 3 ? 1e-9 : Double(Float.random(in: 0.1...50, using: &rng)) })
        return t
    }

    public mutating func activation(_ name: String, _ shape: [Int], _ type: TensorDataType = .float32) -> TensorID {
        g.addTensor(name, shape, .activation, type)
    }

    public mutating func constant(_ name: String, _ shape: [Int], _ range: ClosedRange<Float>) -> TensorID {
        g.addConstant(name, shape, rng.floats(shape.reduce(1, *), in: range))
    }

    /// A LayerNorm: an affine with random γ, β, or none (folded away).
    public mutating func norm(_ name: String, _ c: Int, affine: Bool) -> LayerNormAffine {
        guard affine else { return LayerNormAffine(gamma: nil, beta: nil, epsilon: 1e-6) }
        return LayerNormAffine(gamma: constant(name + ".gamma", [c], 0.5...1.5), beta: constant(name + ".beta", [c], -0.5...0.5),
                               epsilon: 1e-6)
    }

    /// A float convolution weight of `shape` (fan-in scaled), stored float32 or as weight-only int8
    /// codes with per-channel steps (`planes` 2: a second plane, head only).
    public mutating func weight(_ name: String, _ shape: [Int], int8Planes planes: Int = 0) -> (TensorID, WeightStorage) {
        let n = shape[0], k = shape.reduce(1, *) / n, bound = 1 / Float(k).squareRoot()
        guard planes > 0 else { return (constant(name, shape, -bound...bound), .float32) }
        func codes(_ suffix: String) -> (TensorID, TensorID) {
            let values = (0..<(n * k)).map { _ in Int32.random(in: -127...127, using: &rng) }
            return (g.addIntegerConstant(name + suffix, shape, .int8, values),
                    constant(name + suffix + ".steps", [n], (bound / 200)...(bound / 100)))
        }
        let (w, steps) = codes(".int8")
        guard planes == 2 else { return (w, .int8(WeightOnlyInt8(weightScale: steps))) }
        let (plane, planeSteps) = codes(".plane2")
        return (w, .int8(WeightOnlyInt8(weightScale: steps, residualWeight: plane, residualScale: planeSteps)))
    }

    /// int8 convolution constants: codes in ±127, int32 starts, float32 steps.
    public mutating func int8Weight(_ name: String, _ shape: [Int], floatBias: Bool = false) -> (weight: TensorID, bias: TensorID, steps: TensorID) {
        let n = shape[0], k = shape.reduce(1, *) / n
        let w = g.addIntegerConstant(name + ".int8", shape, .int8, (0..<(n * k)).map { _ in Int32.random(in: -127...127, using: &rng) })
        let b = floatBias ? constant(name + ".bias", [n], -0.5...0.5)
            : g.addIntegerConstant(name + ".bias", [n], .int32, (0..<n).map { _ in Int32.random(in: -40_000...40_000, using: &rng) })
        let steps = constant(name + ".steps", [n], 0.002...0.01)
        return (w, b, steps)
    }

    public mutating func quantization(_ scale: ClosedRange<Float>) -> TensorQuantization {
        TensorQuantization(scale: Float.random(in: scale, using: &rng), zeroPoint: Int32.random(in: 0...255, using: &rng))
    }

    /// The graph of `op`, whose first output becomes the graph's output.
    public mutating func finish(_ op: FusedOp) throws -> OneOpGraph {
        g.ops = [op]
        g.output = op.outputs[0]
        try g.verify()
        return OneOpGraph(graph: g, inputs: inputs)
    }
}
