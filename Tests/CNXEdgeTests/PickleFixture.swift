import Foundation

/// Hand-assembles pickle streams, opcode by opcode, for the PyTorch checkpoint tests.
struct PickleFixture {
    var bytes: [UInt8] = []

    init(protocol version: UInt8 = 2) { bytes = [0x80, version] }

    mutating func raw(_ b: UInt8...) { bytes += b }
    mutating func mark() { raw(0x28) }
    mutating func tuple() { raw(0x74) }
    mutating func emptyTuple() { raw(0x29) }
    mutating func emptyDict() { raw(0x7D) }
    mutating func reduce() { raw(0x52) }
    mutating func setItems() { raw(0x75) }
    mutating func stop() { raw(0x2E) }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        raw(0x58)
        bytes += le(UInt64(utf8.count), 4) + utf8
    }

    /// BININT1, BININT or LONG1 (8 bytes), as Python chooses.
    mutating func int(_ i: Int) {
        if (0...255).contains(i) {
            raw(0x4B, UInt8(i))
        } else if let small = Int32(exactly: i) {
            raw(0x4A)
            bytes += le(UInt64(UInt32(bitPattern: small)), 4)
        } else {
            raw(0x8A, 8)
            bytes += le(UInt64(bitPattern: Int64(i)), 8)
        }
    }

    mutating func global(_ module: String, _ name: String) {
        raw(0x63)
        bytes += Array("\(module)\n\(name)\n".utf8)
    }

    mutating func intTuple(_ values: [Int]) {
        mark()
        values.forEach { int($0) }
        tuple()
    }

    /// `_rebuild_tensor_v2(persistent storage, offset, shape, stride, False, OrderedDict())`.
    mutating func tensor(_ storageClass: String, key: String, count: Int, offset: Int = 0, shape: [Int], stride: [Int]? = nil) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark()
        string("storage")
        global("torch", storageClass)
        string(key)
        string("cpu")
        int(count)
        tuple()
        raw(0x51)  // BINPERSID
        int(offset)
        intTuple(shape)
        intTuple(stride ?? Self.contiguousStride(shape))
        raw(0x89)  // NEWFALSE
        global("collections", "OrderedDict")
        emptyTuple()
        reduce()
        tuple()
        reduce()
    }

    static func contiguousStride(_ shape: [Int]) -> [Int] {
        var stride = [Int](repeating: 1, count: shape.count)
        for d in shape.indices.dropLast().reversed() { stride[d] = stride[d + 1] * shape[d + 1] }
        return stride
    }

    /// `{name: tensor, ...}` where each `tensor` closure appends one tensor expression.
    static func stateDict(_ tensors: [(String, (inout PickleFixture) -> Void)]) -> [UInt8] {
        var p = PickleFixture()
        p.emptyDict()
        p.mark()
        for (name, tensor) in tensors {
            p.string(name)
            tensor(&p)
        }
        p.setItems()
        p.stop()
        return p.bytes
    }

    private func le(_ value: UInt64, _ width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}
