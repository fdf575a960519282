import ArgumentParser
import CNXEdge
import Foundation

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
    /// The class names in the `config.json` beside `--weights`, if any.
    func labelsBesideWeights() throws -> [String]? {
        guard let weights else { return nil }
        return try ClassLabels.beside(checkpoint: weights)
    }

    func loadWeights() throws -> ConvNeXtV2Weights {
        guard let weights else { throw ValidationError("--weights FILE is required") }
        return try WeightLoader.load(path: weights, expected: model.size)
    }
}

/// A model ready to classify: a `.cnx` file, or weights compiled in memory for each input size.
struct LoadedModel {
    /// Logits for an NCHW input of `height`x`width`.
    let predict: (_ input: [Float], _ height: Int, _ width: Int) throws -> [Float]
    let classes: Int
    let description: String
    /// The compiled input size, which inputs must have; `nil` for any size.
    let fixedSize: InputSize?
    let macs: (_ height: Int, _ width: Int) -> Int
    /// The compiled model that runs inputs of `height`x`width` (compiled on first use for weights).
    let compiledModel: (_ height: Int, _ width: Int) throws -> CompiledModel
    /// The model's own class names: stored in the `.cnx`, or the `config.json` beside a checkpoint.
    var labels: [String]? = nil

    static func compiled(_ path: String, _ execution: ExecutionOptionGroup) throws -> LoadedModel {
        let model = try CompiledModel(contentsOf: path, backend: execution.makeBackend(stored: execution.storedPlacement(beside: path)))
        let g = model.graph
        return LoadedModel(predict: { input, _, _ in try model.predict(input) }, classes: g.classCount,
                           description: "compiled \(path)", fixedSize: InputSize(height: g.inputHeight, width: g.inputWidth),
                           macs: { _, _ in g.macs }, compiledModel: { _, _ in model }, labels: g.labels)
    }

    /// Compiles `weights` the first time each input size is seen, on a fresh backend of the chosen kind.
    static func direct(_ weights: ConvNeXtV2Weights, _ execution: ExecutionOptionGroup) -> LoadedModel {
        let cache = CompiledModelCache()
        let compiled = { (h: Int, w: Int) throws -> CompiledModel in
            try cache.model(h, w) {
                try CompiledModel(graph: Compiler.compile(weights, height: h, width: w), backend: execution.makeBackend())
            }
        }
        return LoadedModel(
            predict: { input, h, w in
                try CompiledModel.validate(height: h, width: w, count: input.count)
                return try compiled(h, w).predict(input)
            },
            classes: weights.config.numClasses, description: weights.config.description, fixedSize: nil,
            macs: { weights.config.macs(height: $0, width: $1) }, compiledModel: compiled)
    }
}

/// Compiled models by input size, for inputs of several sizes in one `run`.
final class CompiledModelCache {
    private var models: [String: CompiledModel] = [:]

    func model(_ h: Int, _ w: Int, make: () throws -> CompiledModel) rethrows -> CompiledModel {
        if let m = models["\(h)x\(w)"] { return m }
        let m = try make()
        models["\(h)x\(w)"] = m
        return m
    }
}

extension BackendChoice: ExpressibleByArgument {
    /// ``storedPlacement(beside:_:)``, its note (a stored placement that does not fit) on stderr.
    func noting(storedPlacementBeside path: String, _ options: ExecutionOptions) -> Placement? {
        let (stored, note) = storedPlacement(beside: path, options)
        if let note { FileHandle.standardError.write(Data("note: \(note); default table used\n".utf8)) }
        return stored
    }

    /// ``validate(isa:)`` as the command-line error ArgumentParser reports with the usage.
    func validateOption(isa: KernelISA?) throws {
        do { try validate(isa: isa) } catch let error as ExecutionError { throw ValidationError("\(error)") }
    }
}

extension KernelISA: ExpressibleByArgument {}

/// How to execute.
struct ExecutionOptionGroup: ParsableArguments {
    @Option(help: "Worker threads (results do not depend on it).")
    var threads: Int = 1

    @Option(help: """
        Execution providers: auto (each op where the placement stored by 'cnx-edge tune' beside the .cnx, \
        else the default table, puts it), native (cnx-edge's C kernels on every op), xnnpack (XNNPACK's \
        operators wherever it has one, native elsewhere), swift (pure Swift, no C library). native and \
        xnnpack need the Native trait.
        """)
    var backend: BackendChoice = .auto

    @Option(help: "The native kernels' instruction set: \(KernelISA.allCases.map(\.rawValue).joined(separator: ", ")) (default: $\(isaVariable), else the best this CPU runs).")
    var isa: KernelISA?

    /// The environment variable that sets `--isa` when it is not given: a convenience of the CLI
    /// only (the library takes ``ExecutionOptions/isa``).
    static let isaVariable = "CNX_EDGE_ISA"

    /// `--isa`, else a valid ``isaVariable``.
    func requestedISA() throws -> KernelISA? {
        if let isa { return isa }
        guard let text = ProcessInfo.processInfo.environment[Self.isaVariable], !text.isEmpty else { return nil }
        guard let isa = KernelISA(rawValue: text.lowercased()) else {
            throw ValidationError("\(Self.isaVariable)=\(text): not one of \(KernelISA.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return isa
    }

    func validate() throws {
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be between 1 and 256") }
        try backend.validateOption(isa: requestedISA())
    }

    var executionOptions: ExecutionOptions { ExecutionOptions(threads: threads, isa: try? requestedISA()) }

    /// With `--backend auto`, the placement `cnx-edge tune` stored beside `.cnx` file `path` for
    /// this ISA and thread count, if any; a stored one that does not fit is reported on stderr.
    func storedPlacement(beside path: String) -> Placement? { backend.noting(storedPlacementBeside: path, executionOptions) }

    /// A new, unprepared backend of the chosen kind; `auto` with `stored`, the placement stored
    /// beside the model, where there is one.
    func makeBackend(stored: Placement? = nil) -> any Backend { backend.makeBackend(executionOptions, stored: stored) }
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
