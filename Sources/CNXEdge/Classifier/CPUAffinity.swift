import CCNXFrame
import Foundation

/// Which CPUs inference threads run on: on big.LITTLE boards (RK3588, Pi-class SoCs with mixed
/// cores) latency is best on the big cores only.
public enum CPUAffinity {
    /// Why pinning failed.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// CPUs outside what this process may use (e.g. a cgroup or `taskset` limit).
        case notAllowed(requested: [Int], allowed: [Int])
        /// The system refused (`errno` text).
        case failed(String)

        public var description: String {
            switch self {
            case let .notAllowed(requested, allowed):
                "CPUs \(requested.map(String.init).joined(separator: ",")) not available to this process (allowed: \(CPUAffinity.format(allowed)))"
            case let .failed(reason): "cannot pin threads: \(reason)"
            }
        }
    }

    /// The CPUs this thread may run on.
    public static func allowed() -> [Int] {
        var ids = [Int32](repeating: 0, count: 1024)
        let n = cnx_allowed_cpus(&ids, Int32(ids.count))
        return n < 0 ? [] : ids.prefix(Int(min(n, 1024))).map(Int.init)
    }

    /// Restricts this thread and the threads it creates from now on (the worker pools of models
    /// loaded afterwards) to `cpus`.
    /// - Throws: ``Error``.
    public static func pin(_ cpus: [Int]) throws {
        let allowed = Set(allowed())
        let outside = cpus.filter { !allowed.contains($0) }
        guard outside.isEmpty, !cpus.isEmpty else { throw Error.notAllowed(requested: outside.isEmpty ? cpus : outside, allowed: allowed.sorted()) }
        let ids = cpus.map(Int32.init)
        guard cnx_pin_cpus(ids, Int32(ids.count)) == 0 else { throw Error.failed(String(cString: strerror(errno))) }
    }

    /// `0-3,6` for a CPU list (ranges of consecutive ids).
    public static func format(_ cpus: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let s = cpus.sorted()
        while i < s.count {
            var j = i
            while j + 1 < s.count && s[j + 1] == s[j] + 1 { j += 1 }
            parts.append(i == j ? "\(s[i])" : "\(s[i])-\(s[j])")
            i = j + 1
        }
        return parts.joined(separator: ",")
    }

    /// Parses `0-3,6` (the `taskset -c` syntax); `nil` if malformed.
    public static func parse(_ text: String) -> [Int]? {
        var out: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard (1...2).contains(bounds.count), let lo = bounds[0], let hi = bounds.last ?? nil, lo >= 0, hi >= lo, hi < 1024 else { return nil }
            out += Array(lo...hi)
        }
        return out.isEmpty ? nil : Array(Set(out)).sorted()
    }
}
