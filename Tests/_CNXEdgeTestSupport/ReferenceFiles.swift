import CNXEdge
import Foundation

/// Paths into `../shared` (the test oracle), found relative to the repository root.
public enum ReferenceFiles {
    /// The repository root, three levels above this file (`Tests/_CNXEdgeTestSupport/ReferenceFiles.swift`).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the repository.
    public static let shared: URL = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// `../shared/reference/<name>`.
    public static func reference(_ name: String) -> String {
        shared.appendingPathComponent("reference").appendingPathComponent(name).path
    }

    /// Reads a safetensors vectors file (`*_vectors.safetensors`) into name → floats.
    public static func vectors(_ name: String) throws -> [String: (shape: [Int], values: [Float])] {
        let archive = try SafeTensors.parse(Data(contentsOf: URL(fileURLWithPath: reference(name))))
        return archive.mapValues { ($0.shape, $0.floats()) }
    }

    /// Indices into the reference models (atto, femto, pico) the parity tests run: all three, or
    /// those `CNX_EDGE_TEST_SIZES` names (comma-separated, e.g. `atto`: `make test-arm64` under
    /// emulation, where each model's parity takes minutes).
    public static let modelIndices: [Int] = {
        let names = ["atto", "femto", "pico"]
        guard let list = ProcessInfo.processInfo.environment["CNX_EDGE_TEST_SIZES"] else { return Array(names.indices) }
        let chosen = list.split(separator: ",").compactMap { names.firstIndex(of: String($0)) }
        return chosen.isEmpty ? Array(names.indices) : chosen
    }()

    /// The parsed `manifest.json`.
    public static func manifest() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: reference("manifest.json")))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}

/// ‖a − b‖₂ / ‖b‖₂ computed in Double.
public func relativeL2Error(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "relativeL2Error: \(a.count) vs \(b.count) elements")
    var num = 0.0, den = 0.0
    for i in a.indices {
        let d = Double(a[i]) - Double(b[i])
        num += d * d
        den += Double(b[i]) * Double(b[i])
    }
    return (num / max(den, .leastNonzeroMagnitude)).squareRoot()
}

/// Relative L2 error of every intermediate the vectors file stores for `tag` (all keys `<name>_<tag>`
/// other than the input and the logits) that `seen` holds and `skip` does not exclude, by name.
public func intermediateErrors(
    _ seen: [String: [Float]], _ vectors: [String: (shape: [Int], values: [Float])], tag: String,
    skip: (String) -> Bool = { _ in false }
) -> [(name: String, error: Double)] {
    vectors.keys.sorted().compactMap { key in
        guard key.hasSuffix("_" + tag), !key.hasPrefix("input_"), !key.hasPrefix("logits_") else { return nil }
        let name = String(key.dropLast(tag.count + 1))
        guard let ours = seen[name], !skip(name), let reference = vectors[key] else { return nil }
        return (name, relativeL2Error(ours, reference.values))
    }
}
