/// Why calibration could not proceed. Every case names the tensor or path it is about.
public enum CalibrationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A NaN or infinite value at `index` of the buffer passed to ``ActivationObserver/observe(_:)``;
    /// the observer is left as it was before the call.
    case nonFinite(tensor: String?, index: Int)
    /// A range was asked of an observer that has seen no values.
    case noData(tensor: String?)
    /// A calibration method that ``CalibrationSpec/init(parsing:)`` cannot read.
    case invalidMethod(text: String, reason: String)
    /// The sample-set directory does not exist.
    case missingDirectory(path: String)
    /// The sample-set path exists but is not a directory.
    case notADirectory(path: String)
    /// The directory could not be listed; `reason` is the system's.
    case unreadableDirectory(path: String, reason: String)
    /// The directory holds no `.jpg`, `.jpeg` or `.png` file (at the top level or one level down).
    case noImages(path: String)
    /// A sample-set limit below 1.
    case invalidLimit(Int)
    /// The default sample set was not found; `searched` lists the directories tried, in order.
    case defaultSetNotFound(searched: [String])
    /// The manifest (`manifest.json`) is missing, unreadable or malformed.
    case invalidManifest(path: String, reason: String)
    /// A file the manifest lists is not there.
    case missingFile(path: String)
    /// A file's SHA-256 differs from the manifest's.
    case hashMismatch(path: String, expected: String, found: String)
    /// A file's synset or class index differs from the manifest's.
    case labelMismatch(path: String, detail: String)

    /// One line naming the tensor or path and the problem.
    public var description: String {
        switch self {
        case let .nonFinite(tensor, index):
            "\(tensor.map { "tensor \($0)" } ?? "activation"): non-finite value (NaN or infinity) at element \(index)"
        case let .noData(tensor): "\(tensor.map { "tensor \($0)" } ?? "activation"): no values observed"
        case let .invalidMethod(text, reason): "calibration method '\(text)': \(reason)"
        case let .missingDirectory(path): "\(path): calibration directory does not exist"
        case let .notADirectory(path): "\(path): not a directory"
        case let .unreadableDirectory(path, reason): "\(path): cannot list directory: \(reason)"
        case let .noImages(path): "\(path): no .jpg, .jpeg or .png images"
        case let .invalidLimit(limit): "calibration image limit \(limit): must be at least 1"
        case let .defaultSetNotFound(searched):
            "default calibration set not found (searched: \(searched.joined(separator: ", ")))"
        case let .invalidManifest(path, reason): "\(path): invalid calibration manifest: \(reason)"
        case let .missingFile(path): "\(path): listed in the calibration manifest but missing"
        case let .hashMismatch(path, expected, found):
            "\(path): SHA-256 \(found) does not match the manifest's \(expected)"
        case let .labelMismatch(path, detail): "\(path): label does not match the manifest: \(detail)"
        }
    }
}
