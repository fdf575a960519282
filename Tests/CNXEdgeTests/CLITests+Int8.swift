import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

extension CLITests {
    /// `compile`'s default `--method` (QuantizeOptions.defaultMethod in the executable).
    static let defaultMethod = "minmax"

    @Test("compile --precision int8 on 3 images → inspect shows uint8 quantization → run --compiled on every backend")
    func int8Compile() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images = ReferenceFiles.shared.appendingPathComponent("images")
        let calibration = dir.appendingPathComponent("calibration")
        try FileManager.default.createDirectory(at: calibration, withIntermediateDirectories: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: images.path).filter { $0.uppercased().hasSuffix(".JPEG") }.sorted()
        for name in names.prefix(3) {
            try FileManager.default.copyItem(at: images.appendingPathComponent(name), to: calibration.appendingPathComponent(name))
        }
        let model = dir.appendingPathComponent("x.cnx").path
        let weights = ReferenceFiles.reference("trained/convnextv2_atto_exemplar.safetensors")
        let c = try Self.run(["compile", "--precision", "int8", "--calibration", calibration.path, "--model", "atto",
                              "--weights", weights, "--method", "percentile:99.9", "-o", model])
        #expect(c.status == 0, "\(c.stderr)")
        #expect(c.stdout.contains("int8 (percentile:99.9, 3 calibration images, "), "\(c.stdout)")
        #expect(c.stderr.contains("3/3 images"), "progress: \(c.stderr)")

        let i = try Self.run(["inspect", model, "--backend", "swift"])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("uint8 activations") && i.stdout.contains("u8: scale ") && i.stdout.contains(" i8 ("), "\(i.stdout)")
        #expect(i.stdout.contains("GELU input: scale"))

        let image = images.appendingPathComponent(names[0]).path
        var backends = ["swift"]
        #if Native
        backends.append("native")
        #endif
        for backend in backends {
            let r = try Self.run(["run", "--compiled", model, "--backend", backend, "--top", "1", image])
            // A backend without int8 kernels must refuse with the typed error (exit 3 or 5), never crash.
            #expect(r.status == 0 || (r.status != 0 && r.stderr.hasPrefix("cnx-edge: error:") && r.status < 64), "\(backend): \(r.stderr)")
            if r.status == 0 { #expect(r.stdout.contains("("), "\(backend): \(r.stdout)") }
        }
        let b = try Self.run(["bench", "--compiled", model, "--backend", "swift", "--iterations", "2", "--warmup", "1"])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stdout.contains(", int8, swift backend"), "bench names the model's precision: \(b.stdout)")
    }

    @Test("compile: a bad --method, --calibration-limit 0, int8 options on fp32, --fold-grn on int8 are usage errors")
    func int8CompileUsage() throws {
        for arguments in [["--precision", "int8", "--method", "median"], ["--precision", "int8", "--method", "minmax:3"],
                          ["--precision", "int8", "--method", "percentile:20"], ["--precision", "int8", "--calibration-limit", "0"],
                          ["--method", "mse"], ["--calibration", "/tmp"], ["--precision", "int8", "--fold-grn"],
                          ["--precision", "int4"]] {
            let r = try Self.run(["compile", "--size", "64", "-o", "/nonexistent/x.cnx"] + arguments)
            #expect(r.status == 64, "\(arguments): \(r.stderr)")
        }
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let synthetic = try Self.run(["compile", "--precision", "int8", "--size", "64", "--calibration-limit", "2",
                                      "-o", dir.appendingPathComponent("s.cnx").path])
        #expect(synthetic.status == 0, "default calibration set, synthetic weights: \(synthetic.stderr)")
        #expect(synthetic.stdout.contains("synthetic weights, int8 (\(CLITests.defaultMethod), 2 calibration images, "), "\(synthetic.stdout)")
        let missing = try Self.run(["compile", "--precision", "int8", "--size", "64", "--calibration", "/nonexistent/images", "-o", "/tmp/never.cnx"])
        #expect(missing.status == 4 && missing.stderr.hasPrefix("cnx-edge: error: calibration:"), "\(missing.stderr)")
    }
}

extension CLITests {
    @Test("inspect --precision int8 --after a quantizer pass shows the graph between passes; --isa names an ISA this CPU runs")
    func inspectQuantizerPasses() throws {
        let weights = ReferenceFiles.reference("trained/convnextv2_atto_exemplar.safetensors")
        let images = ReferenceFiles.shared.appendingPathComponent("images").path
        func inspect(_ after: String) throws -> String {
            let r = try Self.run(["inspect", "--weights", weights, "--precision", "int8", "--calibration", images,
                                  "--calibration-limit", "2", "--after", after, "--backend", "swift"])
            #expect(r.status == 0, "\(after): \(r.stderr)")
            return r.stdout
        }
        // After fold-grn-int8: float ops, GRNs folded (grnPointwise), nothing int8 yet.
        let folded = try inspect("fold-grn-int8")
        #expect(folded.contains("grnPointwise") && !folded.contains("qu8"), "\(folded)")
        // After int8-blocks: the blocks' ops are int8, downsamples and the head still float32 weights.
        let blocks = try inspect("int8-blocks")
        #expect(blocks.contains("qu8PointwiseGELU") && blocks.contains("qu8GRNPointwise") && !blocks.contains("qu8Downsample"), "\(blocks)")
        #expect(!blocks.contains("-w8__swift"), "weight-only int8 comes last: \(blocks)")
        // After weight-only-int8 (the last): the head keeps int8 weights.
        let last = try inspect("weight-only-int8")
        #expect(last.contains("qu8Downsample") && last.contains("f32-pwconv-none-w8__swift"), "\(last)")
        let bad = try Self.run(["inspect", "--weights", weights, "--after", "int8-blocks"])
        #expect(bad.status == 64 && bad.stderr.contains("these did: lower"), "\(bad.stderr)")

        // --isa: the portable scalar kernels always run; an ISA of the other architecture never does.
        let image = ReferenceFiles.shared.appendingPathComponent("eval-images/n01494475_hammerhead.JPEG").path
        #if Native
        let scalar = try Self.run(["run", "--weights", ReferenceFiles.reference("convnextv2_atto.safetensors"), "--isa", "scalar", "--top", "1", image])
        #expect(scalar.status == 0, "\(scalar.stderr)")
        #if arch(x86_64)
        let foreign = "neon"
        #else
        let foreign = "avx2"
        #endif
        let refused = try Self.run(["run", "--weights", ReferenceFiles.reference("convnextv2_atto.safetensors"), "--isa", foreign, image])
        #expect(refused.status == 64 && refused.stderr.contains("not run by this CPU"), "\(refused.stderr)")
        #endif
    }
}
