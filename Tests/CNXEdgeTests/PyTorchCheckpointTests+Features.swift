import Foundation
import Testing
@testable import CNXEdge

/// Checkpoint features the official file does not exercise, on hand-assembled pickles.
extension PyTorchCheckpointTests {
    @Test("strided views, storage offsets, float64, parameters, skipped int tensors, module. prefix, state_dict key")
    func stridedConvertedAndNested() throws {
        let doubles: [Double] = [1.5, -2.25, 1e-30]
        let storages: [String: Data] = [
            "0": float32Bytes([0, 1, 2, 3, 4, 5]),
            "1": Data(doubles.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }),
            "2": Data(withUnsafeBytes(of: Int64(7).littleEndian, Array.init)),
            "3": Data([0x00, 0x3C, 0x00, 0xC0]),  // float16 1, -2
            "4": Data([0xC0, 0x3F, 0x40, 0xC0]),  // bfloat16 1.5, -3
        ]
        var p = PickleFixture()
        p.emptyDict()
        p.mark()
        p.string("epoch")
        p.int(300)
        p.string("state_dict")
        p.global("collections", "OrderedDict")
        p.emptyTuple()
        p.reduce()
        p.mark()
        p.string("module.a")
        p.tensor("FloatStorage", key: "0", count: 6, shape: [3, 2], stride: [1, 3])  // a transposed view
        p.string("module.b")
        p.tensor("FloatStorage", key: "0", count: 6, offset: 2, shape: [2])
        p.string("module.c")
        p.tensor("DoubleStorage", key: "1", count: 3, shape: [3])
        p.string("module.steps")
        p.tensor("LongStorage", key: "2", count: 1, shape: [])
        p.string("module.p")
        p.global("torch._utils", "_rebuild_parameter")
        p.mark()
        p.tensor("HalfStorage", key: "3", count: 2, shape: [2])
        p.raw(0x88)  // NEWTRUE
        p.global("collections", "OrderedDict")
        p.emptyTuple()
        p.reduce()
        p.tuple()
        p.reduce()
        p.string("module.bf")
        p.tensor("BFloat16Storage", key: "4", count: 2, shape: [1, 2], stride: [7, 1])
        p.setItems()
        p.emptyDict()
        p.raw(0x62)  // BUILD: the OrderedDict's _metadata-style state, dropped
        p.setItems()
        p.stop()
        let archive = try PyTorchCheckpoint.parse(ZipFixture.checkpoint(p.bytes, storages: storages))
        #expect(Set(archive.keys) == ["a", "b", "c", "p", "bf"])
        #expect(archive["a"]?.shape == [3, 2])
        #expect(archive["a"]?.floats() == [0, 3, 1, 4, 2, 5])
        #expect(archive["b"]?.floats() == [2, 3])
        #expect(archive["c"]?.dtype == .float32)
        #expect(archive["c"]?.floats() == doubles.map { Float($0) })
        #expect(archive["p"]?.dtype == .float16)
        #expect(archive["p"]?.floats() == [1, -2])
        #expect(archive["bf"]?.dtype == .bfloat16)
        #expect(archive["bf"]?.floats() == [1.5, -3])
    }

    @Test("protocol 4: FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE; a big-endian file is byte-swapped")
    func protocol4BigEndian() throws {
        var p = PickleFixture(protocol: 4)
        func short(_ s: String) { p.raw(0x8C, UInt8(s.utf8.count)); p.bytes += Array(s.utf8) }
        func stackGlobal(_ m: String, _ n: String) { short(m); short(n); p.raw(0x93) }
        p.raw(0x95, 0, 0, 0, 0, 0, 0, 0, 0)  // FRAME (length is advisory)
        p.emptyDict()
        p.raw(0x94)  // memo 0: the dict
        p.mark()
        short("w")
        stackGlobal("torch._utils", "_rebuild_tensor_v2")
        p.raw(0x94)  // memo 1: the global
        p.mark()
        p.mark()
        short("storage")
        stackGlobal("torch", "FloatStorage")
        short("0")
        short("cpu")
        p.int(2)
        p.tuple()
        p.raw(0x51)  // BINPERSID
        p.raw(0x94)  // memo 2: the storage
        p.int(0)
        p.int(2)
        p.raw(0x85)  // TUPLE1
        p.int(1)
        p.raw(0x85)
        p.raw(0x89)
        stackGlobal("collections", "OrderedDict")
        p.emptyTuple()
        p.reduce()
        p.tuple()
        p.reduce()
        short("v")
        p.raw(0x68, 1)  // BINGET the global
        p.mark()
        p.raw(0x68, 2)  // BINGET the storage
        p.int(1)
        p.int(1)
        p.raw(0x85)
        p.int(1)
        p.raw(0x85)
        p.raw(0x89)
        stackGlobal("collections", "OrderedDict")
        p.emptyTuple()
        p.reduce()
        p.tuple()
        p.reduce()
        p.setItems()
        p.stop()
        let storages = ["0": float32Bytes([1.5, -3], bigEndian: true)]
        let archive = try PyTorchCheckpoint.parse(ZipFixture.checkpoint(p.bytes, storages: storages, byteorder: "big"))
        #expect(archive["w"]?.floats() == [1.5, -3])
        #expect(archive["v"]?.floats() == [-3])
        // Without a byteorder entry (PyTorch < 1.10) the data is little-endian.
        let old = try PyTorchCheckpoint.parse(ZipFixture.checkpoint(p.bytes, storages: ["0": float32Bytes([1.5, -3])], byteorder: nil))
        #expect(old["w"]?.floats() == [1.5, -3])
    }

    @Test("WeightLoader recognises a PyTorch zip by its content")
    func weightLoaderDispatch() throws {
        let bytes = PickleFixture.stateDict([("w", { $0.tensor("FloatStorage", key: "0", count: 1, shape: [1]) })])
        let data = try ZipFixture.checkpoint(bytes, storages: ["0": float32Bytes([42])])
        #expect(try WeightLoader.detectFormat(data) == .pytorchZip)
        #expect(try WeightLoader.readArchive(data: data)["w"]?.floats() == [42])
        // A Data slice that does not start at index 0 reads the same.
        let shifted = (Data([9, 9, 9]) + data).dropFirst(3)
        #expect(shifted.startIndex == 3)
        #expect(try PyTorchCheckpoint.parse(shifted)["w"]?.floats() == [42])
    }
}
