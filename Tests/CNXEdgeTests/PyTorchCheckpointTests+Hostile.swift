import Foundation
import Testing
@testable import CNXEdge

/// Damaged and hostile checkpoints: each must end in a typed ``WeightLoadingError``, never a crash
/// or an unbounded allocation.
extension PyTorchCheckpointTests {
    /// Parses a checkpoint whose `data.pkl` is `pickle`, expecting a pickle error.
    static func pickleError(_ pickle: [UInt8], storages: [String: Data] = [:]) throws -> (reason: String, offset: Int)? {
        let data = try ZipFixture.checkpoint(pickle, storages: storages)
        let error = #expect(throws: WeightLoadingError.self) { try PyTorchCheckpoint.parse(data) }
        guard case let .pickle(reason, offset)? = error else {
            Issue.record("expected a pickle error, got \(String(describing: error))")
            return nil
        }
        return (reason, offset)
    }

    /// A one-tensor state dict `{"w": FloatStorage view}` with the given storage bytes.
    static func oneTensor(count: Int, offset: Int = 0, shape: [Int], stride: [Int]? = nil, storage: Data?) throws -> Data {
        let pickle = PickleFixture.stateDict([("w", { $0.tensor("FloatStorage", key: "0", count: count, offset: offset, shape: shape, stride: stride) })])
        return try ZipFixture.checkpoint(pickle, storages: storage.map { ["0": $0] } ?? [:])
    }

    @Test("empty data")
    func emptyData() {
        #expect(throws: WeightLoadingError.truncated(what: "zip end of central directory record", offset: 0, needed: 22, available: 0)) {
            try PyTorchCheckpoint.parse(Data())
        }
    }

    @Test("the official file cut short at many points", arguments: [1, 4, 21, 22, 30, 100, 14_000, 14_900, 1 << 20, -10_000, -500, -23, -22, -1])
    func truncatedZip(cut: Int) throws {
        let full = try Self.mapped(Self.officialPath)
        let length = cut > 0 ? cut : full.count + cut
        #expect(throws: WeightLoadingError.self) { try PyTorchCheckpoint.parse(full.prefix(length)) }
    }

    @Test("bytes flipped in the pickle and the central directory give an error or a result, never a crash")
    func corruptedBytes() throws {
        let full = Data(try Self.mapped(Self.officialPath))
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var failures = 0
        for trial in 0..<300 {
            var data = full
            // data.pkl sits in the first ~15 KB, the central directory in the last ~20 KB.
            let region = trial % 2 == 0 ? 0..<15_000 : (full.count - 20_000)..<full.count
            for _ in 0..<(1 + next(4)) {
                data[region.lowerBound + next(region.count)] = UInt8(next(256))
            }
            do { _ = try PyTorchCheckpoint.parse(data) } catch is WeightLoadingError { failures += 1 }
        }
        #expect(failures > 0)
    }

    @Test("a zip without data.pkl")
    func noDataPickle() throws {
        let data = try ZipFixture.make([("ckpt/version", Data("3\n".utf8)), ("ckpt/data/0", float32Bytes([1]))])
        let error = #expect(throws: WeightLoadingError.self) { try PyTorchCheckpoint.parse(data) }
        guard case let .malformedHeader(reason, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(reason.contains("ckpt/data.pkl"))
    }

    @Test("a global outside the allow-list is refused by name, not run")
    func disallowedGlobal() throws {
        var p = PickleFixture()
        p.global("os", "system")
        p.string("touch /tmp/pwned")
        p.raw(0x85)  // TUPLE1
        p.reduce()
        p.stop()
        let found = try Self.pickleError(p.bytes)
        #expect(found?.offset == 2)
        #expect(found?.reason.contains("os.system") == true)
        // STACK_GLOBAL is checked the same way.
        var q = PickleFixture(protocol: 4)
        q.raw(0x8C, 8)
        q.bytes += Array("builtins".utf8)
        q.raw(0x8C, 4)
        q.bytes += Array("eval".utf8)
        q.raw(0x93)
        q.stop()
        #expect(try Self.pickleError(q.bytes)?.reason.contains("builtins.eval") == true)
    }

    @Test("the official data.pkl cut short", arguments: [0, 1, 2, 20, 57, 1000, 14_000, 14_820])
    func truncatedPickle(cut: Int) throws {
        let full = try PyTorchCheckpoint.parse(Self.mapped(Self.officialPath)).count
        #expect(full == 140)
        let zip = try CheckpointZip(Self.mapped(Self.officialPath))
        let pickle = try zip.contents(of: #require(zip["convnextv2_atto_official/data.pkl"]))
        #expect(pickle.count == 14_821)
        let found = try Self.pickleError(Array(pickle.prefix(cut)))
        #expect((found?.offset ?? -1) <= cut)
    }

    @Test("malformed pickle streams: each a pickle error at the offending opcode", arguments: [
        ([0xFF], 2, "unknown opcode"),
        ([0x52], 2, "underflow"),  // REDUCE on an empty stack
        ([0x28, 0x4E, 0x31, 0x30], 5, "underflow"),  // MARK None POP_MARK POP
        ([0x68, 7, 0x2E], 2, "memo index 7"),  // BINGET of an unset memo slot
        ([0x72, 0xFF, 0xFF, 0xFF, 0xFF], 2, "underflow"),  // LONG_BINPUT of nothing
        ([0x8D] + [UInt8](repeating: 0xFF, count: 7) + [0x3F], 2, "declares"),  // BINUNICODE8 of 2^62 bytes
        ([0x58, 10, 0, 0, 0, 0x61], 2, "declares"),  // BINUNICODE longer than the stream
        ([0x4E, 0x4E, 0x73], 4, "underflow"),  // SETITEM without a dict
        ([0x5D, 0x4E, 0x4E, 0x73], 5, "SETITEM on a container"),  // SETITEM on a list
        ([0x4E, 0x4E, 0x52], 4, "REDUCE on a None"),
        ([0x4A, 1, 2, 3], 2, "stream ends inside BININT"),
        ([0x4E], 3, "without STOP"),
        ([0x80, 1], 2, "protocol 1"),
        ([0x69], 2, "not supported"),  // INST: protocol-0 object construction
    ] as [([UInt8], Int, String)])
    func malformedPickle(body: [UInt8], offset: Int, reason: String) throws {
        let found = try Self.pickleError([0x80, 2] + body)
        #expect(found?.offset == offset, "\(found?.reason ?? "")")
        #expect(found?.reason.contains(reason) == true, "\(found?.reason ?? "")")
    }

    @Test("nesting beyond the limit: MARKs and containers")
    func deepNesting() throws {
        let marks = try Self.pickleError([0x80, 2] + [UInt8](repeating: 0x28, count: 1000))
        #expect(marks?.offset == 2 + Unpickler.maxDepth)
        #expect(marks?.reason.contains("nested") == true)
        // EMPTY_TUPLE at 2 (depth 1), then TUPLE1 at 2 + k makes depth k + 1.
        let tuples = try Self.pickleError([0x80, 2, 0x29] + [UInt8](repeating: 0x85, count: 100_000) + [0x2E])
        #expect(tuples?.offset == 2 + Unpickler.maxDepth)
        // A list appended into itself is a cycle, not a crash; it is just not a state dict.
        let cycle = try ZipFixture.checkpoint([0x80, 2, 0x5D, 0x71, 0, 0x68, 0, 0x61, 0x2E])
        #expect(throws: WeightLoadingError.self) { try PyTorchCheckpoint.parse(cycle) }
    }

    @Test("too many values")
    func tooManyValues() throws {
        // The cap bounds memory only while a value stays small.
        #expect(MemoryLayout<PickleValue>.stride <= 24)
        // None, then DUP repeated: one byte per value, past the cap.
        let found = try Self.pickleError([0x80, 2, 0x4E] + [UInt8](repeating: 0x32, count: Unpickler.maxValues + 10))
        #expect(found?.reason.contains("values") == true)
    }

    @Test("a storage entry shorter than its declared size")
    func shortStorage() throws {
        let data = try Self.oneTensor(count: 6, shape: [6], storage: float32Bytes([1, 2, 3, 4, 5]))
        let error = #expect(throws: WeightLoadingError.self) { try PyTorchCheckpoint.parse(data) }
        guard case let .truncated(what, _, needed, available)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(what == "storage ckpt/data/0 of tensor w")
        #expect(needed == 24 && available == 20)
    }

    @Test("a view reaching past its storage")
    func viewOutOfBounds() throws {
        let past = try Self.oneTensor(count: 4, offset: 2, shape: [4], storage: float32Bytes([1, 2, 3, 4]))
        #expect(throws: WeightLoadingError.tensorOutOfBounds(tensor: "w", begin: 8, end: 24, limit: 16)) { try PyTorchCheckpoint.parse(past) }
        let strided = try Self.oneTensor(count: 4, shape: [2, 2], stride: [3, 1], storage: float32Bytes([1, 2, 3, 4]))
        #expect(throws: WeightLoadingError.tensorOutOfBounds(tensor: "w", begin: 0, end: 20, limit: 16)) { try PyTorchCheckpoint.parse(strided) }
        let overflow = try Self.oneTensor(count: 4, shape: [3, 3], stride: [Int.max / 2, 1], storage: float32Bytes([1, 2, 3, 4]))
        #expect(throws: WeightLoadingError.tensorOutOfBounds(tensor: "w", begin: 0, end: Int.max, limit: 16)) { try PyTorchCheckpoint.parse(overflow) }
        let hugeShape = try Self.oneTensor(count: 4, shape: [1 << 40, 1 << 40], storage: float32Bytes([1, 2, 3, 4]))
        #expect(throws: WeightLoadingError.self) { try PyTorchCheckpoint.parse(hugeShape) }
        // Stride 0 repeats one element 2^60 times: refused rather than allocated.
        let expanded = try Self.oneTensor(count: 4, shape: [1 << 30, 1 << 30], stride: [0, 0], storage: float32Bytes([1, 2, 3, 4]))
        #expect(throws: WeightLoadingError.sizeMismatch(tensor: "w", shape: [1 << 30, 1 << 30], dtype: "F32",
                                                        expectedBytes: 1 << 62, foundBytes: 16)) { try PyTorchCheckpoint.parse(expanded) }
    }

    @Test("a tensor whose storage entry is missing, and other structural faults")
    func missingPieces() throws {
        let missing = try Self.oneTensor(count: 1, shape: [1], storage: nil)
        let error = #expect(throws: WeightLoadingError.self) { try PyTorchCheckpoint.parse(missing) }
        guard case let .malformedHeader(reason, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(reason.contains("ckpt/data/0") && reason.contains("tensor w"))

        let bytes = PickleFixture.stateDict([("w", { $0.tensor("FloatStorage", key: "0", count: 1, shape: [1]) })])
        let badOrder = try ZipFixture.checkpoint(bytes, storages: ["0": float32Bytes([1])], byteorder: "middle")
        #expect(throws: WeightLoadingError.self) { try PyTorchCheckpoint.parse(badOrder) }

        var list = PickleFixture()
        list.raw(0x5D, 0x2E)  // an empty list: no state dict
        let noDict = try ZipFixture.checkpoint(list.bytes)
        let e2 = #expect(throws: WeightLoadingError.self) { try PyTorchCheckpoint.parse(noDict) }
        guard case let .malformedHeader(r2, _)? = e2 else { Issue.record("got \(String(describing: e2))"); return }
        #expect(r2.contains("no dict of tensors"))

        let flat = try ZipFixture.make([("data.pkl", Data(bytes))])
        #expect(throws: WeightLoadingError.self) { try PyTorchCheckpoint.parse(flat) }
    }
}
