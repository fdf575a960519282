#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only, private memory map of a whole file; unmapped when the last reference goes.
/// Constants of a loaded `.cnx` model point into it, so the weights are never copied.
/// ``init(copying:name:)`` holds a model that is already in memory (received, embedded, fuzzed)
/// in an aligned copy instead.
public final class MappedFile: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    public let path: String
    /// Whether `bytes` is an allocation of ours (freed) rather than a map (unmapped).
    private let allocated: Bool

    /// Maps `path`. An empty file maps to an empty buffer.
    /// - Throws: ``ModelFileError/unreadable(path:reason:)``.
    public init(path: String) throws {
        self.path = path
        allocated = false
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ModelFileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ModelFileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(info.st_size)
        guard size > 0 else { bytes = UnsafeRawBufferPointer(start: nil, count: 0); return }
        let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let base, base != MAP_FAILED else {
            throw ModelFileError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Copies `bytes` into memory aligned as a map is (a `.cnx` file's weights are 64-byte
    /// aligned from its start); `name` stands for the path in messages.
    public init(copying bytes: UnsafeRawBufferPointer, name: String = "<memory>") {
        path = name
        allocated = true
        guard bytes.count > 0, let source = bytes.baseAddress else {
            self.bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: bytes.count, alignment: 4096)
        copy.copyMemory(from: source, byteCount: bytes.count)
        self.bytes = UnsafeRawBufferPointer(start: copy, count: bytes.count)
    }

    deinit {
        guard let base = bytes.baseAddress else { return }
        if allocated { UnsafeMutableRawPointer(mutating: base).deallocate() } else { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
