import Foundation

/// How the unpickler interprets the callables a PyTorch state dict uses. Each allow-listed global
/// is turned into plain data; none is ever run.
extension Unpickler {
    /// Most dimensions a tensor may declare (PyTorch's own limit is 64).
    static let maxRank = 64

    /// `REDUCE`: `callable(*args)`.
    mutating func reduce(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case let .global(global) = callable else { throw error("REDUCE on a \(callable.kindName), not a global") }
        guard let items = arena.tuple(args) else { throw error("REDUCE of \(global) with \(args.kindName) arguments, not a tuple") }
        switch global {
        case .rebuildTensorV2, .rebuildTensor:
            guard items.count >= 4 else { throw error("\(global) takes at least 4 arguments, got \(items.count)") }
            return .tensor(try tensorRecord(storage: items[0], offset: items[1], size: items[2], stride: items[3], via: global))
        case .rebuildParameter, .rebuildParameterWithState:
            guard let first = items.first, case .tensor = first else {
                throw error("\(global) needs a tensor as its first argument, got \(items.first?.kindName ?? "nothing")")
            }
            return first
        case .orderedDict:
            guard items.isEmpty else { throw error("collections.OrderedDict called with \(items.count) arguments; only OrderedDict() is supported") }
            return try newContainer(.dict, [])
        case .codecsEncode:
            guard items.count == 2, case let .string(text) = items[0], case let .string(encoding) = items[1],
                  ["latin1", "latin-1"].contains(encoding.lowercased())
            else { throw error("_codecs.encode supported only as encode(str, \"latin1\")") }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(text.unicodeScalars.count)
            for scalar in text.unicodeScalars {
                guard scalar.value <= 0xFF else { throw error("_codecs.encode: character U+\(String(scalar.value, radix: 16)) is not latin1") }
                bytes.append(UInt8(scalar.value))
            }
            return .bytes(Data(bytes))
        case .storageClass, .untypedStorage, .dtype:
            throw error("\(global) cannot be called in a state dict")
        }
    }

    /// `NEWOBJ`: `cls.__new__(cls, *args)`; only `OrderedDict` is a class a state dict instantiates.
    mutating func newObject(_ cls: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(.orderedDict) = cls else { throw error("NEWOBJ of \(cls.kindName); only collections.OrderedDict is supported") }
        guard arena.tuple(args) != nil else { throw error("NEWOBJ arguments are a \(args.kindName), not a tuple") }
        return try newContainer(.dict, [])
    }

    /// `BUILD`: sets `state` on the object below it. A state dict's `OrderedDict` carries
    /// `_metadata` this way and a tensor may carry Python attributes; both are dropped.
    func build(_ target: PickleValue, state: PickleValue) throws {
        switch target {
        case .tensor: return
        case let .container(i) where arena.containers[i].kind == .dict: return
        case .none, .bool, .int, .float, .string, .bytes, .container, .global, .storage:
            throw error("BUILD on a \(target.kindName)")
        }
    }

    /// `BINPERSID`: PyTorch's persistent id `("storage", storage_type, key, location, numel)`.
    func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        guard let items = arena.tuple(pid), items.count == 5 else {
            throw error("persistent id is a \(pid.kindName), not a 5-tuple (\"storage\", type, key, location, numel)")
        }
        guard case let .string(tag) = items[0], tag == "storage" else { throw error("persistent id does not start with \"storage\"") }
        let element: ElementKind
        switch items[1] {
        case let .global(.storageClass(kind)), let .global(.dtype(kind)): element = kind
        case .global(.untypedStorage): element = .uint8
        case .none, .bool, .int, .float, .string, .bytes, .container, .global, .storage, .tensor:
            throw error("persistent id storage type is \(items[1].kindName), not a storage class or dtype")
        }
        guard case let .string(key) = items[2], !key.isEmpty, !key.contains("/"), key != "..", key != "." else {
            throw error("persistent id storage key is not a plain name")
        }
        guard case let .int(count) = items[4], count >= 0 else { throw error("persistent id storage size is not a non-negative int") }
        return .storage(StorageRecord(element: element, key: key, count: count))
    }

    private func tensorRecord(storage: PickleValue, offset: PickleValue, size: PickleValue, stride: PickleValue,
                              via global: PickleGlobal) throws -> TensorRecord {
        guard case let .storage(record) = storage else { throw error("\(global): storage argument is a \(storage.kindName)") }
        guard case let .int(storageOffset) = offset, storageOffset >= 0 else {
            throw error("\(global): storage offset is not a non-negative int")
        }
        let shape = try intTuple(size, "size", via: global)
        let strides = try intTuple(stride, "stride", via: global)
        guard shape.count == strides.count else {
            throw error("\(global): size has \(shape.count) dimensions, stride \(strides.count)")
        }
        return TensorRecord(storage: record, storageOffset: storageOffset, shape: shape, stride: strides)
    }

    private func intTuple(_ value: PickleValue, _ what: String, via global: PickleGlobal) throws -> [Int] {
        guard let items = arena.tuple(value) else { throw error("\(global): \(what) is a \(value.kindName), not a tuple") }
        guard items.count <= Self.maxRank else { throw error("\(global): \(what) has \(items.count) dimensions, more than \(Self.maxRank)") }
        return try items.map {
            guard case let .int(n) = $0, n >= 0 else { throw error("\(global): \(what) holds \($0.kindName), not a non-negative int") }
            return n
        }
    }
}
