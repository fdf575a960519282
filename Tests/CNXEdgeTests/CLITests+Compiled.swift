import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

extension CLITests {
    @Test("compile → inspect → run --compiled: logits within 1e-4 of the reference; bad files exit 3")
    func compiledModel() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("atto.cnx").path
        let weights = ReferenceFiles.reference("convnextv2_atto.safetensors")
        let c = try Self.run(["compile", "--model", "atto", "--weights", weights, "--size", "224", "-o", model])
        #expect(c.status == 0, "\(c.stderr)")

        let i = try Self.run(["inspect", model])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("53 ops") && i.stdout.contains("arena") && i.stdout.contains("f32-pwconv-gelu"))

        let vectors = try ReferenceFiles.vectors("convnextv2_atto_vectors.safetensors")
        let v = try #require(vectors["input_random_224"])
        let input = dir.appendingPathComponent("x.npy").path
        try NumpyArray(shape: v.shape, values: v.values).npyData().write(to: URL(fileURLWithPath: input))
        let logits = dir.appendingPathComponent("logits.npy").path
        let r = try Self.run(["run", "--compiled", model, "--threads", "2", "--dump-logits", logits, input])
        #expect(r.status == 0, "\(r.stderr)")
        let ours = try NumpyArray(contentsOf: logits).values
        #expect(relativeL2Error(ours, try #require(vectors["logits_random_224"]).values) <= 1e-4)

        let both = try Self.run(["run", "--compiled", model, "--weights", weights, input])
        #expect(both.status != 0 && both.stderr.contains("mutually exclusive"))

        var bytes = try Data(contentsOf: URL(fileURLWithPath: model))
        bytes[bytes.count / 2] ^= 1
        let corrupt = dir.appendingPathComponent("corrupt.cnx").path
        try bytes.write(to: URL(fileURLWithPath: corrupt))
        let bad = try Self.run(["inspect", corrupt])
        #expect(bad.status == 3)
        #expect(bad.stderr.hasPrefix("cnx-edge: error: model file: model file corrupt: checksum"))
        #expect(bad.stderr.split(separator: "\n").count == 1)
    }
}

extension CLITests {
    @Test("tune writes MODEL.cnx.placement; inspect and run --backend auto then use it; inspect says why XNNPACK cannot run an op")
    func tune() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("atto.cnx").path
        #expect(try Self.run(["compile", "--model", "atto", "--size", "64", "-o", model]).status == 0)
        let t = try Self.run(["tune", model, "--runs", "3"])
        #expect(t.status == 0, "\(t.stderr)")
        #expect(t.stdout.contains("whole model") && t.stdout.contains("wrote \(model).placement"))
        #expect(FileManager.default.fileExists(atPath: model + ".placement"))
        let i = try Self.run(["inspect", model])
        #expect(i.status == 0 && i.stdout.contains("(measured: "), "\(i.stdout)")
        #if Native
        #expect(i.stdout.contains("not on xnnpack: XNNPACK 2022 has no LayerNorm operator"))
        #endif
        // Tuned for one thread: two threads fall back to the table, and say so.
        let two = try Self.run(["inspect", model, "--threads", "2"])
        #expect(two.status == 0 && two.stdout.contains("(default table)") && two.stderr.contains("tuned for"))
        let r = try Self.run(["bench", "--compiled", model, "--iterations", "1", "--warmup", "0"])
        #expect(r.status == 0, "\(r.stderr)")
    }
}
