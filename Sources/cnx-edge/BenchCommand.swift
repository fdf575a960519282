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
            does not depend on the weight values). Build with 'swift build -c release' for real figures.
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

    func validate() throws {
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    }

    func run() throws {
        try reportingErrors {
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
            let size = model.fixedSize ?? size
            var rng = SplitMix64(seed: 1)
            let input = (0..<(3 * size.height * size.width)).map { _ in rng.nextGaussian() }
            for _ in 0..<warmup { _ = try model.predict(input, size.height, size.width) }
            var samples: [Double] = []
            samples.reserveCapacity(iterations)
            for _ in 0..<iterations {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try model.predict(input, size.height, size.width)
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            let stats = LatencyStatistics(samples: samples)
            let report = BenchReport(
                model: model.description, weights: source, backend: execution.backend.rawValue, precision: "fp32",
                height: size.height, width: size.width, threads: execution.threads,
                iterations: iterations, warmup: warmup,
                gmac: Double(model.macs(size.height, size.width)) / 1e9,
                latencyMs: stats, imagesPerSecond: stats.imagesPerSecond)
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

/// What `bench` measured; `--json` prints it as is.
struct BenchReport: Encodable {
    var model: String
    var weights: String
    var backend: String
    var precision: String
    var height: Int
    var width: Int
    var threads: Int
    var iterations: Int
    var warmup: Int
    var gmac: Double
    var latencyMs: LatencyStatistics
    var imagesPerSecond: Double

    var text: String {
        func ms(_ v: Double) -> String { String(format: "%.2f", v) }
        let l = latencyMs
        return """
            \(model) \(height)x\(width), \(precision), \(backend) backend, \(threads) thread\(threads == 1 ? "" : "s"), \(String(format: "%.3f", gmac)) GMAC
            weights: \(weights)
            \(iterations) runs after \(warmup) warm-up
            latency ms  min \(ms(l.min))  p50 \(ms(l.p50))  p90 \(ms(l.p90))  p99 \(ms(l.p99))  mean \(ms(l.mean))
            throughput  \(String(format: "%.1f", imagesPerSecond)) images/s
            """
    }
}
