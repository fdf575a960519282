import Foundation

/// Reader for PyTorch zip checkpoints (`torch.save` since PyTorch 1.6), in pure Swift: no Python,
/// and nothing in the file is ever executed.
///
/// The archive holds `<prefix>/data.pkl` (a pickle of the saved object, whose tensors refer to
/// storages by key), `<prefix>/data/<key>` (each storage's raw elements), `<prefix>/byteorder`
/// (`little` or `big`) and a format version. The pickle is read by ``Unpickler``, which resolves only
/// the globals a state dict uses and rejects everything else.
///
/// The state dict is the top-level object or its `model`, `state_dict`, `model_ema` or `module`
/// entry, whichever comes first that is a dict of tensors; a leading `module.` (from
/// `DistributedDataParallel`) is stripped from names. float32, float16 and bfloat16 tensors are
/// returned as stored; float64 ones are narrowed to float32 (round to nearest, ties to even);
/// integer and boolean tensors are skipped.
public enum PyTorchCheckpoint {
    /// Largest `data.pkl` accepted; a state dict of 10,000 tensors pickles to about 2 MB.
    static let maxPickleBytes = 64 << 20

    /// Entries that may hold the state dict inside a training checkpoint, in the order tried.
    static let stateDictKeys = ["model", "state_dict", "model_ema", "module"]

    /// Parses a checkpoint held in `data` (typically memory-mapped). Contiguous tensors of stored
    /// (uncompressed) entries share `data`'s storage.
    /// - Throws: ``WeightLoadingError``: `truncated` or `malformedHeader` for a damaged zip, a
    ///   missing `data.pkl` or storage entry, or no state dict; `pickle(reason:offset:)` for a
    ///   malformed pickle or a global outside the allow-list; `tensorOutOfBounds`, `truncated` or
    ///   `sizeMismatch` for a tensor that does not fit its storage.
    public static func parse(_ data: Data) throws -> TensorArchive {
        let zip = try CheckpointZip(data)
        let prefix = try archivePrefix(zip)
        guard let pickleEntry = zip["\(prefix)/data.pkl"] else {
            throw WeightLoadingError.malformedHeader(reason: "zip archive has no \(prefix)/data.pkl: not a PyTorch checkpoint",
                                                     offset: zip.directoryOffset)
        }
        guard pickleEntry.uncompressedSize <= maxPickleBytes else {
            throw WeightLoadingError.malformedHeader(
                reason: "\(pickleEntry.name) is \(pickleEntry.uncompressedSize) bytes, more than the \(maxPickleBytes) accepted",
                offset: pickleEntry.dataRange.lowerBound)
        }
        let bigEndian = try isBigEndian(zip, prefix: prefix)
        let (root, arena) = try Unpickler.unpickle([UInt8](zip.contents(of: pickleEntry)))
        guard let stateDict = findStateDict(root, arena) else {
            throw WeightLoadingError.malformedHeader(
                reason: "\(pickleEntry.name) holds no dict of tensors at the top level or under \(stateDictKeys.joined(separator: ", ")) (found \(describe(root, arena)))",
                offset: pickleEntry.dataRange.lowerBound)
        }
        var storages = CheckpointStorages(zip: zip, prefix: prefix, bigEndian: bigEndian)
        var archive: TensorArchive = [:]
        for (fullName, record) in stateDict {
            let name = fullName.hasPrefix("module.") ? String(fullName.dropFirst("module.".count)) : fullName
            if let tensor = try storages.tensor(named: name, record) { archive[name] = tensor }
        }
        return archive
    }

    /// The directory every entry lives in: the first entry's name up to its first `/`, as PyTorch's
    /// own reader takes it.
    static func archivePrefix(_ zip: CheckpointZip) throws -> String {
        guard let first = zip.entries.first else {
            throw WeightLoadingError.malformedHeader(reason: "zip archive has no entries", offset: zip.directoryOffset)
        }
        guard let slash = first.name.firstIndex(of: "/"), slash != first.name.startIndex else {
            throw WeightLoadingError.malformedHeader(
                reason: "first zip entry \(first.name) is not inside a directory: not a PyTorch checkpoint", offset: zip.directoryOffset)
        }
        return String(first.name[..<slash])
    }

    /// Reads `<prefix>/byteorder`; checkpoints written before PyTorch 1.10 lack it and are little-endian.
    static func isBigEndian(_ zip: CheckpointZip, prefix: String) throws -> Bool {
        guard let entry = zip["\(prefix)/byteorder"] else { return false }
        guard entry.uncompressedSize <= 16 else {
            throw WeightLoadingError.malformedHeader(reason: "\(entry.name) is \(entry.uncompressedSize) bytes", offset: entry.dataRange.lowerBound)
        }
        let text = String(decoding: try zip.contents(of: entry), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        switch text {
        case "little": return false
        case "big": return true
        default:
            throw WeightLoadingError.malformedHeader(reason: "\(entry.name) says \"\(text)\", not little or big", offset: entry.dataRange.lowerBound)
        }
    }

    /// The first candidate that is a non-empty dict mapping strings to tensors.
    static func findStateDict(_ root: PickleValue, _ arena: PickleArena) -> [(String, TensorRecord)]? {
        let candidates = [root] + stateDictKeys.compactMap { arena.dictValue(root, key: $0) }
        for candidate in candidates {
            guard let pairs = arena.dictPairs(candidate), !pairs.isEmpty else { continue }
            var tensors: [(String, TensorRecord)] = []
            for pair in pairs {
                guard case let .string(name) = pair.key, case let .tensor(record) = pair.value else { break }
                tensors.append((name, record))
            }
            if tensors.count == pairs.count { return tensors }
        }
        return nil
    }

    /// A one-line description of what the pickle holds, for the "no state dict" error.
    private static func describe(_ root: PickleValue, _ arena: PickleArena) -> String {
        guard let pairs = arena.dictPairs(root) else { return "a \(root.kindName)" }
        let keys = pairs.prefix(8).map { if case let .string(k) = $0.key { k } else { $0.key.kindName } }
        return "a dict with keys \(keys.joined(separator: ", "))\(pairs.count > 8 ? ", ..." : "")"
    }
}
