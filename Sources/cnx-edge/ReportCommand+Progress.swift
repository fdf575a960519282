import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress bar on standard error: `[#####.....] 120/300 eval images (minmax)`, redrawn in place
/// with `\r` on a terminal, one line per ~10% otherwise (logs, pipes).
final class ProgressBar {
    static let isTerminal = isatty(STDERR_FILENO) != 0

    let total: Int
    let label: String
    private var lastBucket = -1
    private let width = 20

    init(total: Int, label: String) {
        self.total = max(total, 1)
        self.label = label
    }

    func update(_ done: Int) {
        let bucket = done * 10 / total
        if Self.isTerminal {
            write("\r" + line(done) + (done >= total ? "\n" : ""))
        } else if bucket != lastBucket || done >= total {
            if bucket == lastBucket && done < total { return }
            lastBucket = bucket
            write(line(done) + "\n")
        }
    }

    private func line(_ done: Int) -> String {
        let filled = min(width, done * width / total)
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] \(done)/\(total) \(label)"
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }

    /// A line of its own on standard error.
    static func note(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
}
