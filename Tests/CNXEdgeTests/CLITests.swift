import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// Runs the `cnx-edge` binary built beside the tests, as a user would.
@Suite("cnx-edge command line")
struct CLITests {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The test bundle lives in the build products folder, next to the executable.
    static let binary: URL = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("cnx-edge").path), dir.path != "/" {
            dir.deleteLastPathComponent()
        }
        return dir.appendingPathComponent("cnx-edge")
    }()

    /// `CNX_EDGE_TEST_RUNNER`: a command that runs the binary when it cannot be exec'd directly,
    /// e.g. `qemu-aarch64-static -L SYSROOT -cpu cortex-a53` for an aarch64 build tested on x86-64
    /// (`make test-arm64`); split on spaces, the binary and its arguments follow it.
    static let runner: [String] = (ProcessInfo.processInfo.environment["CNX_EDGE_TEST_RUNNER"] ?? "")
        .split(separator: " ").map(String.init)

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        if let launcher = runner.first {
            process.executableURL = URL(fileURLWithPath: launcher)
            process.arguments = Array(runner.dropFirst()) + [binary.path] + arguments
        } else {
            process.executableURL = binary
            process.arguments = arguments
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cnx-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("run on .npy inputs: top-5 as timm, --json, --dump-logits within 1e-4 of the reference")
    func runNpy() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let vectors = try ReferenceFiles.vectors("convnextv2_atto_vectors.safetensors")
        var inputs: [String] = []
        for tag in ["random_224", "random_160x256"] {
            let v = try #require(vectors["input_" + tag])
            let path = dir.appendingPathComponent("\(tag).npy").path
            try NumpyArray(shape: v.shape, values: v.values).npyData().write(to: URL(fileURLWithPath: path))
            inputs.append(path)
        }
        let logitsPath = dir.appendingPathComponent("logits.npy").path
        let r = try Self.run(["run", "--weights", ReferenceFiles.reference("convnextv2_atto.safetensors"),
                              "--json", "--dump-logits", logitsPath] + inputs)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(json.count == 2)
        let manifest = try ReferenceFiles.manifest()
        let atto = ((manifest["models"] as? [String: Any])?["atto"] as? [String: Any])?["inputs"] as? [String: Any]
        for (i, tag) in ["random_224", "random_160x256"].enumerated() {
            let expected = try #require((atto?["input_" + tag] as? [String: Any])?["top5"] as? [Int])
            let top = try #require(json[i]["top"] as? [[String: Any]])
            #expect(top.compactMap { $0["index"] as? Int } == expected, "\(tag)")
            #expect(top.first?["name"] is String && top.first?["synset"] is String)
        }
        let dumped = try NumpyArray(contentsOf: logitsPath)
        #expect(dumped.shape == [2, 1000])
        #expect(relativeL2Error(Array(dumped.values[0..<1000]), vectors["logits_random_224"]!.values) <= 1e-4)
        #expect(relativeL2Error(Array(dumped.values[1000...]), vectors["logits_random_160x256"]!.values) <= 1e-4)
    }

    @Test("run on the reference images: preprocessing + model give timm's top-5, for every weight format")
    func runImages() throws {
        let manifest = try ReferenceFiles.manifest()
        let models = try #require(manifest["models"] as? [String: Any])
        for (size, weights) in [("atto", "convnextv2_atto_official.pt"), ("femto", "convnextv2_femto.f16.safetensors"),
                                ("pico", "convnextv2_pico.bf16.safetensors")] {
            let inputs = try #require((models[size] as? [String: Any])?["inputs"] as? [String: Any])
            var files: [String] = [], expected: [[Int]] = []
            for tag in ["input_image_0", "input_image_1"] {
                let entry = try #require(inputs[tag] as? [String: Any])
                files.append(ReferenceFiles.shared.appendingPathComponent("images").appendingPathComponent(try #require(entry["file"] as? String)).path)
                expected.append(try #require(entry["top5"] as? [Int]))
            }
            let r = try Self.run(["run", "--model", size, "--weights", ReferenceFiles.reference(weights), "--json"] + files)
            #expect(r.status == 0, "\(r.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
            for (i, top5) in expected.enumerated() {
                let top = try #require(json[i]["top"] as? [[String: Any]])
                #expect(top.compactMap { $0["index"] as? Int } == top5, "\(size) \(files[i])")
            }
        }
    }

    @Test("bench --json reports every statistic")
    func benchJSON() throws {
        let r = try Self.run(["bench", "--model", "atto", "--iterations", "2", "--warmup", "0", "--size", "64x96", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let latency = try #require(json["latencyMs"] as? [String: Any])
        for key in ["min", "p50", "p90", "p99", "mean"] { #expect((latency[key] as? Double ?? 0) > 0, "\(key)") }
        #expect(json["height"] as? Int == 64 && json["width"] as? Int == 96 && json["model"] as? String == "convnextv2_atto")
        #expect((json["weights"] as? String)?.hasPrefix("synthetic") == true)
        #expect((json["imagesPerSecond"] as? Double ?? 0) > 0)
    }

    @Test("bad inputs exit non-zero with one line naming the problem")
    func errors() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let truncated = dir.appendingPathComponent("cut.safetensors")
        let full = try Data(contentsOf: URL(fileURLWithPath: ReferenceFiles.reference("convnextv2_atto.safetensors")))
        try full.prefix(full.count / 2).write(to: truncated)
        let npy = dir.appendingPathComponent("x.npy")
        try NumpyArray(shape: [1, 3, 32, 32], values: .init(repeating: 0, count: 3072)).npyData().write(to: npy)

        let cut = try Self.run(["run", "--weights", truncated.path, npy.path])
        #expect(cut.status == 3)
        #expect(cut.stderr.hasPrefix("cnx-edge: error: weights: tensor ") && cut.stderr.split(separator: "\n").count == 1, "\(cut.stderr)")

        let wrongModel = try Self.run(["run", "--model", "pico", "--weights", ReferenceFiles.reference("convnextv2_atto.safetensors"), npy.path])
        #expect(wrongModel.status == 3 && wrongModel.stderr.contains("pico"), "\(wrongModel.stderr)")

        let badSize = dir.appendingPathComponent("bad.npy")
        try NumpyArray(shape: [1, 3, 33, 32], values: .init(repeating: 0, count: 3 * 33 * 32)).npyData().write(to: badSize)
        let size = try Self.run(["run", "--weights", ReferenceFiles.reference("convnextv2_atto.safetensors"), badSize.path])
        #expect(size.status == 5 && size.stderr.contains("33x32"), "\(size.stderr)")

        let nan = dir.appendingPathComponent("nan.npy")
        try NumpyArray(shape: [1, 3, 32, 32], values: (0..<3072).map { $0 == 5 ? .nan : 0 }).npyData().write(to: nan)
        let nanRun = try Self.run(["run", "--weights", ReferenceFiles.reference("convnextv2_atto.safetensors"), nan.path])
        #expect(nanRun.status == 5 && nanRun.stderr.contains("index 5"), "\(nanRun.stderr)")

        let notNpy = dir.appendingPathComponent("junk.npy")
        try Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 200, 0]).write(to: notNpy)
        let junk = try Self.run(["run", "--weights", ReferenceFiles.reference("convnextv2_atto.safetensors"), notNpy.path])
        #expect(junk.status == 4 && junk.stderr.contains("truncated"), "\(junk.stderr)")

        let usage = try Self.run(["bench", "--threads", "0"])
        #expect(usage.status == 64)
    }
}

extension CLITests {
    @Test("--backend: every backend built in gives timm's logits; bench reports the backend")
    func backends() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let vectors = try ReferenceFiles.vectors("convnextv2_femto_vectors.safetensors")
        let v = try #require(vectors["input_random_160x256"])
        let input = dir.appendingPathComponent("x.npy").path
        try NumpyArray(shape: v.shape, values: v.values).npyData().write(to: URL(fileURLWithPath: input))
        var backends = ["swift"]
        #if Native
        backends += ["native", "xnnpack", "auto"]
        #endif
        for backend in backends {
            let logits = dir.appendingPathComponent("\(backend).npy").path
            let r = try Self.run(["run", "--backend", backend, "--threads", "2", "--weights",
                                  ReferenceFiles.reference("convnextv2_femto.f16.safetensors"), "--dump-logits", logits, input])
            #expect(r.status == 0, "\(backend): \(r.stderr)")
            let error = relativeL2Error(try NumpyArray(contentsOf: logits).values, try #require(vectors["logits_random_160x256"]).values)
            #expect(error <= 1e-4, "\(backend): \(error)")
            let bench = try Self.run(["bench", "--backend", backend, "--iterations", "1", "--warmup", "0", "--size", "64", "--json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(bench.stdout.utf8)) as? [String: Any])
            #expect(json["backend"] as? String == backend)
        }
        #if !Native
        #expect(try Self.run(["bench", "--backend", "native"]).status == 64)
        #endif
    }
}
