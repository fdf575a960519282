@testable import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// The embedding API: ``Classifier`` and its sessions, class labels in `.cnx` files.
@Suite("Classifier and labels")
struct ClassifierTests {
    static let tinyWeights = ConvNeXtV2Weights.synthetic(config: ModelConfig(dims: [8, 16, 8, 16], depths: [1, 1, 1, 1], numClasses: 10))

    static func input(_ h: Int, _ w: Int, seed: UInt64 = 9) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<(3 * h * w)).map { _ in rng.nextGaussian() }
    }

    @Test("labels: written in .cnx version 5, read back; version 4 files load without; bad sections refused by name")
    func labelsInModelFile() throws {
        var graph = try Compiler.compile(Self.tinyWeights, height: 32, width: 32)
        let names = (0..<10).map { "class \($0) é ✓" }
        graph.labels = names
        let data = try ModelFileWriter.encode(graph)
        #expect(try ModelFileTests.load(data).labels == names)
        #expect(data[8] == 5)
        // Version 4: no labels section.
        let v4 = try ModelFileWriter.encode(graph, version: 4)
        #expect(v4[8] == 4)
        #expect(try ModelFileTests.load(v4).labels == nil)
        // No labels: count 0.
        graph.labels = nil
        #expect(try ModelFileTests.load(ModelFileWriter.encode(graph)).labels == nil)
        // Wrong count, too long, line break: refused by the verifier before writing.
        graph.labels = ["a", "b"]
        #expect(throws: GraphError.badLabels(reason: "2 names for 10 classes")) { try ModelFileWriter.encode(graph) }
        graph.labels = names.map { _ in "x\ny" }
        #expect(throws: GraphError.self) { try ModelFileWriter.encode(graph) }
        // A file whose label bytes are not UTF-8, or whose count lies (checksum recomputed).
        graph.labels = names
        let good = try ModelFileWriter.encode(graph)
        let name0 = try #require(good.range(of: Data("class 0 é".utf8)))
        var bad = good
        bad[name0.lowerBound] = 0xFF
        #expect(throws: ModelFileError.corrupt(reason: "class name 0 is not one line of UTF-8", offset: name0.lowerBound)) {
            try ModelFileTests.load(ModelFileTests.resealed(bad))
        }
        var count = good
        count[name0.lowerBound - 6] = 9  // the u32 count before the first name's u16 length
        #expect(throws: ModelFileError.corrupt(reason: "9 class names for 10 classes", offset: name0.lowerBound - 6)) {
            try ModelFileTests.load(ModelFileTests.resealed(count))
        }
    }

    @Test("ClassLabels: text files (CRLF, trailing blank lines), Hugging Face id2label, counts checked")
    func labelFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("labels-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("labels.txt").path
        try Data("cat\r\n dog \r\nbird\n\n".utf8).write(to: URL(fileURLWithPath: text))
        #expect(try ClassLabels.read(path: text) == ["cat", "dog", "bird"])
        #expect(throws: ClassLabels.Error.countMismatch(path: text, expected: 4, found: 3)) { try ClassLabels.read(path: text, classes: 4) }
        let config = dir.appendingPathComponent("config.json").path
        try Data(#"{"architectures": ["ConvNextV2ForImageClassification"], "id2label": {"1": "dog", "0": "cat"}}"#.utf8).write(to: URL(fileURLWithPath: config))
        #expect(try ClassLabels.read(path: config) == ["cat", "dog"])
        #expect(try ClassLabels.beside(checkpoint: dir.appendingPathComponent("model.safetensors").path) == ["cat", "dog"])
        try Data(#"{"id2label": {"0": "cat", "2": "dog"}}"#.utf8).write(to: URL(fileURLWithPath: config))
        #expect(throws: ClassLabels.Error.self) { try ClassLabels.read(path: config) }
        #expect(ClassLabels.defaults(classes: 1000)?[0] == "tench")
        #expect(ClassLabels.defaults(classes: 10) == nil)
        #expect(throws: ClassLabels.Error.self) { try ClassLabels.read(path: dir.appendingPathComponent("none.txt").path) }
    }

    @Test("Classifier on the reference Atto checkpoint: timm's logits, ImageNet labels, softmax top-k")
    func referenceAtto() throws {
        let classifier = try Classifier(contentsOf: ReferenceFiles.reference("convnextv2_atto.safetensors"))
        let vectors = try ReferenceFiles.vectors("convnextv2_atto_vectors.safetensors")
        let input = try #require(vectors["input_random_224"]).values, expected = try #require(vectors["logits_random_224"]).values
        let logits = try classifier.logits(for: input)
        #expect(relativeL2Error(logits, expected) < 1e-4)
        #expect(classifier.labelSource == "imagenet" && classifier.labels[0] == "tench" && classifier.precision == "fp32")
        // Top-5 through a session's ranking equals sorting the logits.
        let session = try classifier.makeSession()
        let order = logits.indices.sorted { logits[$0] > logits[$1] }
        var out = [Prediction](repeating: Prediction(classIndex: -1, label: "", probability: 0, logit: 0), count: 5)
        let written = logits.withUnsafeBufferPointer { l in
            out.withUnsafeMutableBufferPointer { ClassifierSession.rank(l, labels: classifier.labels, into: $0) }
        }
        #expect(written == 5 && out.map(\.classIndex) == Array(order.prefix(5)))
        let total = logits.map { exp(Double($0) - Double(logits.max()!)) }.reduce(0, +)
        #expect(abs(Double(out[0].probability) - 1 / total) < 1e-6)
        #expect(out[0].label == ImageNetClasses.all[order[0]].name)
        _ = session
    }

    @Test("Classifier options: labels override, wrong label count, unknown file, a .cnx with its labels")
    func options() throws {
        var graph = try Compiler.compile(Self.tinyWeights, height: 32, width: 32)
        let names = (0..<10).map { "n\($0)" }
        #expect(try Classifier(graph: graph).labels == (0..<10).map { "class \($0)" })
        #expect(try Classifier(graph: graph, options: .init(labels: names)).labelSource == "options")
        #expect(throws: GraphError.badLabels(reason: "3 names for 10 classes")) { try Classifier(graph: graph, options: .init(labels: ["a", "b", "c"])) }
        #expect(throws: ModelFileError.self) { try Classifier(contentsOf: "/nonexistent/model.cnx") }
        graph.labels = names
        let path = try ModelFileTests.temporary(ModelFileWriter.encode(graph))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try Classifier(contentsOf: path)
        #expect(c.labels == names && c.labelSource == "model" && c.inputHeight == 32 && c.classCount == 10)
        let top = try c.withSession { s in try s.logits(for: Self.input(32, 32)) }
        #expect(top.count == 10)
    }

    /// Runs `classifier` on `inputs` from `threads` threads at once, each input `rounds` times.
    static func concurrentLogits(_ classifier: Classifier, _ inputs: [[Float]], threads: Int, rounds: Int) throws -> [[[Float]]] {
        let results = LockedResults(count: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            var mine: [[Float]] = []
            do {
                for r in 0..<rounds { for i in inputs.indices { mine.append(try classifier.logits(for: inputs[(i + r + t) % inputs.count])) } }
            } catch { mine = [] }
            // Back in input order for comparison.
            var ordered = [[Float]](repeating: [], count: inputs.count * rounds)
            for r in 0..<rounds { for i in inputs.indices { ordered[r * inputs.count + (i + r + t) % inputs.count] = mine.isEmpty ? [] : mine[r * inputs.count + i] } }
            results.set(t, ordered)
        }
        return results.values
    }

    final class LockedResults: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [[[Float]]]
        init(count: Int) { values = Array(repeating: [], count: count) }
        func set(_ i: Int, _ v: [[Float]]) { lock.lock(); values[i] = v; lock.unlock() }
    }

    @Test("one Classifier from 2 and 4 threads at once: logits bit-identical to one thread, fp32 and int8, every provider",
          arguments: BackendChoice.allCases.filter(\.isAvailable))
    func concurrent(backend: BackendChoice) throws {
        for graph in [try Compiler.compile(ModelFileTests.weights, height: 64, width: 64), ModelFileInt8Tests.atto] {
            let classifier = try Classifier(graph: graph, options: .init(backend: backend))
            let inputs = (0..<3).map { Self.input(64, 64, seed: UInt64(30 + $0)) }
            let single = try inputs.map { try classifier.logits(for: $0) }
            for threads in [2, 4] {
                let all = try Self.concurrentLogits(classifier, inputs, threads: threads, rounds: 3)
                for perThread in all {
                    #expect(perThread.count == 9)
                    for (n, logits) in perThread.enumerated() { #expect(logits == single[n % 3], "\(backend) \(graph.precisionName) \(threads) threads") }
                }
                #expect(classifier.pooledSessions >= 1 && classifier.pooledSessions <= threads + 1)
            }
        }
    }

    /// Counts mismatches against one thread's logits (a lock-free tally would be a race itself).
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var runs = 0, mismatches = 0, errors: [String] = []
        func add(runs r: Int, mismatches m: Int, error: String?) {
            lock.lock(); runs += r; mismatches += m; if let error { errors.append(error) }; lock.unlock()
        }
    }

    /// Inferences per thread in ``stress(workers:)``: 500, fewer under emulation
    /// (`CNX_EDGE_TEST_STRESS_RUNS`, which scripts/arm64/test.sh sets).
    static let stressRuns = Int(ProcessInfo.processInfo.environment["CNX_EDGE_TEST_STRESS_RUNS"] ?? "") ?? 500

    @Test("stress: 4 threads x 500 inferences on one model, fp32 and int8 Atto, 1 and 2 worker threads: every result bit-identical to one thread",
          arguments: [1, 2])
    func stress(workers: Int) throws {
        let runs = Self.stressRuns
        let weights = ConvNeXtV2Weights.synthetic(config: ModelConfig(.atto), seed: 21)
        for graph in [try Compiler.compile(weights, height: 32, width: 32),
                      try ModelFileInt8Tests.int8Graph(weights, height: 32, width: 32, images: 2)] {
            let classifier = try Classifier(graph: graph, options: .init(threads: workers))
            let inputs = (0..<7).map { Self.input(32, 32, seed: UInt64(60 + $0)) }
            let single = try inputs.map { try classifier.logits(for: $0) }
            let tally = Tally()
            // Threads 0 and 1 own a session each; threads 2 and 3 borrow from the pool per call.
            DispatchQueue.concurrentPerform(iterations: 4) { t in
                var mismatches = 0
                do {
                    let session = t < 2 ? try classifier.makeSession() : nil
                    for n in 0..<runs {
                        let k = (n * 3 + t) % inputs.count
                        let logits: [Float]
                        if let session { logits = try session.logits(for: inputs[k]) } else { logits = try classifier.logits(for: inputs[k]) }
                        if logits != single[k] { mismatches += 1 }
                    }
                    tally.add(runs: runs, mismatches: mismatches, error: nil)
                } catch {
                    tally.add(runs: 0, mismatches: 0, error: "\(error)")
                }
            }
            #expect(tally.errors.isEmpty, "\(tally.errors)")
            #expect(tally.runs == 4 * runs)
            #expect(tally.mismatches == 0, "\(graph.precisionName), \(workers) workers: \(tally.mismatches) of \(4 * runs) differ")
        }
    }

    @Test("a Classifier is freed when its last reference goes: after pooled calls, and after its own sessions go (the soak found a cycle)")
    func freed() throws {
        let graph = try Compiler.compile(ModelFileNumericsTests.tinyWeights, height: 32, width: 32)
        weak var pooledOnly: Classifier?
        weak var withSession: Classifier?
        var session: ClassifierSession?
        do {
            let a = try Classifier(graph: graph)
            _ = try a.logits(for: Self.input(32, 32))
            pooledOnly = a
            let b = try Classifier(graph: graph)
            session = try b.makeSession()
            _ = try session?.logits(for: Self.input(32, 32))
            withSession = b
        }
        #expect(pooledOnly == nil, "a classifier used through its pool is never freed")
        #expect(withSession != nil, "a session keeps its classifier alive")
        #expect(try session?.logits(for: Self.input(32, 32)).count == 10)
        session = nil
        #expect(withSession == nil, "a classifier whose session is gone is never freed")
    }
}
