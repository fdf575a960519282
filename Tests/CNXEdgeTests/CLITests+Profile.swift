import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

extension CLITests {
    /// Every backend this build has, by its `--backend` name.
    static var builtInBackends: [String] {
        var backends = ["swift"]
        #if Native
        backends.append("native")
        #endif
        return backends
    }

    /// Checks a `bench --json` report's load times and, with `--profile`, that its per-op times
    /// cover every op of a `expectedOps`-op graph and add up to about the measured latency.
    static func checkProfile(_ json: [String: Any], expectedOps: Int, _ context: String) throws {
        let load = try #require(json["loadMs"] as? Double, "\(context)")
        let first = try #require(json["firstResultMs"] as? Double, "\(context)")
        #expect(load > 0 && first > load, "\(context): load \(load), first \(first)")
        let latency = try #require((json["latencyMs"] as? [String: Any])?["mean"] as? Double)
        let profile = try #require(json["profile"] as? [String: Any], "\(context)")
        let ops = try #require(profile["ops"] as? [[String: Any]])
        #expect(ops.count == expectedOps, "\(context)")
        #expect(ops.enumerated().allSatisfy { i, op in op["index"] as? Int == i && (op["kernel"] as? String)?.isEmpty == false })
        let sum = ops.reduce(0.0) { $0 + ($1["ms"] as? Double ?? -1e9) }
        #expect(ops.allSatisfy { ($0["ms"] as? Double ?? -1) >= 0 })
        // Two runs of a 64x64 Atto take about a millisecond, so allow for a noisy machine.
        #expect(sum > latency / 10 && sum < latency * 10, "\(context): ops sum \(sum) ms, latency \(latency) ms")
        let kinds = try #require(profile["kinds"] as? [[String: Any]])
        #expect(kinds.map { $0["kind"] as? String } == ["stem", "depthwiseConvLN", "pointwiseGELU", "grn", "pointwise", "downsample", "head"])
        let kindSum = kinds.reduce(0.0) { $0 + ($1["ms"] as? Double ?? 0) }
        #expect(abs(kindSum - sum) <= 1e-6 * max(1, sum), "\(context)")
        #expect(abs(kinds.reduce(0.0) { $0 + ($1["percent"] as? Double ?? 0) } - 100) < 1e-6, "\(context)")
    }

    @Test("bench --profile: one timed entry per op on every backend, summing to about the latency; load times reported")
    func benchProfile() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let graphOps = try Compiler.compile(.synthetic(config: ModelConfig(.atto)), height: 64, width: 64).ops.count
        let model = dir.appendingPathComponent("atto64.cnx").path
        let c = try Self.run(["compile", "--model", "atto", "--weights", ReferenceFiles.reference("convnextv2_atto.safetensors"),
                              "--size", "64", "-o", model])
        #expect(c.status == 0, "\(c.stderr)")
        let common = ["--profile", "--json", "--iterations", "2", "--warmup", "0"]
        for backend in Self.builtInBackends {
            for source in [["--size", "64"], ["--compiled", model]] {
                let r = try Self.run(["bench", "--backend", backend] + source + common)
                #expect(r.status == 0, "\(backend) \(source): \(r.stderr)")
                let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
                try Self.checkProfile(json, expectedOps: graphOps, "\(backend) \(source)")
            }
        }
        let text = try Self.run(["bench", "--backend", "swift", "--size", "64", "--profile", "--iterations", "1", "--warmup", "0"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("load ") && text.stdout.contains("first result"))
        #expect(text.stdout.contains("profile: 1 runs") && text.stdout.contains("f32-pwconv-gelu + f32-sumsq__swift"))
        let plain = try Self.run(["bench", "--size", "64", "--iterations", "1", "--warmup", "0", "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        #expect(json["profile"] == nil && json["loadMs"] is Double)
    }

    @Test("inspect --backend: each op's backend, kernel and why it was chosen")
    func inspectBackend() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("atto64.cnx").path
        let c = try Self.run(["compile", "--model", "atto", "--weights", ReferenceFiles.reference("convnextv2_atto.safetensors"),
                              "--size", "64", "-o", model])
        #expect(c.status == 0, "\(c.stderr)")
        let swift = try Self.run(["inspect", model, "--backend", "swift"])
        #expect(swift.status == 0, "\(swift.stderr)")
        #expect(swift.stdout.contains("backend: kernel (why)"))
        #expect(swift.stdout.contains("swift: f32-pwconv-gelu + f32-sumsq__swift (portable Swift SIMD)"))
        let rows = swift.stdout.split(separator: "\n").filter { $0.contains("swift: ") }
        #expect(rows.count == 53 && rows.allSatisfy { $0.hasSuffix("(portable Swift SIMD)") })
        #if Native
        let native = try Self.run(["inspect", model, "--backend", "native"])
        #expect(native.status == 0, "\(native.stderr)")
        let nativeRows = native.stdout.split(separator: "\n").filter { $0.contains("native: ") }
        #expect(nativeRows.count == 53)
        #expect(nativeRows.allSatisfy { $0.contains("found by cpuinfo") || $0.contains("scalar C") })
        #expect(nativeRows.contains { $0.contains("native: f32-pwconv-gelu__") })
        let byWeights = try Self.run(["inspect", "--weights", ReferenceFiles.reference("convnextv2_atto.safetensors"),
                                      "--size", "64", "--backend", "native"])
        #expect(byWeights.status == 0 && byWeights.stdout.contains("native: f32-dwconv7x7-ln"), "\(byWeights.stderr)")
        #else
        #expect(try Self.run(["inspect", model, "--backend", "native"]).status == 64)
        #endif
    }
}
