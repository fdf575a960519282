import Foundation

/// Class names for a classifier's logits: from a text file (one name per line), from a Hugging
/// Face `config.json` (`id2label`), stored in a `.cnx` file (``Graph/labels``), or ImageNet-1k's
/// for a 1000-class head.
public enum ClassLabels {
    /// Why labels could not be read.
    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        /// The file could not be read.
        case unreadable(path: String, reason: String)
        /// The file is not UTF-8 text, or a `config.json` without a usable `id2label`.
        case malformed(path: String, reason: String)
        /// The file names `found` classes; the model has `expected`.
        case countMismatch(path: String, expected: Int, found: Int)

        public var description: String {
            switch self {
            case let .unreadable(path, reason): "cannot read labels \(path): \(reason)"
            case let .malformed(path, reason): "labels \(path): \(reason)"
            case let .countMismatch(path, expected, found): "labels \(path): \(found) names, the model has \(expected) classes"
            }
        }
    }

    /// The names in `path`: a `.json` file (or one starting with `{`) is read as a Hugging Face
    /// `config.json` (`id2label`, indices 0..<n each once); anything else as UTF-8 text, one name per
    /// line (`\n` or `\r\n`; trailing empty lines dropped; names trimmed of surrounding spaces).
    /// - Parameter classes: if given, the count the file must have.
    /// - Throws: ``Error``.
    public static func read(path: String, classes: Int? = nil) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw Error.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        let names: [String]
        if path.lowercased().hasSuffix(".json") || data.first == UInt8(ascii: "{") {
            names = try fromConfig(data, path: path)
        } else {
            guard let text = String(data: data, encoding: .utf8) else {
                throw Error.malformed(path: path, reason: "not UTF-8 text")
            }
            // "\r\n" is one Character, a newline like "\n".
            var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            while lines.last?.isEmpty == true { lines.removeLast() }
            names = lines
        }
        guard !names.isEmpty else { throw Error.malformed(path: path, reason: "no names") }
        if let bad = names.firstIndex(where: { $0.utf8.count > Graph.maxLabelBytes }) {
            throw Error.malformed(path: path, reason: "name \(bad) is longer than \(Graph.maxLabelBytes) bytes")
        }
        if let classes, names.count != classes {
            throw Error.countMismatch(path: path, expected: classes, found: names.count)
        }
        return names
    }

    /// `id2label` of a Hugging Face `config.json`: `{"0": "cat", "1": "dog"}`, every index from 0
    /// once.
    static func fromConfig(_ data: Data, path: String) throws -> [String] {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Error.malformed(path: path, reason: "not a JSON object")
        }
        guard let map = object["id2label"] as? [String: Any], !map.isEmpty else {
            throw Error.malformed(path: path, reason: "no id2label")
        }
        var names = [String?](repeating: nil, count: map.count)
        for (key, value) in map {
            guard let i = Int(key), names.indices.contains(i), names[i] == nil, let name = value as? String,
                  !name.contains(where: \.isNewline) else {
                throw Error.malformed(path: path, reason: "id2label entry \"\(key)\" is not an index 0..<\(map.count) with a one-line name")
            }
            names[i] = name
        }
        return names.map { $0! }
    }

    /// The `id2label` names of the `config.json` beside checkpoint `path` (Hugging Face's layout),
    /// or `nil` when there is no such file or it has no `id2label`.
    /// - Throws: ``Error`` for a `config.json` with a malformed `id2label`.
    public static func beside(checkpoint path: String) throws -> [String]? {
        let config = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("config.json").path
        guard FileManager.default.fileExists(atPath: config),
              let data = FileManager.default.contents(atPath: config),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              object["id2label"] != nil else { return nil }
        return try fromConfig(data, path: config)
    }

    /// ImageNet-1k's names (`tench`, ...) for a 1000-class head, else `nil`.
    public static func defaults(classes: Int) -> [String]? {
        classes == ImageNetClasses.all.count ? ImageNetClasses.all.map(\.name) : nil
    }
}
