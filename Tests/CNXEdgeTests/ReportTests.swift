import CNXEdge
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import _CNXEdgeTestSupport

/// `cnx-edge report`: the CLI on a small set (trained Atto at 224, 4 calibration and 6 eval images).
@Suite("cnx-edge report")
struct ReportTests {
    /// Copies the first `count` JPEGs of `../shared/<folder>` into `dir/<folder>`.
    static func copyImages(_ folder: String, _ count: Int, into dir: URL) throws -> URL {
        let source = ReferenceFiles.shared.appendingPathComponent(folder)
        let target = dir.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        let names = try FileManager.default.contentsOfDirectory(atPath: source.path).filter { $0.uppercased().hasSuffix(".JPEG") }.sorted()
        for name in names.prefix(count) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: target.appendingPathComponent(name))
        }
        return target
    }

    static func occurrences(_ needle: String, in haystack: String) -> Int {
        haystack.components(separatedBy: needle).count - 1
    }

    @Test("report on 4 calibration + 6 eval images: report.json plausible, report.md and both SVGs written")
    func smallReport() throws {
        let dir = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let calibration = try Self.copyImages("images", 4, into: dir)
        let eval = try Self.copyImages("eval-images", 6, into: dir)
        let out = dir.appendingPathComponent("out")
        let weights = ReferenceFiles.reference("trained/convnextv2_atto_exemplar.safetensors")
        let r = try CLITests.run(["report", "--model", "atto", "--weights", weights, "--calibration", calibration.path,
                                  "--eval", eval.path, "--methods", "minmax,percentile", "--latency-runs", "5",
                                  "--threads", "2", "-o", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("] 6/6 eval images (minmax)"), "progress: \(r.stderr)")
        #expect(r.stderr.contains("4/4 calibration images"), "progress: \(r.stderr)")

        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let report = try QuantizationReport.decoder.decode(QuantizationReport.self, from: data)
        #expect(report.model == "convnextv2_atto" && report.inputSize == "224x224")
        #expect(report.calibration.count == 4 && report.eval.count == 6 && report.eval.labeled == 6)
        #expect(report.methods.map(\.method) == ["minmax", "percentile:99.99"])
        #expect(report.defaultMethod == "minmax")
        #expect(report.fp32Bytes > 0 && report.latency.fp32P50Ms > 0 && report.latency.int8P50Ms > 0 && report.latency.threads == 2)
        let fp32Graph = try Compiler.compile(WeightLoader.load(path: weights, expected: .atto), height: 224, width: 224), ops = fp32Graph.ops.count
        for m in report.methods {
            #expect((0...1).contains(m.top1Agreement) && (0...1).contains(m.top5Overlap), "\(m.method)")
            #expect(m.logitsSQNR.median.isFinite && m.logitsSQNR.min > 10 && m.logitsSQNR.median >= m.logitsSQNR.min, "\(m.method): \(m.logitsSQNR)")
            #expect(m.cosine.min > 0.9 && m.cosine.median <= 1 + 1e-9, "\(m.method): \(m.cosine)")
            let fp32 = try #require(m.fp32Accuracy), int8 = try #require(m.int8Accuracy)
            #expect((0...1).contains(fp32.top1) && fp32.top1 <= fp32.top5 && (0...1).contains(int8.top1) && int8.top1 <= int8.top5)
            // One row per op of the int8 graph, numbered as in the fp32 graph: every op but the GRNs
            // folded into their 1x1s (those of the int8 blocks).
            let missing = Set(0..<ops).subtracting(m.perOpSQNR.map(\.op))
            #expect(m.perOpSQNR.map(\.op) == m.perOpSQNR.map(\.op).sorted() && m.perOpSQNR.last?.op == ops - 1)
            #expect(!missing.isEmpty && missing.allSatisfy { fp32Graph.ops[$0].kind == "grn" }, "\(m.method): missing \(missing.sorted())")
            // Every int8 op adds noise (finite SQNR); the GELU table's uint8 output is the noisiest.
            let int8Decibels = m.perOpSQNR.filter(\.int8).map { $0.decibels ?? -1 }.sorted()
            #expect(!int8Decibels.isEmpty && int8Decibels[0] > 0 && int8Decibels[int8Decibels.count / 2] > 10, "\(m.method): \(int8Decibels)")
            #expect(m.perOpImages == 6)
            #expect(m.int8Bytes > 0 && m.int8Bytes < report.fp32Bytes, "\(m.int8Bytes) vs \(report.fp32Bytes)")
            #expect(m.floatOps.allSatisfy { $0.op < ops && $0.gainDecibels >= Quantizer.defaultSensitivityThreshold })
            #expect(m.disagreements.count == Int(((1 - m.top1Agreement) * 6).rounded()), "\(m.method): \(m.disagreements)")
            for d in m.disagreements {
                #expect(FileManager.default.fileExists(atPath: eval.appendingPathComponent(d.image).path), "\(d.image)")
                #expect(d.fp32Class != d.int8Class && d.fp32Margin >= 0 && d.int8Margin >= 0, "\(d)")
            }
        }

        let markdown = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.contains("| minmax (default) |") && markdown.contains("| percentile:99.99 |"))
        #expect(markdown.contains("(per-op-sqnr.svg)") && markdown.contains("(methods.svg)"))
        #expect(Self.occurrences("\n| \(ops - 1) | head |", in: markdown) == 1, "per-op table ends with the head")

        for (name, element, count) in [("per-op-sqnr.svg", "<circle class=\"op ", report.methods[0].perOpSQNR.count),
                                       ("methods.svg", "<rect class=\"bar ", 4)] {
            let svg = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), "\(name)")
            #expect(svg.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix("</svg>"), "\(name)")
            #expect(Self.occurrences(element, in: svg) == count, "\(name): \(element)")
            #expect(svg.contains("(dB)"), "\(name): axis label")
            #expect(!["=\"nan", "=\"inf", "=\"-inf", ",nan", ",inf"].contains { svg.contains($0) }, "\(name): non-finite coordinates")
            #expect(Self.wellFormed(svg), "\(name) is not well-formed XML")
        }
        #expect(Self.occurrences("<circle class=\"op int8\"", in: try String(contentsOf: out.appendingPathComponent("per-op-sqnr.svg"),
                                                                            encoding: .utf8))
                == report.methods[0].perOpSQNR.filter(\.int8).count)
    }

    @Test("LogitsComparison records each flipped image with fp32's and int8's margins")
    func disagreements() throws {
        var c = LogitsComparison()
        c.add(reference: [1, 3, 2.5, 0], test: [1, 3, 2, 0], label: 1, image: "same.jpg")
        c.add(reference: [1, 3, 2.9, 0], test: [1, 2.8, 3.1, 0], label: 2, image: "flip.jpg")
        c.add(reference: [0, 0, 1, 0], test: [0, 0, 0, 2], label: nil)
        #expect(c.agreement == 1.0 / 3)
        #expect(c.disagreements.count == 2)
        let flip = try #require(c.disagreements.first)
        #expect(flip.image == "flip.jpg" && flip.label == 2 && flip.fp32Class == 1 && flip.int8Class == 2)
        #expect(abs(flip.fp32Margin - 0.1) < 1e-6 && abs(flip.int8Margin - 0.3) < 1e-6)
        let unnamed = c.disagreements[1]
        #expect(unnamed.image == "#2" && unnamed.label == nil && unnamed.fp32Class == 2 && unnamed.int8Class == 3)
        #expect(unnamed.fp32Margin == 1 && unnamed.int8Margin == 2)
        #expect(c.testAccuracy?.top1 == 1 && c.referenceAccuracy?.top1 == 0.5, "labeled images only")
    }

    /// XML well-formedness through Foundation's event parser (available on Linux, unlike XMLDocument).
    static func wellFormed(_ text: String) -> Bool {
        final class Delegate: NSObject, XMLParserDelegate {}
        let parser = XMLParser(data: Data(text.utf8))
        let delegate = Delegate()
        parser.delegate = delegate
        return parser.parse()
    }

    @Test("report: a missing eval or calibration folder exits 4, a bad --methods is a usage error")
    func reportErrors() throws {
        let dir = try CLITests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let calibration = try Self.copyImages("images", 2, into: dir)
        let missingEval = try CLITests.run(["report", "--size", "64", "--calibration", calibration.path, "--eval", "/nonexistent/eval",
                                            "-o", dir.appendingPathComponent("o").path])
        #expect(missingEval.status == 4 && missingEval.stderr.hasPrefix("cnx-edge: error: calibration:"), "\(missingEval.stderr)")
        let missingCalibration = try CLITests.run(["report", "--size", "64", "--calibration", "/nonexistent/cal", "--eval", calibration.path,
                                                   "-o", dir.appendingPathComponent("o").path])
        #expect(missingCalibration.status == 4, "\(missingCalibration.stderr)")
        for methods in ["median", "minmax,percentile:20", ""] {
            let r = try CLITests.run(["report", "--size", "64", "--eval", calibration.path, "--methods", methods, "-o", "/tmp/never"])
            #expect(r.status == 64, "\(methods): \(r.stderr)")
        }
    }

    @Test("report rendering: SVGs for one method and exact per-op outputs stay finite and well-formed")
    func rendering() throws {
        var ops: [QuantizationReport.OpEntry] = []
        for i in 0..<5 {
            let decibels: Double = i == 0 ? .infinity : 30 + Double(i)
            let kind = i == 0 ? "stem" : "pointwise"
            ops.append(QuantizationReport.OpEntry(op: i, kind: kind, tensor: "t\(i)", int8: i > 0, decibels: decibels))
        }
        #expect(ops[0].decibels == nil)
        let svg = ReportRendering.perOpSVG(ops, title: "a < b & c")
        #expect(Self.wellFormed(svg) && Self.occurrences("<circle", in: svg) == 5 && !svg.contains("nan"))
        var c = LogitsComparison()
        c.add(reference: [1, 2, 3, 4, 5, 6], test: [1, 2, 3, 4, 6, 5], label: 5)
        c.add(reference: [1, 2, 3, 4, 5, 6], test: [1, 2, 3, 4, 5, 6], label: nil)
        #expect(c.agreement == 0.5 && c.top5Overlap == 1 && c.labeled == 1)
        #expect(c.referenceAccuracy == .init(top1: 1, top5: 1) && c.testAccuracy == .init(top1: 0, top5: 1))
        let method = QuantizationReport.Method(
            method: "minmax", top1Agreement: c.agreement, top5Overlap: c.top5Overlap, logitsSQNR: .init(c.sqnr),
            cosine: .init(c.cosine), fp32Accuracy: nil, int8Accuracy: nil, floatOps: [], perOpSQNR: ops, perOpImages: 2,
            int8Bytes: 1, int8P50Ms: 1)
        let bars = ReportRendering.methodsSVG([method], title: "one")
        #expect(Self.wellFormed(bars) && Self.occurrences("<rect class=\"bar ", in: bars) == 2 && !bars.contains("nan"))
        let report = QuantizationReport(model: "m", weights: nil, inputSize: "64x64", calibration: .init(directory: "c", count: 1, labeled: 0),
                                        eval: .init(directory: "e", count: 2, labeled: 0), defaultMethod: "minmax", fp32Bytes: 2,
                                        latency: .init(backend: "swift", threads: 1, runs: 1, warmup: 5, fp32P50Ms: 2, int8P50Ms: 1),
                                        methods: [method])
        let data = try QuantizationReport.encoder.encode(report)
        #expect(try QuantizationReport.decoder.decode(QuantizationReport.self, from: data) == report)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"fp32Accuracy\" : null") && json.contains("\"weights\" : null") && json.contains("\"decibels\" : null"), "\(json)")
        #expect(ReportRendering.markdown(report).contains("n/a / n/a"))
    }
}
