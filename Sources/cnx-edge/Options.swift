import ArgumentParser
import CNXEdge

/// `--model`: a published size, or `auto` to infer it from the weights.
enum ModelChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, atto, femto, pico, nano, tiny, base, large, huge

    var size: ModelSize? { ModelSize(rawValue: rawValue) }
}

/// Which network, and from which weights.
struct ModelOptions: ParsableArguments {
    @Option(help: "Model size; 'auto' infers it from --weights.")
    var model: ModelChoice = .auto

    @Option(help: "Checkpoint: safetensors (timm or transformers names; F32, F16, BF16) or an official PyTorch .pt.")
    var weights: String?

    /// Loads `--weights`, checking it against `--model` unless that is `auto`.
    func loadWeights() throws -> ConvNeXtV2Weights {
        guard let weights else { throw ValidationError("--weights FILE is required") }
        return try WeightLoader.load(path: weights, expected: model.size)
    }
}

/// How to execute.
struct ExecutionOptionGroup: ParsableArguments {
    @Option(help: "Worker threads (results do not depend on it).")
    var threads: Int = 1

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
    }

    var executionOptions: ExecutionOptions { ExecutionOptions(threads: threads) }
}

/// `--size 224` or `--size 160x256` (height x width), multiples of 32.
struct InputSize: ExpressibleByArgument, CustomStringConvertible {
    var height: Int
    var width: Int

    init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x").map { Int($0) }
        guard (1...2).contains(parts.count), let h = parts[0], let w = parts.last ?? nil,
              h > 0, w > 0, h % 32 == 0, w % 32 == 0 else { return nil }
        self.init(height: h, width: w)
    }

    static var defaultValueDescription: String { "224" }
    var description: String { "\(height)x\(width)" }
}
