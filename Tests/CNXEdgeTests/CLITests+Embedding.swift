import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

extension CLITests {
    @Test("compile --labels stores class names; run prints them, --labels overrides, a wrong count is refused")
    func labels() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = dir.appendingPathComponent("names.txt").path, other = dir.appendingPathComponent("other.txt").path
        try Data((0..<1000).map { "thing \($0)" }.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: names))
        try Data((0..<1000).map { "other \($0)" }.joined(separator: "\r\n").utf8).write(to: URL(fileURLWithPath: other))
        let model = dir.appendingPathComponent("x.cnx").path
        let c = try Self.run(["compile", "--size", "64", "--labels", names, "-o", model])
        #expect(c.status == 0 && c.stdout.contains("1000 labels"), "\(c.stdout) \(c.stderr)")
        let image = ReferenceFiles.shared.appendingPathComponent("eval-images").appendingPathComponent("n01494475_hammerhead.JPEG").path
        let r = try Self.run(["run", "--compiled", model, "--top", "1", "--json", image])
        #expect(r.status == 0, "\(r.stderr)")
        let entry = try #require(((try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])?.first?["top"] as? [[String: Any]])?.first)
        let index = try #require(entry["index"] as? Int)
        #expect(entry["name"] as? String == "thing \(index)" && entry["synset"] == nil)
        let o = try Self.run(["run", "--compiled", model, "--top", "1", "--labels", other, image])
        #expect(o.status == 0 && o.stdout.contains("other \(index)"), "\(o.stdout) \(o.stderr)")
        try Data("a\nb\n".utf8).write(to: URL(fileURLWithPath: other))
        let bad = try Self.run(["run", "--compiled", model, "--labels", other, image])
        #expect(bad.status == 4 && bad.stderr.contains("2 names, the model has 1000 classes"), "\(bad.stderr)")
        let badCompile = try Self.run(["compile", "--size", "64", "--labels", other, "-o", model])
        #expect(badCompile.status == 4, "\(badCompile.stderr)")
    }

    @Test("run over a folder: recursive, sorted, images only; images/s on standard error")
    func runFolder() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let eval = ReferenceFiles.shared.appendingPathComponent("eval-images")
        let files = try FileManager.default.contentsOfDirectory(atPath: eval.path).sorted().prefix(3)
        let sub = dir.appendingPathComponent("b/c")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: eval.appendingPathComponent(files[0]), to: dir.appendingPathComponent("a.JPEG"))
        try FileManager.default.copyItem(at: eval.appendingPathComponent(files[1]), to: sub.appendingPathComponent("z.jpeg"))
        try Data("not an image".utf8).write(to: sub.appendingPathComponent("notes.txt"))
        let model = dir.appendingPathComponent("m.cnx").path
        #expect(try Self.run(["compile", "--size", "64", "-o", model]).status == 0)
        let r = try Self.run(["run", "--compiled", model, "--json", "--top", "1", dir.path, eval.appendingPathComponent(files[2]).path])
        #expect(r.status == 0, "\(r.stderr)")
        let inputs = ((try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]]) ?? []).compactMap { $0["input"] as? String }
        #expect(inputs.map { URL(fileURLWithPath: $0).lastPathComponent } == ["a.JPEG", "z.jpeg", files[2]], "\(inputs)")
        #expect(r.stderr.contains("3 inputs in ") && r.stderr.contains("images/s"), "\(r.stderr)")
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let e = try Self.run(["run", "--compiled", model, empty.path])
        #expect(e.status == 64 && e.stderr.contains("holds no .jpg"), "\(e.stderr)")
    }

    @Test("bench --cpus pins the threads (JSON says where); a bad or unavailable list is refused; int8 JSON says int8")
    func benchCPUs() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("q.cnx").path
        #expect(try Self.run(["compile", "--precision", "int8", "--size", "64", "--calibration-limit", "2", "-o", model]).status == 0)
        let allowed = CPUAffinity.allowed()
        let first = try #require(allowed.first)
        let b = try Self.run(["bench", "--compiled", model, "--iterations", "2", "--warmup", "0", "--cpus", "\(first)", "--json"])
        #expect(b.status == 0, "\(b.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])
        #expect(json["cpus"] as? String == "\(first)" && json["precision"] as? String == "int8", "\(b.stdout)")
        let text = try Self.run(["bench", "--compiled", model, "--iterations", "2", "--warmup", "0", "--cpus", "\(first)"])
        #expect(text.stdout.contains(", int8, ") && text.stdout.contains("on CPUs \(first)"), "\(text.stdout)")
        #expect(try Self.run(["bench", "--compiled", model, "--cpus", "x-1"]).status == 64)
        let unavailable = try Self.run(["bench", "--compiled", model, "--iterations", "1", "--cpus", "1000"])
        #expect(unavailable.status == 64 && unavailable.stderr.contains("not available to this process"), "\(unavailable.stderr)")
        #expect(CPUAffinity.parse("0-3,6") == [0, 1, 2, 3, 6] && CPUAffinity.format([0, 1, 2, 3, 6]) == "0-3,6" && CPUAffinity.parse("3-1") == nil)
    }
}
