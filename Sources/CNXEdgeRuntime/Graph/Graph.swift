/// A static dataflow graph: a tensor table, ops in execution order, and the constants' values.
///
/// Ops run in array order; the verifier checks that every tensor is produced before it is read.
public struct Graph: Sendable {
    /// Every tensor, indexed by ``TensorID/index``.
    public private(set) var tensors: [Tensor] = []
    /// Ops in execution order.
    public var ops: [FusedOp] = []
    /// Values of the constant tensors, row-major in each tensor's ``Tensor/shape``.
    public var constants: [TensorID: [Float]] = [:]
    /// Values of the ``TensorDataType/int8`` and ``TensorDataType/int32`` constants (int8 widened).
    public var integerConstants: [TensorID: [Int32]] = [:]
    /// Constants held elsewhere in their kernels' layouts (a loaded `.cnx` file), by tensor.
    public var packedConstants: [TensorID: PackedConstant] = [:]
    /// The NCHW image.
    public var input: TensorID
    /// The logits, `[1, 1, 1, classes]`.
    public var output: TensorID
    /// Input height and width in pixels.
    public var inputHeight: Int, inputWidth: Int
    /// Activations the caller writes into the arena before a run instead of an op producing them:
    /// the inputs of one-op graphs (the op harness runs every op alone this way). Empty for a
    /// model; not stored in `.cnx` files.
    public var externalInputs: Set<TensorID> = []
    /// The name of each class, in logit order (``classCount`` of them), or `nil`: stored in `.cnx`
    /// files from version 5 (`cnx-edge compile --labels`).
    public var labels: [String]? = nil

    /// Logits per image: the output's element count.
    public var classCount: Int { output.index < tensors.count ? self[output].elementCount : 0 }

    /// An empty graph for an `inputHeight`x`inputWidth` image; the input tensor is created here and
    /// ``output`` must be set once the last op is added.
    public init(inputHeight: Int, inputWidth: Int) {
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        input = TensorID(0)
        output = TensorID(0)
        input = addTensor("input", [1, 3, inputHeight, inputWidth], .input)
    }

    /// The tensor with id `id`.
    public subscript(_ id: TensorID) -> Tensor { tensors[id.index] }

    /// Appends a tensor and returns its id.
    public mutating func addTensor(_ name: String, _ shape: [Int], _ kind: TensorKind,
                                   _ dataType: TensorDataType = .float32) -> TensorID {
        let id = TensorID(tensors.count)
        tensors.append(Tensor(id: id, name: name, shape: shape, kind: kind, dataType: dataType))
        return id
    }

    /// Appends a constant tensor holding `values` and returns its id.
    public mutating func addConstant(_ name: String, _ shape: [Int], _ values: [Float]) -> TensorID {
        precondition(values.count == shape.reduce(1, *), "constant \(name): \(values.count) values for shape \(shape)")
        let id = addTensor(name, shape, .constant)
        constants[id] = values
        return id
    }

    /// Appends an int8 or int32 constant holding `values` and returns its id.
    public mutating func addIntegerConstant(_ name: String, _ shape: [Int], _ type: TensorDataType, _ values: [Int32]) -> TensorID {
        precondition(type == .int8 || type == .int32, "integer constant \(name) of type \(type)")
        precondition(values.count == shape.reduce(1, *), "constant \(name): \(values.count) values for shape \(shape)")
        precondition(type == .int32 || values.allSatisfy { (-128...127).contains($0) }, "int8 constant \(name) out of range")
        let id = addTensor(name, shape, .constant, type)
        integerConstants[id] = values
        return id
    }

    /// Sets what an activation's uint8 codes mean (makes it a ``TensorDataType/uint8`` tensor).
    public mutating func quantize(_ id: TensorID, _ quantization: TensorQuantization) {
        precondition(self[id].kind == .activation, "quantize \(id): not an activation")
        tensors[id.index].dataType = .uint8
        tensors[id.index].quantization = quantization
    }

    /// Replaces a constant's values (same element count).
    public mutating func setConstant(_ id: TensorID, _ values: [Float]) {
        precondition(self[id].kind == .constant && values.count == self[id].elementCount, "setConstant \(id)")
        constants[id] = values
    }

    /// Total multiply-accumulates.
    public var macs: Int { ops.reduce(0) { $0 + $1.macs(in: self) } }

    /// Constants still referenced by some op, in id order.
    public var usedConstants: [TensorID] {
        Set(ops.flatMap(\.constants)).sorted()
    }

    /// A copy keeping only the constants some op reads (folding leaves the replaced ones behind).
    public func droppingUnusedConstants() -> Graph {
        var g = self
        let used = Set(ops.flatMap(\.constants))
        g.constants = constants.filter { used.contains($0.key) }
        g.integerConstants = integerConstants.filter { used.contains($0.key) }
        return g
    }
}
