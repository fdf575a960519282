import Foundation

/// The images a quantizer calibrates on: a directory that is either flat (image files) or an
/// ImageFolder (one subfolder per class, named by synset, e.g. `n01440764/`).
///
/// Files with the extensions `jpg`, `jpeg` or `png` (any case) at the top level and one level down
/// are taken, sorted by their path relative to the directory; hidden entries and other files are
/// ignored. Labels (ImageNet-1k class indices from the compiled-in ``ImageNetClasses`` table) come
/// from the subfolder's name when it is a synset, otherwise from the file name's synset prefix
/// (`n01440764_tench.JPEG` → 0); nil when neither names a known synset.
public struct CalibrationSet: Sendable {
    /// One image of the set.
    public struct Item: Equatable, Sendable {
        /// The file.
        public var url: URL
        /// Its path relative to the set's directory, `/`-separated (the sort key).
        public var relativePath: String
        /// Its ImageNet-1k class index, if known.
        public var label: Int?
    }

    /// How the directory is organised.
    public enum Layout: String, Sendable {
        /// Image files directly in the directory.
        case flat
        /// Images in per-class subfolders (images at the top level, if any, are taken too).
        case imageFolder
    }

    /// The extensions taken as images, lowercase.
    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// The directory the set was read from.
    public let directory: URL
    /// Flat or ImageFolder.
    public let layout: Layout
    /// The images, sorted by ``Item/relativePath``, at most `limit` of them.
    public let items: [Item]

    /// Lists the images in `directory`.
    /// - Parameter limit: keep only the first `limit` images after sorting (nil: all).
    /// - Throws: ``CalibrationError/missingDirectory(path:)``, ``CalibrationError/notADirectory(path:)``,
    ///   ``CalibrationError/unreadableDirectory(path:reason:)`` (the directory or a subfolder),
    ///   ``CalibrationError/noImages(path:)``, ``CalibrationError/invalidLimit(_:)``.
    public init(directory: URL, limit: Int? = nil) throws {
        if let limit, limit < 1 { throw CalibrationError.invalidLimit(limit) }
        let path = directory.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CalibrationError.missingDirectory(path: path)
        }
        guard isDirectory.boolValue else { throw CalibrationError.notADirectory(path: path) }

        var items: [Item] = []
        var inSubfolders = false
        for entry in try Self.entries(of: directory) {
            let url = directory.appendingPathComponent(entry)
            if Self.isDirectory(url) {
                let synsetLabel = ImageNetClasses.index(ofSynset: entry)
                for file in try Self.entries(of: url) where Self.isImage(file) && !Self.isDirectory(url.appendingPathComponent(file)) {
                    inSubfolders = true
                    items.append(Item(url: url.appendingPathComponent(file), relativePath: entry + "/" + file,
                                      label: synsetLabel ?? ImageNetClasses.label(forFileName: file)))
                }
            } else if Self.isImage(entry) {
                items.append(Item(url: url, relativePath: entry, label: ImageNetClasses.label(forFileName: entry)))
            }
        }
        guard !items.isEmpty else { throw CalibrationError.noImages(path: path) }
        items.sort { $0.relativePath.utf8.lexicographicallyPrecedes($1.relativePath.utf8) }
        self.directory = directory
        self.layout = inSubfolders ? .imageFolder : .flat
        self.items = limit.map { Array(items.prefix($0)) } ?? items
    }

    /// Lists the images in the directory at `path`; see ``init(directory:limit:)``.
    public init(path: String, limit: Int? = nil) throws {
        try self.init(directory: URL(fileURLWithPath: path), limit: limit)
    }

    /// Decodes and preprocesses the images one at a time, in order, calling `body` with the
    /// item's index and the network input (NCHW `[1, 3, height, width]`, see ``ImagePreprocessor``).
    /// Only one image is held at a time.
    /// - Throws: the ``ImageError`` of the first image that cannot be decoded (it names the file),
    ///   or whatever `body` throws; images after it are not read.
    public func forEachInput(preprocessor: ImagePreprocessor, _ body: (Int, [Float]) throws -> Void) throws {
        for (index, item) in items.enumerated() {
            let image = try ImageDecoder.decode(path: item.url.path)
            try body(index, preprocessor.tensor(from: image))
        }
    }

    /// ``forEachInput(preprocessor:_:)`` with timm's eval transform for `height` x `width`.
    public func forEachInput(height: Int = 224, width: Int = 224, _ body: (Int, [Float]) throws -> Void) throws {
        try forEachInput(preprocessor: ImagePreprocessor(height: height, width: width), body)
    }

    /// Entries of `directory` not starting with `.`, unsorted.
    private static func entries(of directory: URL) throws -> [String] {
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }
        } catch {
            throw CalibrationError.unreadableDirectory(path: directory.path, reason: error.localizedDescription)
        }
    }

    private static func isDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func isImage(_ name: String) -> Bool {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return false }
        return imageExtensions.contains(name[name.index(after: dot)...].lowercased())
    }
}
