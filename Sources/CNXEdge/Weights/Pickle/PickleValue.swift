import Foundation

/// One value built by ``Unpickler``: a scalar, a string, a reference to a container in the
/// ``PickleArena``, an allow-listed global, or a PyTorch storage or tensor *description*.
///
/// Nothing here is executed or materialized: a tensor is only the record of where its elements
/// live. Containers are indices into the arena rather than nested values, so a hostile stream can
/// build cycles or deep chains without making destruction or traversal recursive.
enum PickleValue: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Data)
    /// A list, tuple or dict: an index into ``PickleArena/containers``.
    case container(Int)
    case global(PickleGlobal)
    /// The result of `BINPERSID` on a `("storage", type, key, location, numel)` id.
    case storage(StorageRecord)
    /// The result of `torch._utils._rebuild_tensor_v2` (or `_rebuild_tensor`, `_rebuild_parameter`).
    case tensor(TensorRecord)

    /// A short name of the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .container: "container"
        case let .global(g): "global \(g)"
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

/// A mutable pickle container. Dict items are stored flat as `key, value, key, value, ...`.
struct PickleContainer: Sendable {
    enum Kind: Sendable { case list, tuple, dict }

    let kind: Kind
    var items: [PickleValue]
    /// 1 + the deepest container reachable when items were added (an upper bound is not needed:
    /// the limit only has to stop pathological streams, and traversal never recurses).
    var depth: Int
}

/// Storage of every container an unpickling run created.
struct PickleArena: Sendable {
    var containers: [PickleContainer] = []

    /// The depth a value contributes to a container holding it.
    func depth(of value: PickleValue) -> Int {
        if case let .container(i) = value { return containers[i].depth }
        return 0
    }

    /// The items of a tuple, or nil if `value` is not a tuple.
    func tuple(_ value: PickleValue) -> [PickleValue]? {
        guard case let .container(i) = value, containers[i].kind == .tuple else { return nil }
        return containers[i].items
    }

    /// The `(key, value)` pairs of a dict in insertion order, or nil if `value` is not a dict.
    func dictPairs(_ value: PickleValue) -> [(key: PickleValue, value: PickleValue)]? {
        guard case let .container(i) = value, containers[i].kind == .dict else { return nil }
        let items = containers[i].items
        return stride(from: 0, to: items.count - 1, by: 2).map { (items[$0], items[$0 + 1]) }
    }

    /// The value under string key `key` of a dict (the last one set wins, as in Python).
    func dictValue(_ value: PickleValue, key: String) -> PickleValue? {
        guard let pairs = dictPairs(value) else { return nil }
        return pairs.last { if case let .string(k) = $0.key { k == key } else { false } }?.value
    }
}

/// Where a storage's bytes live: `<prefix>/data/<key>` in the checkpoint zip.
///
/// A class, like ``TensorRecord``, so that ``PickleValue`` stays 24 bytes: the value cap then
/// bounds the unpickler's memory to about 100 MB whatever the stream holds.
final class StorageRecord: Sendable {
    let element: ElementKind
    let key: String
    /// Declared element count of the whole storage (`numel` in the persistent id).
    let count: Int

    init(element: ElementKind, key: String, count: Int) {
        self.element = element
        self.key = key
        self.count = count
    }
}

/// A strided view of a storage, as `torch._utils._rebuild_tensor_v2` describes it. Offsets,
/// sizes and strides are in elements; all are checked non-negative when the record is built, not
/// yet against the storage.
final class TensorRecord: Sendable {
    let storage: StorageRecord
    let storageOffset: Int
    let shape: [Int]
    let stride: [Int]

    init(storage: StorageRecord, storageOffset: Int, shape: [Int], stride: [Int]) {
        self.storage = storage
        self.storageOffset = storageOffset
        self.shape = shape
        self.stride = stride
    }
}
