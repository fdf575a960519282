import Foundation

/// A pickle virtual machine (protocols 2-5) that builds a ``PickleValue`` tree and never executes
/// anything: globals resolve only through ``PickleGlobal``'s allow-list, and `REDUCE`/`NEWOBJ`/
/// `BUILD`/`BINPERSID` are interpreted for the few PyTorch callables a state dict uses
/// (`Unpickler+Torch.swift`).
///
/// Hostile streams cannot crash it or make it allocate without bound: every read is bounds-checked,
/// lengths are checked against the bytes left, memo indices live in a dictionary, the number of
/// values created and the nesting of marks and containers are capped. Every failure is a
/// ``WeightLoadingError/pickle(reason:offset:)`` at the offending opcode's byte offset.
struct Unpickler {
    /// Deepest allowed nesting of `MARK`s or of containers (a state dict needs about 5).
    static let maxDepth = 100
    /// Most values a stream may create (pushes plus memo entries); a 10,000-tensor state dict
    /// needs about 250,000.
    static let maxValues = 4_000_000

    var reader: PickleReader
    var stack: [PickleValue] = []
    /// Stack heights at each open `MARK`.
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    var arena = PickleArena()
    var valuesCreated = 0

    init(_ bytes: [UInt8]) { reader = PickleReader(bytes) }

    /// Runs the stream to `STOP` and returns the value it leaves, with the arena its containers live in.
    static func unpickle(_ bytes: [UInt8]) throws -> (value: PickleValue, arena: PickleArena) {
        var machine = Unpickler(bytes)
        let value = try machine.run()
        return (value, machine.arena)
    }

    mutating func run() throws -> PickleValue {
        while true {
            reader.opcodeStart = reader.position
            guard !reader.isAtEnd else { throw reader.error("stream ends without STOP") }
            let byte = try reader.byte("opcode")
            guard let op = PickleOpcode(rawValue: byte) else {
                throw reader.error("unknown opcode 0x\(String(byte, radix: 16))")
            }
            if op == .stop {
                let result = try pop()
                return result
            }
            try execute(op)
        }
    }

    // MARK: - Stack

    func error(_ reason: String) -> WeightLoadingError { reader.error(reason) }

    mutating func push(_ value: PickleValue) throws {
        valuesCreated += 1
        guard valuesCreated <= Self.maxValues else { throw error("more than \(Self.maxValues) values") }
        stack.append(value)
    }

    mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else { throw error("stack underflow") }
        return value
    }

    func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else { throw error("stack underflow") }
        return value
    }

    mutating func pushMark() throws {
        guard marks.count < Self.maxDepth else { throw error("MARKs nested deeper than \(Self.maxDepth)") }
        marks.append(stack.count)
    }

    /// The values pushed since the last `MARK`, removing them and the mark.
    mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw error("no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    // MARK: - Containers

    mutating func newContainer(_ kind: PickleContainer.Kind, _ items: [PickleValue]) throws -> PickleValue {
        let depth = 1 + (items.map(arena.depth(of:)).max() ?? 0)
        guard depth <= Self.maxDepth else { throw error("containers nested deeper than \(Self.maxDepth)") }
        arena.containers.append(PickleContainer(kind: kind, items: items, depth: depth))
        return .container(arena.containers.count - 1)
    }

    /// Appends `items` to the list or dict `target` (dict items alternate key and value).
    mutating func extend(_ target: PickleValue, kind: PickleContainer.Kind, with items: [PickleValue], op: String) throws {
        guard case let .container(i) = target, arena.containers[i].kind == kind else {
            throw error("\(op) on a \(target.kindName), not a \(kind)")
        }
        let depth = 1 + (items.map(arena.depth(of:)).max() ?? 0)
        guard depth <= Self.maxDepth else { throw error("containers nested deeper than \(Self.maxDepth)") }
        arena.containers[i].depth = max(arena.containers[i].depth, depth)
        arena.containers[i].items.append(contentsOf: items)
    }

    // MARK: - Memo

    mutating func memoize(_ index: Int) throws {
        let value = try top()
        valuesCreated += 1
        guard valuesCreated <= Self.maxValues else { throw error("more than \(Self.maxValues) values") }
        memo[index] = value
    }

    mutating func recall(_ index: Int) throws {
        guard let value = memo[index] else { throw error("memo index \(index) is not set") }
        try push(value)
    }

    // MARK: - Dispatch

    mutating func execute(_ op: PickleOpcode) throws {
        switch op {
        case .proto:
            let version = try reader.byte("PROTO")
            guard (2...5).contains(version) else { throw error("pickle protocol \(version) is not supported (2-5 are)") }
        case .frame:
            _ = try reader.take(8, "FRAME length")  // frames only group opcodes; sizes are checked per read
        case .stop:
            throw error("STOP handled by run()")
        case .mark: try pushMark()
        case .pop: _ = try pop()
        case .popMark: _ = try popToMark()
        case .dup: try push(try top())
        case .none: try push(.none)
        case .newTrue: try push(.bool(true))
        case .newFalse: try push(.bool(false))
        case .binInt:
            try push(.int(Int(Int32(bitPattern: UInt32(try reader.unsigned(4, "BININT"))))))
        case .binInt1: try push(.int(Int(try reader.unsigned(1, "BININT1"))))
        case .binInt2: try push(.int(Int(try reader.unsigned(2, "BININT2"))))
        case .long1:
            let n = try reader.length(width: 1, "LONG1")
            try push(.int(try reader.signedLong(n, "LONG1")))
        case .long4:
            let n = try reader.length(width: 4, "LONG4")
            try push(.int(try reader.signedLong(n, "LONG4")))
        case .binFloat:
            let bits = try reader.take(8, "BINFLOAT").reduce(UInt64(0)) { $0 << 8 | UInt64($1) }  // big-endian
            try push(.float(Double(bitPattern: bits)))
        case .binUnicode: try pushUnicode(width: 4, "BINUNICODE")
        case .shortBinUnicode: try pushUnicode(width: 1, "SHORT_BINUNICODE")
        case .binUnicode8: try pushUnicode(width: 8, "BINUNICODE8")
        case .binString: try pushLegacyString(width: 4, "BINSTRING")
        case .shortBinString: try pushLegacyString(width: 1, "SHORT_BINSTRING")
        case .binBytes: try pushBytes(width: 4, "BINBYTES")
        case .shortBinBytes: try pushBytes(width: 1, "SHORT_BINBYTES")
        case .binBytes8: try pushBytes(width: 8, "BINBYTES8")
        case .byteArray8: try pushBytes(width: 8, "BYTEARRAY8")
        case .emptyDict: try push(try newContainer(.dict, []))
        case .emptyList: try push(try newContainer(.list, []))
        case .emptyTuple: try push(try newContainer(.tuple, []))
        case .tuple: try push(try newContainer(.tuple, try popToMark()))
        case .tuple1: try pushTuple(count: 1)
        case .tuple2: try pushTuple(count: 2)
        case .tuple3: try pushTuple(count: 3)
        case .list: try push(try newContainer(.list, try popToMark()))
        case .dict:
            let items = try popToMark()
            guard items.count % 2 == 0 else { throw error("DICT with an odd number of items (\(items.count))") }
            try push(try newContainer(.dict, items))
        case .append:
            let value = try pop()
            try extend(try top(), kind: .list, with: [value], op: "APPEND")
        case .appends:
            let items = try popToMark()
            try extend(try top(), kind: .list, with: items, op: "APPENDS")
        case .setItem:
            let value = try pop()
            let key = try pop()
            try extend(try top(), kind: .dict, with: [key, value], op: "SETITEM")
        case .setItems:
            let items = try popToMark()
            guard items.count % 2 == 0 else { throw error("SETITEMS with an odd number of items (\(items.count))") }
            try extend(try top(), kind: .dict, with: items, op: "SETITEMS")
        case .binPut: try memoize(Int(try reader.unsigned(1, "BINPUT")))
        case .longBinPut: try memoize(Int(try reader.unsigned(4, "LONG_BINPUT")))
        case .memoize: try memoize(memo.count)
        case .binGet: try recall(Int(try reader.unsigned(1, "BINGET")))
        case .longBinGet: try recall(Int(try reader.unsigned(4, "LONG_BINGET")))
        case .global:
            let module = try reader.line("GLOBAL module")
            let name = try reader.line("GLOBAL name")
            try push(.global(try resolveGlobal(module: module, name: name)))
        case .stackGlobal:
            let name = try pop()
            let module = try pop()
            guard case let .string(n) = name, case let .string(m) = module else {
                throw error("STACK_GLOBAL needs two strings, found \(module.kindName) and \(name.kindName)")
            }
            try push(.global(try resolveGlobal(module: m, name: n)))
        case .reduce:
            let args = try pop()
            let callable = try pop()
            try push(try reduce(callable, args))
        case .newObj:
            let args = try pop()
            let cls = try pop()
            try push(try newObject(cls, args))
        case .build:
            let state = try pop()
            try build(try top(), state: state)
        case .binPersID:
            try push(try persistentLoad(try pop()))
        case .float, .int, .long, .string, .unicode, .get, .put, .persID, .inst, .obj:
            throw error("protocol-0 text opcode \(op) is not supported")
        case .ext1, .ext2, .ext4, .newObjEx, .emptySet, .addItems, .frozenSet, .nextBuffer, .readonlyBuffer:
            throw error("opcode \(op) never occurs in a PyTorch state dict")
        }
    }

    mutating func pushTuple(count: Int) throws {
        var items: [PickleValue] = []
        for _ in 0..<count { items.append(try pop()) }
        try push(try newContainer(.tuple, items.reversed()))
    }

    mutating func pushUnicode(width: Int, _ what: String) throws {
        let n = try reader.length(width: width, what)
        try push(.string(try reader.utf8(try reader.take(n, what), what)))
    }

    /// Python 2 `str`: text if it is UTF-8, else bytes.
    mutating func pushLegacyString(width: Int, _ what: String) throws {
        let n = try reader.length(width: width, what)
        let slice = try reader.take(n, what)
        try push(String(bytes: slice, encoding: .utf8).map(PickleValue.string) ?? .bytes(Data(slice)))
    }

    mutating func pushBytes(width: Int, _ what: String) throws {
        let n = try reader.length(width: width, what)
        try push(.bytes(Data(try reader.take(n, what))))
    }

    func resolveGlobal(module: String, name: String) throws -> PickleGlobal {
        guard let global = PickleGlobal.resolve(module: module, name: name) else {
            throw error("global \(module).\(name) is not on the allow-list of a PyTorch state dict")
        }
        return global
    }
}
