import Foundation

/// Reader for the safetensors format (Hugging Face): an 8-byte little-endian header length `N`, `N`
/// bytes of JSON mapping each tensor name to `{dtype, shape, data_offsets: [begin, end]}` (offsets
/// relative to the end of the header), then the data.
///
/// Every declared range is checked against the file before any tensor is returned. Integer and
/// boolean tensors (step counters and the like) are skipped; other float types are an error.
public enum SafeTensors {
    /// Largest JSON header accepted (the format's own reference implementation uses 100 MB).
    static let maxHeaderBytes = 100_000_000

    /// Dtypes that never hold ConvNeXt parameters, skipped rather than rejected.
    static let ignoredDTypes: Set<String> = ["BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64", "U64"]

    /// Whether `data` starts like a safetensors file: a plausible header length followed by `{`.
    static func looksLike(_ data: Data) -> Bool {
        guard data.count >= 9 else { return false }
        let n = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        return n >= 2 && n <= UInt64(data.count - 8) && data[data.startIndex + 8] == UInt8(ascii: "{")
    }

    /// Parses `data` (typically a memory-mapped file) into its tensors; they share `data`'s storage.
    /// - Throws: ``WeightLoadingError`` for a truncated file, malformed JSON, an out-of-range or
    ///   inconsistent tensor entry, or an unsupported float type.
    public static func parse(_ data: Data) throws -> TensorArchive {
        let base = data.startIndex
        guard data.count >= 8 else {
            throw WeightLoadingError.truncated(what: "safetensors header length", offset: 0, needed: 8, available: data.count)
        }
        let declared = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declared <= UInt64(maxHeaderBytes) else {
            throw WeightLoadingError.malformedHeader(reason: "header length \(declared) exceeds \(maxHeaderBytes) bytes", offset: 0)
        }
        let headerLength = Int(declared)
        guard headerLength <= data.count - 8 else {
            throw WeightLoadingError.truncated(what: "safetensors JSON header", offset: 8, needed: headerLength, available: data.count - 8)
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data[(base + 8)..<(base + 8 + headerLength)])
        } catch {
            throw WeightLoadingError.malformedHeader(reason: "header is not valid JSON", offset: 8)
        }
        guard let entries = json as? [String: Any] else {
            throw WeightLoadingError.malformedHeader(reason: "header is not a JSON object", offset: 8)
        }
        let dataStart = 8 + headerLength
        let dataSize = data.count - dataStart
        var archive: TensorArchive = [:]
        for (name, value) in entries where name != "__metadata__" {
            guard let entry = value as? [String: Any],
                  let dtypeName = entry["dtype"] as? String,
                  let shapeValues = entry["shape"] as? [Any],
                  let offsetValues = entry["data_offsets"] as? [Any], offsetValues.count == 2
            else {
                throw WeightLoadingError.malformedHeader(reason: "entry for \(name) lacks dtype, shape or data_offsets", offset: 8)
            }
            let shape = try shapeValues.map { try nonNegativeInt($0, field: "shape", tensor: name) }
            let begin = try nonNegativeInt(offsetValues[0], field: "data_offsets", tensor: name)
            let end = try nonNegativeInt(offsetValues[1], field: "data_offsets", tensor: name)
            guard begin <= end, end <= dataSize else {
                throw WeightLoadingError.tensorOutOfBounds(tensor: name, begin: dataStart + begin, end: dataStart + end, limit: data.count)
            }
            if ignoredDTypes.contains(dtypeName) { continue }
            guard let dtype = StorageDType(rawValue: dtypeName) else {
                throw WeightLoadingError.unsupportedDType(tensor: name, dtype: dtypeName)
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            let (bytes, overflow2) = count.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, !overflow2, bytes == end - begin else {
                throw WeightLoadingError.sizeMismatch(tensor: name, shape: shape, dtype: dtypeName,
                                                      expectedBytes: overflow || overflow2 ? Int.max : bytes, foundBytes: end - begin)
            }
            archive[name] = RawTensor(name: name, dtype: dtype, shape: shape,
                                      bytes: data[(base + dataStart + begin)..<(base + dataStart + end)])
        }
        return archive
    }

    private static func nonNegativeInt(_ v: Any, field: String, tensor: String) throws -> Int {
        // JSON numbers arrive as NSNumber; `as? Int` only succeeds for integral values.
        if let n = v as? Int, n >= 0, n <= 1 << 40 { return n }
        throw WeightLoadingError.malformedHeader(reason: "\(field) of \(tensor) holds \(v), not a non-negative integer", offset: 8)
    }
}
