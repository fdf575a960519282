import ArgumentParser
import CNXEdge
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure single-image latency.",
        discussion: """
            Runs batch-1 inference on a fixed random input and reports min/p50/p90/p99/mean latency. \
            Without --weights it uses deterministic synthetic weights of the chosen size (latency \
            does not depend on the weight values). Also reports the load time (reading the weights or \
            .cnx file to a ready compiled model) and the time to the first result (load + one run). \
            --profile adds a pass of --iterations runs timed op by op. Build with 'swift build -c \
            release' for real figures.
            """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var execution: ExecutionOptionGroup

    @Option(help: "Timed runs.")
    var iterations: Int = 50

    @Option(help: "Untimed runs first.")
    var warmup: Int = 10

    @Option(help: "Input size, H or HxW, multiples of 32.")
    var size: InputSize = InputSize(height: 224, width: 224)

    @Flag(help: "Print the results as JSON.")
    var json = false

    @Flag(help: "After the timed runs, time each op over --iterations more runs; show time per op kind and per op.")
    var profile = false

    @Option(help: "Also time the camera-frame path: a synthetic WxH frame (e.g. 1920x1080) to the input tensor, on the calling thread.")
    var frame: String?

    @Option(help: "The --frame's pixel format: \(PixelFormat.allCases.map(\.description).joined(separator: ", ")).")
    var pixelFormat: String = "nv12"

    @Option(help: "Run the inference threads on these CPUs only, e.g. 4-7 (the big cores of a big.LITTLE board) or 0,2; the taskset -c syntax.")
    var cpus: String?

    func validate() throws {
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
        if let frame, Self.frameSize(frame) == nil { throw ValidationError("--frame \(frame): expected WIDTHxHEIGHT, e.g. 1920x1080") }
        guard PixelFormat.allCases.contains(where: { $0.description == pixelFormat }) else {
            throw ValidationError("--pixel-format \(pixelFormat): one of \(PixelFormat.allCases.map(\.description).joined(separator: ", "))")
        }
        if let cpus, CPUAffinity.parse(cpus) == nil { throw ValidationError("--cpus \(cpus): expected a list like 0-3,6") }
    }

    func run() throws {
        try reportingErrors {
            // Before the model (and its thread pool) exists: the workers inherit the affinity.
            let pinned = try cpus.flatMap(CPUAffinity.parse).map { list in
                do { try CPUAffinity.pin(list) } catch let error as CPUAffinity.Error { throw ValidationError("--cpus: \(error)") }
                return list
            }
            var rng = SplitMix64(seed: 1)
            let loadStart = DispatchTime.now().uptimeNanoseconds
            let model: LoadedModel
            let source: String
            if let path = modelOptions.compiled {
                model = try .compiled(path, execution)
                source = path
            } else if let path = modelOptions.weights {
                model = .direct(try modelOptions.loadWeights(), execution)
                source = path
            } else {
                let size = modelOptions.model.size ?? .atto
                model = .direct(.synthetic(config: ModelConfig(size)), execution)
                source = "synthetic (deterministic, no --weights given)"
            }
            let inputSize = model.fixedSize ?? size
            let compiled = try model.compiledModel(inputSize.height, inputSize.width)
            let loadMs = Self.milliseconds(since: loadStart)
            let input = (0..<(3 * inputSize.height * inputSize.width)).map { _ in rng.nextGaussian() }
            let firstStart = DispatchTime.now().uptimeNanoseconds
            _ = try compiled.predict(input)
            let firstResultMs = loadMs + Self.milliseconds(since: firstStart)
            for _ in 0..<warmup { _ = try compiled.predict(input) }
            var samples: [Double] = []
            samples.reserveCapacity(iterations)
            for _ in 0..<iterations {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try compiled.predict(input)
                samples.append(Self.milliseconds(since: start))
            }
            let stats = LatencyStatistics(samples: samples)
            let frameStats = try frame.flatMap(Self.frameSize).map { size in
                try Self.timeFrame(width: size.width, height: size.height,
                                   format: PixelFormat.allCases.first { $0.description == pixelFormat }!,
                                   preprocessor: ImagePreprocessor(height: inputSize.height, width: inputSize.width),
                                   iterations: iterations, warmup: warmup)
            }
            let report = BenchReport(
                model: model.description, weights: source, backend: execution.backend.rawValue,
                precision: compiled.graph.precisionName,
                height: inputSize.height, width: inputSize.width, threads: execution.threads,
                cpus: pinned.map(CPUAffinity.format),
                iterations: iterations, warmup: warmup,
                gmac: Double(model.macs(inputSize.height, inputSize.width)) / 1e9,
                latencyMs: stats, imagesPerSecond: stats.imagesPerSecond, loadMs: loadMs, firstResultMs: firstResultMs,
                frame: frameStats.map { FrameTiming(size: frame!, pixelFormat: pixelFormat, latencyMs: $0) },
                profile: profile ? try BenchProfile.measure(compiled, input: input, iterations: iterations) : nil)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.text)
            }
        }
    }
}

extension BenchCommand {
    static func milliseconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    }

    static func frameSize(_ text: String) -> (width: Int, height: Int)? {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, (1...ImageDecoder.maxDimension).contains(parts[0]), (1...ImageDecoder.maxDimension).contains(parts[1]) else { return nil }
        return (parts[0], parts[1])
    }

    /// The frame path (``FramePreprocessor``) on a synthetic frame: smooth gradients plus noise.
    static func timeFrame(width: Int, height: Int, format: PixelFormat, preprocessor: ImagePreprocessor,
                          iterations: Int, warmup: Int) throws -> LatencyStatistics {
        let stride = width * format.bytesPerPixel
        let bytes = format == .nv12 || format == .nv21 ? stride * height * 3 / 2 : stride * height
        var rng = SplitMix64(seed: 7)
        let pixels = (0..<bytes).map { i in UInt8(truncatingIfNeeded: (i % stride) / 8 + Int(rng.next() % 32)) }
        let frames = FramePreprocessor(preprocessor)
        var tensor = [Float](repeating: 0, count: preprocessor.tensorCount)
        var samples: [Double] = []
        try pixels.withUnsafeBytes { p in
            let buffer = PixelBuffer(pixels: p.baseAddress, width: width, height: height, rowStride: stride, format: format)
            try tensor.withUnsafeMutableBufferPointer { out in
                for i in 0..<(warmup + iterations) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    try frames.writeTensor(from: buffer, into: out)
                    if i >= warmup { samples.append(milliseconds(since: start)) }
                }
            }
        }
        return LatencyStatistics(samples: samples)
    }
}

/// `bench --frame`: the camera-frame path's time per frame.
struct FrameTiming: Encodable {
    var size: String
    var pixelFormat: String
    var latencyMs: LatencyStatistics
}

/// What `bench` measured; `--json` prints it as is.
struct BenchReport: Encodable {
    var model: String
    var weights: String
    var backend: String
    var precision: String
    var height: Int
    var width: Int
    var threads: Int
    /// `--cpus`: the CPUs the threads were pinned to.
    var cpus: String?
    var iterations: Int
    var warmup: Int
    var gmac: Double
    var latencyMs: LatencyStatistics
    var imagesPerSecond: Double
    /// Reading the weights or `.cnx` file to a compiled, prepared model for the bench size.
    var loadMs: Double
    /// ``loadMs`` plus the first run.
    var firstResultMs: Double
    /// With `--frame`.
    var frame: FrameTiming?
    /// With `--profile`.
    var profile: BenchProfile?

    var text: String {
        func ms(_ v: Double) -> String { String(format: "%.2f", v) }
        let l = latencyMs
        return """
            \(model) \(height)x\(width), \(precision), \(backend) backend, \(threads) thread\(threads == 1 ? "" : "s")\(cpus.map { " on CPUs \($0)" } ?? ""), \(String(format: "%.3f", gmac)) GMAC
            weights: \(weights)
            \(iterations) runs after \(warmup) warm-up
            latency ms  min \(ms(l.min))  p50 \(ms(l.p50))  p90 \(ms(l.p90))  p99 \(ms(l.p99))  mean \(ms(l.mean))
            throughput  \(String(format: "%.1f", imagesPerSecond)) images/s
            load \(ms(loadMs)) ms, first result \(ms(firstResultMs)) ms
            """ + (frame.map { f in
                "\nframe \(f.size) \(f.pixelFormat) -> \(height)x\(width) input (1 thread)  min \(ms(f.latencyMs.min))  p50 \(ms(f.latencyMs.p50))  p90 \(ms(f.latencyMs.p90)) ms"
            } ?? "") + (profile.map { "\n\n" + $0.text } ?? "")
    }
}
