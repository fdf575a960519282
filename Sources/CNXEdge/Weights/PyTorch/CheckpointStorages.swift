import Foundation

/// The tensor storages of one PyTorch checkpoint (`<prefix>/data/<key>` entries) and the rules for
/// turning a ``TensorRecord`` into a ``RawTensor``.
///
/// A contiguous little-endian float32/float16/bfloat16 tensor is a slice of the storage (for a
/// stored entry, of the memory-mapped file: no copy). Strided views, big-endian files and float64
/// storages (narrowed to float32, rounding to nearest even) are gathered into a new buffer. Every
/// element a tensor can reach is checked to lie inside both its declared storage and the entry.
struct CheckpointStorages {
    let zip: CheckpointZip
    let prefix: String
    /// Whether the checkpoint's `byteorder` entry says `big`.
    let bigEndian: Bool
    /// Inflated deflate entries, by key, so tensors sharing a storage inflate it once.
    private var inflated: [String: Data] = [:]

    init(zip: CheckpointZip, prefix: String, bigEndian: Bool) {
        self.zip = zip
        self.prefix = prefix
        self.bigEndian = bigEndian
    }

    /// The tensor `name` describes, or nil for integer and boolean tensors (`num_batches_tracked`,
    /// index buffers), which ConvNeXt V2 never needs.
    mutating func tensor(named name: String, _ record: TensorRecord) throws -> RawTensor? {
        let element = record.storage.element
        let dtype: StorageDType
        switch element {
        case .float32, .float64: dtype = .float32
        case .float16: dtype = .float16
        case .bfloat16: dtype = .bfloat16
        case .int64, .int32, .int16, .int8, .uint8, .bool: return nil
        }
        let width = element.byteSize
        let path = "\(prefix)/data/\(record.storage.key)"
        let (declaredBytes, tooBig) = record.storage.count.multipliedReportingOverflow(by: width)
        guard !tooBig else {
            throw WeightLoadingError.tensorOutOfBounds(tensor: name, begin: 0, end: Int.max, limit: Int.max)
        }
        let storage = try bytes(of: path, tensor: name)
        guard storage.bytes.count >= declaredBytes else {
            throw WeightLoadingError.truncated(what: "storage \(path) of tensor \(name)", offset: storage.fileOffset,
                                               needed: declaredBytes, available: storage.bytes.count)
        }
        guard let count = Self.product(record.shape) else {
            throw WeightLoadingError.sizeMismatch(tensor: name, shape: record.shape, dtype: dtype.rawValue,
                                                  expectedBytes: Int.max, foundBytes: declaredBytes)
        }
        if count == 0 { return RawTensor(name: name, dtype: dtype, shape: record.shape, bytes: Data()) }
        // The furthest element the view reaches: offset + Σ (size - 1) * stride.
        var last = record.storageOffset
        var overflow = false
        for (size, stride) in Swift.zip(record.shape, record.stride) {
            let (step, o1) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, o2) = last.addingReportingOverflow(step)
            overflow = overflow || o1 || o2
            last = sum
        }
        guard !overflow, last < record.storage.count else {
            throw WeightLoadingError.tensorOutOfBounds(
                tensor: name, begin: Self.saturatingProduct(record.storageOffset, width),
                end: overflow ? Int.max : Self.saturatingProduct(last + 1, width), limit: declaredBytes)
        }
        // A view with stride 0 (`expand`) can name more elements than its storage holds; refusing
        // those keeps a tiny file from demanding a huge buffer.
        guard count <= record.storage.count else {
            throw WeightLoadingError.sizeMismatch(tensor: name, shape: record.shape, dtype: dtype.rawValue,
                                                  expectedBytes: Self.saturatingProduct(count, dtype.byteSize), foundBytes: declaredBytes)
        }
        let base = storage.bytes.startIndex
        if element != .float64, !bigEndian, Self.isContiguous(record.shape, record.stride) {
            let begin = base + record.storageOffset * width
            return RawTensor(name: name, dtype: dtype, shape: record.shape, bytes: storage.bytes[begin..<(begin + count * width)])
        }
        let gathered = Self.gather(storage.bytes, record, count: count, element: element, bigEndian: bigEndian)
        return RawTensor(name: name, dtype: dtype, shape: record.shape, bytes: gathered)
    }

    /// The uncompressed bytes of storage entry `path` and where its data starts in the file.
    private mutating func bytes(of path: String, tensor: String) throws -> (bytes: Data, fileOffset: Int) {
        guard let entry = zip[path] else {
            throw WeightLoadingError.malformedHeader(reason: "storage \(path) of tensor \(tensor) is not in the zip archive",
                                                     offset: zip.directoryOffset)
        }
        if let cached = inflated[path] { return (cached, entry.dataRange.lowerBound) }
        let contents = try zip.contents(of: entry)
        if entry.method != 0 { inflated[path] = contents }
        return (contents, entry.dataRange.lowerBound)
    }

    static func product(_ shape: [Int]) -> Int? {
        var n = 1
        for d in shape {
            let (p, o) = n.multipliedReportingOverflow(by: d)
            if o { return nil }
            n = p
        }
        return n
    }

    private static func saturatingProduct(_ a: Int, _ b: Int) -> Int {
        let (p, o) = a.multipliedReportingOverflow(by: b)
        return o ? Int.max : p
    }

    /// Row-major contiguity; strides of size-1 dimensions do not matter.
    static func isContiguous(_ shape: [Int], _ stride: [Int]) -> Bool {
        var expected = 1
        for d in shape.indices.reversed() where shape[d] != 1 {
            if stride[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    /// Copies the view's elements into row-major order, converting to little-endian and float64 to
    /// float32. The caller has checked that every element index lies inside `storage`.
    private static func gather(_ storage: Data, _ record: TensorRecord, count: Int, element: ElementKind, bigEndian: Bool) -> Data {
        let width = element.byteSize
        let outWidth = element == .float64 ? 4 : width
        var out = Data(count: count * outWidth)
        let shape = record.shape, stride = record.stride, rank = shape.count
        out.withUnsafeMutableBytes { (dst: UnsafeMutableRawBufferPointer) in
            storage.withUnsafeBytes { (src: UnsafeRawBufferPointer) in
                var index = [Int](repeating: 0, count: rank)
                var source = record.storageOffset
                for n in 0..<count {
                    let s = source * width, d = n * outWidth
                    if element == .float64 {
                        let bits = src.loadUnaligned(fromByteOffset: s, as: UInt64.self)
                        let value = Float(Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits)))
                        dst.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: d, as: UInt32.self)
                    } else {
                        for b in 0..<width { dst[d + b] = src[s + (bigEndian ? width - 1 - b : b)] }
                    }
                    // Odometer step to the next row-major index.
                    var axis = rank - 1
                    while axis >= 0 {
                        index[axis] += 1
                        source &+= stride[axis]  // wrapping: only the final, unused step can leave the storage
                        if index[axis] < shape[axis] { break }
                        source &-= stride[axis] &* shape[axis]
                        index[axis] = 0
                        axis -= 1
                    }
                }
            }
        }
        return out
    }
}
