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

    @Option(help: "A compiled .cnx model (from 'cnx-edge compile'); instead of --weights.")
    var compiled: String?

    func validate() throws {
        if weights != nil && compiled != nil { throw ValidationError("--weights and --compiled are mutually exclusive") }
    }

    /// Loads `--weights`, checking it against `--model` unless that is `auto`.
    func loadWeights() throws -> ConvNeXtV2Weights {
        guard let weights else { throw ValidationError("--weights FILE is required") }
        return try WeightLoader.load(path: weights, expected: model.size)
    }
}

/// A model ready to classify: compiled from a `.cnx` file or built from weights.
struct LoadedModel {
    /// Logits for an NCHW input of `height`x`width`.
    let predict: (_ input: [Float], _ height: Int, _ width: Int) throws -> [Float]
    let classes: Int
    let description: String
    /// The compiled input size, which inputs must have; `nil` for any size.
    let fixedSize: InputSize?
    let macs: (_ height: Int, _ width: Int) -> Int

    static func compiled(_ path: String, _ options: ExecutionOptions) throws -> LoadedModel {
        let model = try CompiledModel(contentsOf: path, backend: SwiftBackend(options: options))
        let g = model.graph
        return LoadedModel(predict: { input, _, _ in try model.predict(input) }, classes: g[g.output].elementCount,
                           description: "compiled \(path)", fixedSize: InputSize(height: g.inputHeight, width: g.inputWidth),
                           macs: { _, _ in g.macs })
    }

    static func direct(_ weights: ConvNeXtV2Weights, _ options: ExecutionOptions) -> LoadedModel {
        let model = SwiftFP32Model(weights: weights, options: options)
        return LoadedModel(predict: { try model.predict($0, height: $1, width: $2) }, classes: weights.config.numClasses,
                           description: weights.config.description, fixedSize: nil,
                           macs: { weights.config.macs(height: $0, width: $1) })
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
