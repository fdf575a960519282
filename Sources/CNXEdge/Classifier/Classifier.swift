import Foundation

/// One class of a classification: index, name, softmax probability and logit.
public struct Prediction: Sendable, Equatable {
    /// Index in the logits.
    public var classIndex: Int
    /// The class's name (``Classifier/labels``).
    public var label: String
    /// Softmax probability over all classes.
    public var probability: Float
    /// The raw logit.
    public var logit: Float

    public init(classIndex: Int, label: String, probability: Float, logit: Float) {
        self.classIndex = classIndex
        self.label = label
        self.probability = probability
        self.logit = logit
    }
}

/// A ConvNeXt V2 image classifier ready to run: the one entry point for applications.
///
/// ```swift
/// let classifier = try Classifier(contentsOf: "atto-int8.cnx")
/// for p in try classifier.classify(imageAt: "cat.jpg", top: 3) {
///     print(p.label, p.probability)
/// }
/// ```
///
/// It opens a `.cnx` file (mapped, its weights used in place) or a checkpoint (compiled in memory
/// for ``Options/inputSize``), and runs it on the execution providers ``Options/backend`` chooses
/// (`auto`: the placement `cnx-edge tune` stored beside the `.cnx`, else the per-ISA default table).
///
/// **Threads.** A `Classifier` is safe to use from any number of threads at once. The weights
/// exist once; each concurrent call runs in its own ``ClassifierSession`` (working memory of one
/// inference), borrowed from a pool that grows to the number of simultaneous callers and keeps
/// them for reuse. Results do not depend on which session or how many threads ran them. For full
/// control (a session per camera thread, no allocation per frame) make sessions with
/// ``makeSession()``: each is used by one thread at a time.
public final class Classifier: @unchecked Sendable {
    /// How to open and run a model.
    public struct Options: Sendable {
        /// Which execution providers run the ops.
        public var backend: BackendChoice = .auto
        /// Worker threads per session (per concurrent inference); results do not depend on it.
        public var threads: Int = 1
        /// The native kernels' instruction set; `nil` for the best this CPU runs.
        public var isa: KernelISA? = nil
        /// Input size when compiling a checkpoint (a `.cnx` runs at the size it was compiled for).
        public var inputSize: (height: Int, width: Int) = (224, 224)
        /// Class names overriding the model's (must name every class).
        public var labels: [String]? = nil
        /// How YUV pixel buffers are converted to RGB.
        public var colorSpace: YUVColorSpace = .bt601Limited
        /// Decode JPEG files of at least twice the needed size at a reduced DCT scale (1/2, 1/4,
        /// 1/8): several times faster on camera-sized photos, no longer Pillow-exact (the README
        /// gives the measured difference). Off: timm's exact transform.
        public var fastJPEGDecode = false

        public init(backend: BackendChoice = .auto, threads: Int = 1, isa: KernelISA? = nil,
                    inputSize: (height: Int, width: Int) = (224, 224), labels: [String]? = nil,
                    colorSpace: YUVColorSpace = .bt601Limited, fastJPEGDecode: Bool = false) {
            self.backend = backend
            self.threads = threads
            self.isa = isa
            self.inputSize = inputSize
            self.labels = labels
            self.colorSpace = colorSpace
            self.fastJPEGDecode = fastJPEGDecode
        }
    }

    /// The compiled graph (for a `.cnx`, its constants point into the mapped file).
    public let graph: Graph
    public let options: Options
    /// One name per class: ``Options/labels``, else the model's own (``Graph/labels``), else
    /// ImageNet-1k's for 1000 classes, else `class N`.
    public let labels: [String]
    /// Where the labels came from: `options`, `model`, `imagenet` or `none`.
    public let labelSource: String
    /// The `.cnx` file or checkpoint it was opened from, if any.
    public let path: String?
    /// The placement `cnx-edge tune` stored beside the `.cnx`, used with `backend: .auto`.
    let storedPlacement: Placement?

    private let lock = NSLock()
    private var idle: [ClassifierSession] = []

    /// Input height and width in pixels (the network's; images are resized and cropped to it).
    public var inputHeight: Int { graph.inputHeight }
    public var inputWidth: Int { graph.inputWidth }
    /// Logits per image.
    public var classCount: Int { graph.classCount }
    /// `int8` if any op runs in int8, else `fp32`.
    public var precision: String { graph.precisionName }

    /// Opens a `.cnx` model (recognised by its magic bytes) or a checkpoint (safetensors or an
    /// official PyTorch `.pt`, compiled in memory; labels from a Hugging Face `config.json` beside it).
    /// - Throws: ``ModelFileError``, ``WeightLoadingError``, ``GraphError``, ``ClassLabels/Error``,
    ///   ``ExecutionError`` (an unavailable provider, an op it cannot run).
    public convenience init(contentsOf path: String, options: Options = .init()) throws {
        let handle = FileHandle(forReadingAtPath: path)
        let head = (try? handle?.read(upToCount: 8)) ?? nil ?? Data()
        try? handle?.close()
        if Array(head) == ModelFileFormat.magic {
            try self.init(graph: ModelFile.load(path: path), options: options, path: path)
            return
        }
        if handle == nil {
            throw ModelFileError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "Permission denied" : "No such file or directory")
        }
        let weights = try WeightLoader.load(path: path)
        var graph = try Compiler.compile(weights, height: options.inputSize.height, width: options.inputSize.width)
        graph.labels = try ClassLabels.beside(checkpoint: path).map { names in
            try Graph.checkLabels(names, classes: graph.classCount)
            return names
        }
        try self.init(graph: graph, options: options, path: path)
    }

    /// Runs `graph` (from ``ModelFile/load(path:)`` or ``Compiler/compile(_:height:width:options:observe:)``).
    /// - Throws: as ``init(contentsOf:options:)``.
    public convenience init(graph: Graph, options: Options = .init()) throws {
        try self.init(graph: graph, options: options, path: nil)
    }

    private init(graph: Graph, options: Options, path: String?) throws {
        guard (1...256).contains(options.threads) else {
            throw ExecutionError.providerUnavailable("threads \(options.threads): must be between 1 and 256")
        }
        try options.backend.validate(isa: options.isa)
        try graph.verify()
        if let names = options.labels {
            try Graph.checkLabels(names, classes: graph.classCount)
            (labels, labelSource) = (names, "options")
        } else if let names = graph.labels {
            (labels, labelSource) = (names, "model")
        } else if let names = ClassLabels.defaults(classes: graph.classCount) {
            (labels, labelSource) = (names, "imagenet")
        } else {
            (labels, labelSource) = ((0..<graph.classCount).map { "class \($0)" }, "none")
        }
        self.graph = graph
        self.options = options
        self.path = path
        storedPlacement = path.flatMap { options.backend.storedPlacement(beside: $0, Self.executionOptions(options)).0 }
        // Prepare one session now: errors (an op a provider cannot run) surface at open, not at
        // the first image, and the first inference does not pay for preparation.
        idle.append(try ClassifierSession(self, pooled: true))
    }

    static func executionOptions(_ o: Options) -> ExecutionOptions { ExecutionOptions(threads: o.threads, isa: o.isa) }

    /// A new backend for a session.
    func makeBackend() -> any Backend {
        options.backend.makeBackend(Self.executionOptions(options), stored: storedPlacement)
    }

    /// A new session: working memory for one inference at a time, used by one thread at a time.
    /// - Throws: ``ExecutionError`` if a provider cannot prepare an op.
    public func makeSession() throws -> ClassifierSession { try ClassifierSession(self) }

    /// Runs `body` with a session from the pool (made if none is free), then returns it. The
    /// session belongs to the pool: do not keep it beyond `body`.
    public func withSession<R>(_ body: (ClassifierSession) throws -> R) throws -> R {
        lock.lock()
        let pooled = idle.popLast()
        lock.unlock()
        let session = try pooled ?? ClassifierSession(self, pooled: true)
        defer {
            lock.lock()
            idle.append(session)
            lock.unlock()
        }
        return try body(session)
    }

    /// Sessions made so far and now idle in the pool.
    public var pooledSessions: Int {
        lock.lock()
        defer { lock.unlock() }
        return idle.count
    }

    /// The top `top` classes of an image file (JPEG or PNG), through timm's exact eval transform.
    /// - Throws: ``ImageError`` for an unreadable or corrupt image, ``ExecutionError``.
    public func classify(imageAt path: String, top: Int = 5) throws -> [Prediction] {
        try withSession { try $0.classify(imageAt: path, top: top) }
    }

    /// The top `top` classes of a decoded RGB image, through timm's exact eval transform.
    public func classify(_ image: DecodedImage, top: Int = 5) throws -> [Prediction] {
        try withSession { try $0.classify(image, top: top) }
    }

    /// The top `top` classes of a camera frame, through the fast frame path (``FramePreprocessor``).
    /// - Throws: ``PixelBufferError`` for a bad buffer, ``ExecutionError``.
    public func classify(_ frame: PixelBuffer, top: Int = 5) throws -> [Prediction] {
        try withSession { try $0.classify(frame, top: top) }
    }

    /// The logits of a preprocessed NCHW input (`3 * inputHeight * inputWidth` floats).
    /// - Throws: ``ExecutionError`` for a wrong count or a non-finite value.
    public func logits(for input: [Float]) throws -> [Float] {
        try withSession { try $0.logits(for: input) }
    }
}

extension Graph {
    /// `int8` if any op runs in int8, else `fp32`.
    public var precisionName: String { ops.contains { $0.precision == .int8 } ? "int8" : "fp32" }
}
