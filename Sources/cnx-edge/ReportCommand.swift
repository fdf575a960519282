import ArgumentParser
import CNXEdge
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Measure int8 against fp32 for several calibration methods; write report.json, report.md and SVG charts.",
        discussion: """
            Calibrates once on --calibration (statistics shared by every method), then for each of \
            --methods picks the blocks to leave float (on up to 32 calibration images, as compile \
            does), quantizes, and compares int8 with fp32 on the --eval images: top-1 agreement, \
            top-5 overlap, logits SQNR and cosine, accuracy where labels are known (synset file \
            names or ImageFolder subfolders), per-op SQNR, .cnx sizes and median latency.
            """
    )

    static let allMethods = "minmax,percentile,mse,entropy"
    /// Eval sets up to this many images are decoded once and kept in memory.
    static let cachedEvalLimit = 300
    /// Images the sensitivity probe and the per-op SQNR use at most.
    static let probeImages = Quantizer.sensitivityProbeImages

    @Option(help: "Model size; 'auto' infers it from --weights (atto without --weights).")
    var model: ModelChoice = .auto

    @Option(help: "Checkpoint: safetensors or an official PyTorch .pt; synthetic weights without it.")
    var weights: String?

    @Option(help: "Input size, H or HxW, multiples of 32.")
    var size: InputSize = InputSize(height: 224, width: 224)

    @Option(help: "A folder of calibration images (flat, or one subfolder per synset); default: the verified default set.")
    var calibration: String?

    @Option(help: "Use at most this many calibration images (the first in sorted order).")
    var calibrationLimit: Int?

    @Option(help: "A folder of evaluation images (flat, or one subfolder per synset).")
    var eval: String

    @Option(help: "Use at most this many evaluation images (the first in sorted order).")
    var evalLimit: Int?

    @Option(help: "Comma-separated calibration methods: minmax, percentile[:P], mse, entropy.")
    var methods: String = ReportCommand.allMethods

    @Option(help: "Worker threads for every model run (results do not depend on it).")
    var threads: Int = 1

    @Option(help: "Execution providers every model runs on: native (default with the Native trait), xnnpack, auto or swift.")
    var backend: BackendChoice = .defaultChoice

    @Option(help: "Latency: timed runs (after 5 warm-up runs).")
    var latencyRuns: Int = 50

    @Option(name: .shortAndLong, help: "Output folder (created if missing).")
    var output: String

    func specs() throws -> [CalibrationSpec] {
        var seen = Set<CalibrationSpec>(), specs: [CalibrationSpec] = []
        for text in methods.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !text.isEmpty {
            let spec: CalibrationSpec
            do { spec = try CalibrationSpec(parsing: text) } catch { throw ValidationError("--methods: \(error)") }
            if seen.insert(spec).inserted { specs.append(spec) }
        }
        if specs.isEmpty { throw ValidationError("--methods: no method given") }
        return specs
    }

    func validate() throws {
        _ = try specs()
        if let calibrationLimit, calibrationLimit < 1 { throw ValidationError("--calibration-limit must be at least 1") }
        if let evalLimit, evalLimit < 1 { throw ValidationError("--eval-limit must be at least 1") }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
        guard latencyRuns >= 1 else { throw ValidationError("--latency-runs must be at least 1") }
        #if !Native
        if backend == .native || backend == .xnnpack { throw ValidationError("this cnx-edge was built without the Native trait; use --backend swift") }
        #endif
    }

    func run() throws {
        try reportingErrors { try makeReport() }
    }

    func makeBackend() -> any Backend { backend.makeBackend(ExecutionOptions(threads: threads)) }

    /// An int8 model on the chosen backend, or on the swift one where that refuses the graph.
    func int8Model(_ graph: Graph) throws -> CompiledModel {
        do { return try CompiledModel(graph: graph, backend: makeBackend()) } catch {
            if backend == .swift { throw error }
            ProgressBar.note("  \(backend) backend refused the int8 graph (\(error)); using swift")
            return try CompiledModel(graph: graph, backend: BackendChoice.swift.makeBackend(ExecutionOptions(threads: threads)))
        }
    }

    /// Median milliseconds of `runs` predictions of `input` after 5 warm-up runs.
    func latency(_ model: CompiledModel, _ input: [Float]) throws -> Double {
        for _ in 0..<5 { _ = try model.predict(input) }
        var times: [Double] = []
        for _ in 0..<latencyRuns {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try model.predict(input)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        return times[times.count / 2]
    }

    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    func makeReport() throws {
        let specs = try specs()
        let w: ConvNeXtV2Weights
        if let weights {
            w = try WeightLoader.load(path: weights, expected: model.size)
        } else {
            w = .synthetic(config: ModelConfig(model.size ?? .atto))
        }
        let graph = try Compiler.compile(w, height: size.height, width: size.width)
        let calibrationSet = try calibration.map { try CalibrationSet(path: $0, limit: calibrationLimit) }
            ?? CalibrationSet.defaultSet(limit: calibrationLimit)
        let evalSet = try CalibrationSet(path: eval, limit: evalLimit)
        let out = URL(fileURLWithPath: output)
        do { try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true) } catch {
            throw ValidationError("cannot create \(output): \((error as NSError).localizedDescription)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cnx-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let preprocessor = ImagePreprocessor(height: graph.inputHeight, width: graph.inputWidth)
        let backendName = makeBackend().name

        // Calibration, once for every method.
        ProgressBar.note("\(w.config) \(size): calibrating on \(calibrationSet.items.count) images from \(calibrationSet.directory.path) "
                         + "(\(backendName) backend, \(threads) thread\(threads == 1 ? "" : "s"))")
        let calibrationInputs = CalibrationInputs(set: calibrationSet, preprocessor: preprocessor)
        let calibrationBar = ProgressBar(total: calibrationSet.items.count, label: "calibration images")
        let statistics = try Quantizer.calibrate(graph, backend: makeBackend(), inputs: calibrationInputs) { calibrationBar.update($0) }
        if let error = calibrationInputs.failure.error { throw error }
        var probe: [[Float]] = []
        for input in CalibrationInputs(set: calibrationSet, preprocessor: preprocessor) {
            probe.append(input)
            if probe.count == Self.probeImages { break }
        }

        // fp32 on the eval set: logits kept, inputs kept when the set is small.
        let evalCount = evalSet.items.count
        let cached = evalCount <= Self.cachedEvalLimit
        var evalInputs: [[Float]] = []
        func forEachEval(_ body: (Int, [Float]) throws -> Void) throws {
            if cached && evalInputs.count == evalCount {
                for (i, input) in evalInputs.enumerated() { try body(i, input) }
            } else {
                try evalSet.forEachInput(preprocessor: preprocessor) { i, input in
                    if cached { evalInputs.append(input) }
                    try body(i, input)
                }
            }
        }
        let fp32 = try CompiledModel(graph: graph, backend: makeBackend())
        var reference: [[Float]] = [], perOpInputs: [[Float]] = []
        let fp32Bar = ProgressBar(total: evalCount, label: "eval images (fp32)")
        try forEachEval { i, input in
            reference.append(try fp32.predict(input))
            if i < Self.probeImages { perOpInputs.append(input) }
            fp32Bar.update(i + 1)
        }
        let latencyInput = perOpInputs[0]
        let fp32Path = scratch.appendingPathComponent("fp32.cnx").path
        try ModelFileWriter.write(graph, to: fp32Path)
        let fp32Bytes = Self.fileSize(fp32Path)
        ProgressBar.note("fp32: \(fp32Bytes) bytes; timing \(latencyRuns) runs")
        let fp32Latency = try latency(fp32, latencyInput)

        var entries: [QuantizationReport.Method] = []
        var int8BackendNames: Set<String> = []
        for spec in specs {
            let name = spec.description
            ProgressBar.note("\(name): choosing blocks to leave float on \(probe.count) calibration images")
            var options = QuantizationOptions(calibration: spec)
            let sensitive = try Quantizer.sensitiveOps(graph, statistics: statistics, options: options, inputs: probe, backend: makeBackend)
            options.floatOps = sensitive.ops
            let quantized = try Quantizer.quantize(graph, statistics: statistics, options: options)
            let floatOps = sensitive.ops.sorted().map { i in
                QuantizationReport.FloatOp(op: i, kind: graph.ops[i].kind, tensor: graph[graph.ops[i].outputs[0]].name,
                                           gainDecibels: sensitive.gains[i] ?? 0)
            }
            if !floatOps.isEmpty {
                ProgressBar.note("  left in float32: " + floatOps.map { "op \($0.op) (+\(String(format: "%.1f", $0.gainDecibels)) dB)" }.joined(separator: ", "))
            }
            let int8 = try int8Model(quantized)
            int8BackendNames.insert(int8.backend.name)
            var comparison = LogitsComparison()
            let bar = ProgressBar(total: evalCount, label: "eval images (\(name))")
            try forEachEval { i, input in
                comparison.add(reference: reference[i], test: try int8.predict(input), label: evalSet.items[i].label,
                               image: evalSet.items[i].relativePath)
                bar.update(i + 1)
            }
            ProgressBar.note("  per-op SQNR on \(perOpInputs.count) eval images")
            let perOp = try QuantizationAnalysis.perOpSQNR(fp32: fp32, int8: int8, inputs: perOpInputs)
            let path = scratch.appendingPathComponent("int8-\(spec.method).cnx").path
            try ModelFileWriter.write(quantized, to: path)
            let int8Latency = try latency(int8, latencyInput)
            let entry = QuantizationReport.Method(
                method: name, top1Agreement: comparison.agreement, top5Overlap: comparison.top5Overlap,
                logitsSQNR: .init(comparison.sqnr), cosine: .init(comparison.cosine),
                fp32Accuracy: comparison.referenceAccuracy, int8Accuracy: comparison.testAccuracy, floatOps: floatOps,
                perOpSQNR: perOp.map(QuantizationReport.OpEntry.init), perOpImages: perOpInputs.count,
                int8Bytes: Self.fileSize(path), int8P50Ms: int8Latency,
                disagreements: comparison.disagreements)
            ProgressBar.note("  \(name): agreement \(String(format: "%.1f", entry.top1Agreement * 100))%, "
                             + "SQNR median \(String(format: "%.1f", entry.logitsSQNR.median)) dB, min \(String(format: "%.1f", entry.logitsSQNR.min)) dB")
            entries.append(entry)
        }

        let defaultMethod = entries.first { $0.method == QuantizeOptions.defaultMethod }?.method ?? entries[0].method
        let defaultEntry = entries.first { $0.method == defaultMethod }!
        var latencyBackend = backendName
        if int8BackendNames != [backendName] { latencyBackend += " (int8: \(int8BackendNames.sorted().joined(separator: ", ")))" }
        let report = QuantizationReport(
            model: String(describing: w.config), weights: weights, inputSize: size.description,
            calibration: .init(directory: calibrationSet.directory.path, count: calibrationSet.items.count,
                               labeled: calibrationSet.items.filter { $0.label != nil }.count),
            eval: .init(directory: evalSet.directory.path, count: evalCount, labeled: evalSet.items.filter { $0.label != nil }.count),
            defaultMethod: defaultMethod, fp32Bytes: fp32Bytes,
            latency: .init(backend: latencyBackend, threads: threads, runs: latencyRuns, warmup: 5,
                           fp32P50Ms: fp32Latency, int8P50Ms: defaultEntry.int8P50Ms),
            methods: entries)
        try write(report, to: out)
        print("report: \(out.appendingPathComponent("report.md").path)")
        for m in entries {
            print("  \(m.method): agreement \(String(format: "%.1f", m.top1Agreement * 100))%, SQNR median/min "
                  + "\(String(format: "%.1f", m.logitsSQNR.median))/\(String(format: "%.1f", m.logitsSQNR.min)) dB")
        }
    }

    func write(_ report: QuantizationReport, to out: URL) throws {
        let title = "\(report.model) \(report.inputSize)"
        let files: [(String, Data)] = [
            ("report.json", try QuantizationReport.encoder.encode(report)),
            ("report.md", Data(ReportRendering.markdown(report).utf8)),
            (ReportRendering.perOpChart, Data(ReportRendering.perOpSVG(report.defaultEntry?.perOpSQNR ?? [],
                                                                    title: "Per-op SQNR, \(report.defaultMethod), \(title)").utf8)),
            (ReportRendering.methodsChart, Data(ReportRendering.methodsSVG(report.methods, title: "int8 vs fp32 per calibration method, \(title)").utf8)),
        ]
        for (name, data) in files {
            do { try data.write(to: out.appendingPathComponent(name)) } catch {
                throw ValidationError("cannot write \(out.appendingPathComponent(name).path): \((error as NSError).localizedDescription)")
            }
        }
    }
}
