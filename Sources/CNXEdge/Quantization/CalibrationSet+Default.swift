import Foundation

/// `manifest.json` of a verified sample set: every image with its label and SHA-256.
public struct CalibrationManifest: Codable, Equatable, Sendable {
    /// One listed image.
    public struct Entry: Codable, Equatable, Sendable {
        /// Path relative to the set's directory.
        public var file: String
        /// WordNet synset id, e.g. `n01440764`.
        public var synset: String
        /// ImageNet-1k class index of the synset.
        public var index: Int
        /// SHA-256 of the file, 64 lowercase hex digits.
        public var sha256: String
    }

    /// Where the images come from, for people.
    public var description: String?
    /// The images, in the set's order.
    public var images: [Entry]
}

extension CalibrationSet {
    /// The name of the manifest file in a verified set's directory.
    public static let manifestName = "manifest.json"
    /// The environment variable that points ``defaultSet(limit:environment:currentDirectory:)`` elsewhere.
    public static let environmentVariable = "CNX_EDGE_CALIBRATION"

    /// The directory of the default sample set (32 images from `../shared/images`, see
    /// `calibration/README.md`). Looked up in order: `$CNX_EDGE_CALIBRATION` when set and not
    /// empty (then nothing else is tried), `./calibration/default` under `currentDirectory`, and
    /// `calibration/default` in the source tree this library was built from. A candidate counts
    /// when it holds a `manifest.json`.
    /// - Throws: ``CalibrationError/defaultSetNotFound(searched:)`` listing the directories tried.
    public static func defaultSetDirectory(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> URL {
        let candidates: [URL]
        if let override = environment[environmentVariable], !override.isEmpty {
            candidates = [URL(fileURLWithPath: override, relativeTo: URL(fileURLWithPath: currentDirectory, isDirectory: true)).standardizedFileURL]
        } else {
            let sourceRoot = URL(fileURLWithPath: #filePath)  // <root>/Sources/CNXEdge/Quantization/this file
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            candidates = [
                URL(fileURLWithPath: currentDirectory, isDirectory: true).appendingPathComponent("calibration/default").standardizedFileURL,
                sourceRoot.appendingPathComponent("calibration/default").standardizedFileURL,
            ]
        }
        for candidate in candidates
        where FileManager.default.fileExists(atPath: candidate.appendingPathComponent(manifestName).path) {
            return candidate
        }
        throw CalibrationError.defaultSetNotFound(searched: candidates.map(\.path))
    }

    /// The default sample set, its manifest verified (see ``verified(directory:limit:)``).
    /// - Parameters: see ``defaultSetDirectory(environment:currentDirectory:)``; `limit` as in
    ///   ``init(directory:limit:)`` (applied after verifying every file).
    public static func defaultSet(
        limit: Int? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) throws -> CalibrationSet {
        try verified(directory: defaultSetDirectory(environment: environment, currentDirectory: currentDirectory), limit: limit)
    }

    /// The set in `directory`, after checking it against its `manifest.json`: every listed file
    /// is present with the listed SHA-256, its synset and index agree with the class table and the
    /// file's label, and every image in the directory is listed.
    /// - Throws: ``CalibrationError/invalidManifest(path:reason:)``, ``CalibrationError/missingFile(path:)``,
    ///   ``CalibrationError/hashMismatch(path:expected:found:)``, ``CalibrationError/labelMismatch(path:detail:)``,
    ///   and the errors of ``init(directory:limit:)``.
    public static func verified(directory: URL, limit: Int? = nil) throws -> CalibrationSet {
        let manifest = try readManifest(in: directory)
        let all = try CalibrationSet(directory: directory)
        let listed = Dictionary(manifest.images.map { ($0.file, $0) }, uniquingKeysWith: { first, _ in first })
        for item in all.items where listed[item.relativePath] == nil {
            throw CalibrationError.invalidManifest(path: directory.appendingPathComponent(manifestName).path,
                                                   reason: "\(item.relativePath) is not listed")
        }
        let labels = Dictionary(all.items.map { ($0.relativePath, $0.label) }, uniquingKeysWith: { first, _ in first })
        for entry in manifest.images {
            let path = directory.appendingPathComponent(entry.file).path
            guard let data = FileManager.default.contents(atPath: path) else { throw CalibrationError.missingFile(path: path) }
            let digest = SHA256.hexDigest(data)
            guard digest == entry.sha256.lowercased() else {
                throw CalibrationError.hashMismatch(path: path, expected: entry.sha256, found: digest)
            }
            guard ImageNetClasses.index(ofSynset: entry.synset) == entry.index, labels[entry.file] == entry.index else {
                let found = labels[entry.file].flatMap { $0.map(String.init) } ?? "none"
                throw CalibrationError.labelMismatch(
                    path: path, detail: "manifest says \(entry.synset) = \(entry.index), class table and file give \(found)")
            }
        }
        return try CalibrationSet(directory: directory, limit: limit)
    }

    /// Reads `manifest.json` in `directory`.
    /// - Throws: ``CalibrationError/invalidManifest(path:reason:)``.
    public static func readManifest(in directory: URL) throws -> CalibrationManifest {
        let url = directory.appendingPathComponent(manifestName)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw CalibrationError.invalidManifest(path: url.path, reason: "missing or unreadable")
        }
        do {
            return try JSONDecoder().decode(CalibrationManifest.self, from: data)
        } catch {
            throw CalibrationError.invalidManifest(path: url.path, reason: "\(error)")
        }
    }
}
