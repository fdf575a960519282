import Foundation

/// How an activation tensor's int8 range is chosen from the values seen during calibration.
///
/// Every method works on the same ``ActivationObserver`` data (running minimum and maximum plus a
/// histogram), so a quantizer can compare them without running the model again:
/// - ``minmax``: the observed minimum and maximum.
/// - ``percentile``: the lower `(100 - p)`-th and upper `p`-th percentiles (``CalibrationSpec/percentile``).
/// - ``mse``: the range whose quantization has the least expected squared error.
/// - ``entropy``: TensorRT's KL-divergence method, adapted to asymmetric ranges.
public enum CalibrationMethod: String, CaseIterable, Sendable {
    case minmax
    case percentile
    case mse
    case entropy

    /// The percentile ``percentile`` uses when none is given: 99.99.
    public static let defaultPercentile: Double = 99.99
}

/// A calibration method with its parameter, as written on a command line or in a report:
/// `minmax`, `percentile` (99.99), `percentile:99.9`, `mse`, `entropy`.
public struct CalibrationSpec: Hashable, Sendable, CustomStringConvertible {
    /// The method.
    public var method: CalibrationMethod
    /// The upper percentile, in `50...100`, used by ``CalibrationMethod/percentile`` only (the lower
    /// end is the `100 - percentile`-th percentile).
    public var percentile: Double

    /// - Precondition: `percentile` in `50...100` (a programming error; ``init(parsing:)`` validates text).
    public init(_ method: CalibrationMethod, percentile: Double = CalibrationMethod.defaultPercentile) {
        precondition((50...100).contains(percentile), "CalibrationSpec: percentile \(percentile) outside 50...100")
        self.method = method
        self.percentile = percentile
    }

    /// Parses `method` or `percentile:P` (case-insensitive method names, `P` in `50...100`).
    /// - Throws: ``CalibrationError/invalidMethod(text:reason:)`` for an unknown method, a parameter
    ///   on a method that takes none, or a percentile that is not a number in `50...100`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts[0].trimmingCharacters(in: .whitespaces).lowercased()
        guard let method = CalibrationMethod(rawValue: name) else {
            let known = CalibrationMethod.allCases.map(\.rawValue).joined(separator: ", ")
            throw CalibrationError.invalidMethod(text: text, reason: "unknown method (known: \(known))")
        }
        var percentile = CalibrationMethod.defaultPercentile
        if parts.count == 2 {
            guard method == .percentile else {
                throw CalibrationError.invalidMethod(text: text, reason: "\(method.rawValue) takes no parameter")
            }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            guard let p = Double(value), p.isFinite, (50...100).contains(p) else {
                throw CalibrationError.invalidMethod(text: text, reason: "percentile must be a number in 50...100")
            }
            percentile = p
        }
        self.init(method, percentile: percentile)
    }

    /// `percentile:P` for the percentile method, the bare name otherwise; ``init(parsing:)`` reads it back.
    public var description: String {
        method == .percentile ? "percentile:\(percentile)" : method.rawValue
    }
}
