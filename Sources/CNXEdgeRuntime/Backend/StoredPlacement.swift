import Foundation

/// A placement measured by ``Tuner`` (`cnx-edge tune`), stored beside its `.cnx` file as
/// `MODEL.cnx.placement` (JSON) so that later loads on the same device reuse it.
///
/// It holds for one model file (its size and header checksum), one instruction set and one thread
/// count: a load that differs in any of them falls back to the default table and says why.
public struct StoredPlacement: Sendable, Equatable, Codable {
    /// Version of this JSON layout.
    public var version = 1
    /// The `.cnx` file's size and header checksum when it was tuned.
    public var modelBytes: Int
    public var modelChecksum: UInt64
    /// The native kernels' ISA and the thread count the times were measured with.
    public var isa: String
    public var threads: Int
    /// The placement and its per-op times.
    public var placement: Placement
    /// Whole-model medians measured in the same run, milliseconds: the tuned placement and the
    /// default table's.
    public var tunedMilliseconds: Double
    public var tableMilliseconds: Double

    public init(modelBytes: Int, modelChecksum: UInt64, isa: String, threads: Int, placement: Placement,
                tunedMilliseconds: Double, tableMilliseconds: Double) {
        self.modelBytes = modelBytes
        self.modelChecksum = modelChecksum
        self.isa = isa
        self.threads = threads
        self.placement = placement
        self.tunedMilliseconds = tunedMilliseconds
        self.tableMilliseconds = tableMilliseconds
    }

    /// Where the placement of `.cnx` file `model` is stored: `model` + `.placement`.
    public static func path(beside model: String) -> String { model + ".placement" }

    /// `model`'s size and the checksum its header stores (``ModelFileFormat``: bytes 48..<56).
    public static func identity(of model: String) throws -> (bytes: Int, checksum: UInt64) {
        guard let handle = FileHandle(forReadingAtPath: model) else { throw CocoaError(.fileReadNoSuchFile) }
        defer { try? handle.close() }
        let header = try handle.read(upToCount: 64) ?? Data()
        let size = try handle.seekToEnd()
        guard header.count == 64 else { throw CocoaError(.fileReadCorruptFile) }
        let checksum = header[48..<56].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        return (Int(size), checksum)
    }

    /// The placement stored beside `model` if it was measured for this file, `isa` and `threads`;
    /// else `nil` and why not (`nil` too when there is no file).
    public static func load(beside model: String, isa: String, threads: Int) -> (stored: StoredPlacement?, note: String?) {
        let file = path(beside: model)
        guard FileManager.default.fileExists(atPath: file) else { return (nil, nil) }
        do {
            let stored = try JSONDecoder().decode(StoredPlacement.self, from: Data(contentsOf: URL(fileURLWithPath: file)))
            let (bytes, checksum) = try identity(of: model)
            guard stored.version == 1 else { return (nil, "\(file): version \(stored.version), this build reads 1") }
            guard stored.modelBytes == bytes, stored.modelChecksum == checksum else {
                return (nil, "\(file) was tuned for another build of the model file: run cnx-edge tune again")
            }
            guard stored.isa == isa, stored.threads == threads else {
                return (nil, "\(file) was tuned for \(stored.isa), \(stored.threads) thread(s); this run is \(isa), \(threads)")
            }
            return (stored, nil)
        } catch {
            return (nil, "\(file) is unreadable (\(error)): default table used")
        }
    }

    /// Writes this placement beside `model`.
    public func save(beside model: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: Self.path(beside: model)), options: .atomic)
    }
}
