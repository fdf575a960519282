import ArgumentParser
import CNXEdge
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Classify images (JPEG/PNG) or preprocessed .npy tensors, or folders of them.",
        discussion: """
            Images go through timm's eval transform (shorter side to size/0.875 with antialiased \
            bicubic, center crop, ImageNet mean/std). A .npy input must be float32 [1, 3, H, W] and \
            is used as is. A folder is searched recursively for .jpg, .jpeg, .png and .npy files, in \
            sorted order. Class names: --labels, else those stored in the .cnx (compile --labels) or \
            in a config.json beside --weights, else ImageNet-1k's for 1000 classes. The time per \
            input and images/s (decoding, preprocessing and inference) go to standard error.
            """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var execution: ExecutionOptionGroup

    @Option(help: "Input size for images, H or HxW, multiples of 32.")
    var size: InputSize = InputSize(height: 224, width: 224)

    @Option(help: "Classes to print per input.")
    var top: Int = 5

    @Flag(help: "Print the results as JSON.")
    var json = false

    @Option(help: "Write the logits of all inputs to this .npy file, float32 [N, classes].")
    var dumpLogits: String?

    @Flag(help: "Decode JPEGs of at least twice the needed size at a reduced DCT scale (faster; no longer Pillow-exact).")
    var fastDecode = false

    @Option(help: "Class names, one per line (or a Hugging Face config.json with id2label); overrides the model's.")
    var labels: String?

    @Argument(help: "JPEG/PNG images, .npy tensors, or folders of them (searched recursively).")
    var inputs: [String]

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        guard !inputs.isEmpty else { throw ValidationError("give at least one INPUT") }
        guard modelOptions.weights != nil || modelOptions.compiled != nil else {
            throw ValidationError("--weights FILE or --compiled MODEL.cnx is required")
        }
    }

    func run() throws {
        try reportingErrors {
            let model: LoadedModel = if let compiled = modelOptions.compiled {
                try .compiled(compiled, execution)
            } else {
                .direct(try modelOptions.loadWeights(), execution)
            }
            // A compiled model runs at the size it was compiled for.
            let size = model.fixedSize ?? size
            let preprocessor = ImagePreprocessor(height: size.height, width: size.width)
            let names: [String]? = if let labels {
                try ClassLabels.read(path: labels, classes: model.classes)
            } else {
                try model.labels ?? modelOptions.labelsBesideWeights().map { names in
                    try Graph.checkLabels(names, classes: model.classes)
                    return names
                }
            }
            let files = try Self.expand(inputs)
            var results: [Classification] = []
            var allLogits: [Float] = []
            let start = DispatchTime.now().uptimeNanoseconds
            for path in files {
                let (tensor, h, w) = try loadInput(path, preprocessor: preprocessor)
                let logits = try model.predict(tensor, h, w)
                allLogits += logits
                results.append(Classification(input: path, logits: logits, top: top, labels: names))
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            FileHandle.standardError.write(Data(String(format: "%d input%@ in %.2f s: %.1f ms each, %.1f images/s (decode, preprocess, inference; %@)\n",
                                                      files.count, files.count == 1 ? "" : "s", seconds, seconds * 1000 / Double(files.count),
                                                      Double(files.count) / seconds, execution.threads == 1 ? "1 thread" : "\(execution.threads) threads").utf8))
            if let dumpLogits {
                let array = NumpyArray(shape: [files.count, model.classes], values: allLogits)
                do { try array.npyData().write(to: URL(fileURLWithPath: dumpLogits)) } catch {
                    throw ValidationError("cannot write \(dumpLogits): \((error as NSError).localizedDescription)")
                }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(results), as: UTF8.self))
            } else {
                for r in results { print(r.text) }
            }
        }
    }

    /// `inputs` with each folder replaced by the .jpg/.jpeg/.png/.npy files under it (recursively, sorted).
    static func expand(_ inputs: [String]) throws -> [String] {
        var files: [String] = []
        for input in inputs {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue else {
                files.append(input)
                continue
            }
            guard let walker = FileManager.default.enumerator(atPath: input) else { throw ValidationError("cannot list folder \(input)") }
            let found = walker.compactMap { $0 as? String }.filter {
                ["jpg", "jpeg", "png", "npy"].contains(URL(fileURLWithPath: $0).pathExtension.lowercased())
            }.sorted()
            guard !found.isEmpty else { throw ValidationError("folder \(input) holds no .jpg, .jpeg, .png or .npy files") }
            files += found.map { URL(fileURLWithPath: input).appendingPathComponent($0).path }
        }
        return files
    }

    /// The network input for `path`: a `.npy` tensor as is, anything else decoded and preprocessed.
    private func loadInput(_ path: String, preprocessor: ImagePreprocessor) throws -> ([Float], Int, Int) {
        let head = (try? FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: 6)) ?? nil
        if let head, head.elementsEqual([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
            let array = try NumpyArray(contentsOf: path)
            guard array.shape.count == 4, array.shape[0] == 1, array.shape[1] == 3 else {
                throw ValidationError("\(path): a .npy input must be float32 [1, 3, H, W], found \(array.shape)")
            }
            return (array.values, array.shape[2], array.shape[3])
        }
        let image = try ImageDecoder.decode(path: path, minimumShortSide: fastDecode ? preprocessor.minimumSourceShortSide : nil)
        return (preprocessor.tensor(from: image), preprocessor.height, preprocessor.width)
    }
}

/// Top-K of one input; `--json` prints it as is.
struct Classification: Encodable {
    struct Entry: Encodable {
        var index: Int
        var synset: String?
        var name: String?
        var probability: Double
        var logit: Float
    }

    var input: String
    var top: [Entry]

    /// `labels`: the model's class names; without them ImageNet-1k's (with synsets) for 1000 classes.
    init(input: String, logits: [Float], top k: Int, labels: [String]? = nil) {
        self.input = input
        // Softmax in Double with the max subtracted, so large logits cannot overflow.
        let maxLogit = Double(logits.max() ?? 0)
        let exps = logits.map { Foundation.exp(Double($0) - maxLogit) }
        let total = exps.reduce(0, +)
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        top = order.prefix(k).map { i in
            if let labels { return Entry(index: i, synset: nil, name: labels[i], probability: exps[i] / total, logit: logits[i]) }
            let cls = logits.count == 1000 ? ImageNetClasses.name(at: i) : nil
            return Entry(index: i, synset: cls?.synset, name: cls?.name, probability: exps[i] / total, logit: logits[i])
        }
    }

    var text: String {
        var lines = [input]
        for (rank, e) in top.enumerated() {
            let label = e.name.map { name in e.synset.map { "\(name) (\($0))" } ?? name } ?? "class \(e.index)"
            let percent = String(format: "%5.1f%%", e.probability * 100)
            let index = String(repeating: " ", count: max(0, 4 - String(e.index).count)) + String(e.index)
            lines.append("  \(rank + 1). \(percent)  \(index)  \(label)  logit \(String(format: "%.4f", e.logit))")
        }
        return lines.joined(separator: "\n")
    }
}
