import Foundation

/// The working memory of one inference at a time on a ``Classifier``'s model: the arena of
/// activations, a prepared backend, the input tensor and the frame preprocessor's scratch.
///
/// **Threads.** One thread at a time (it may move between threads); make one per thread that
/// runs inferences, or let ``Classifier``'s own methods borrow one from its pool. Sessions of one
/// classifier share its weights and run in parallel.
///
/// **Allocation.** After the first frame of a given size and format,
/// ``classify(_:into:)`` and ``logits(_:into:)`` allocate nothing.
public final class ClassifierSession {
    /// The classifier whose model this session runs.
    public unowned let classifier: Classifier
    /// Keeps ``classifier`` alive for a session made with ``Classifier/makeSession()``; `nil` for
    /// the classifier's own pooled sessions, which it holds (a strong reference back would be a
    /// cycle, and no classifier would ever be freed).
    private let owner: Classifier?
    let model: CompiledModel
    /// The exact eval transform for files and decoded images.
    public let preprocessor: ImagePreprocessor
    /// The fast path for camera frames.
    public let frames: FramePreprocessor
    private let input: UnsafeMutableBufferPointer<Float>
    private let logits: UnsafeMutableBufferPointer<Float>

    init(_ classifier: Classifier, pooled: Bool = false) throws {
        self.classifier = classifier
        owner = pooled ? nil : classifier
        model = try CompiledModel(graph: classifier.graph, backend: classifier.makeBackend())
        preprocessor = ImagePreprocessor(height: classifier.inputHeight, width: classifier.inputWidth)
        frames = FramePreprocessor(preprocessor, colorSpace: classifier.options.colorSpace)
        input = .allocate(capacity: preprocessor.tensorCount)
        input.initialize(repeating: 0)
        logits = .allocate(capacity: classifier.classCount)
        logits.initialize(repeating: 0)
    }

    deinit {
        input.deallocate()
        logits.deallocate()
    }

    /// The name of the backend running the ops (e.g. `placed(native)`).
    public var backendName: String { model.backend.name }

    /// Writes the logits of a preprocessed NCHW input into `logits` (``Classifier/classCount``
    /// floats), allocating nothing.
    /// - Throws: ``ExecutionError`` for a wrong count or a non-finite value.
    public func logits(_ input: UnsafeBufferPointer<Float>, into logits: UnsafeMutableBufferPointer<Float>) throws {
        try model.predict(input, into: logits)
    }

    /// The logits of a preprocessed NCHW input.
    public func logits(for input: [Float]) throws -> [Float] {
        var out = [Float](repeating: 0, count: classifier.classCount)
        try input.withUnsafeBufferPointer { i in try out.withUnsafeMutableBufferPointer { try model.predict(i, into: $0) } }
        return out
    }

    /// The network input for `frame` through the fast path, as a new array (for inspection).
    public func tensor(from frame: PixelBuffer) throws -> [Float] { try frames.tensor(from: frame) }

    /// Classifies `frame` into `out` (the top `out.count` classes, best first), allocating nothing
    /// once a frame of this size and format has been seen; returns how many were written
    /// (`min(out.count, classCount)`).
    /// - Throws: ``PixelBufferError``, ``ExecutionError``.
    @discardableResult
    public func classify(_ frame: PixelBuffer, into out: UnsafeMutableBufferPointer<Prediction>) throws -> Int {
        try frames.writeTensor(from: frame, into: input)
        return try runAndRank(into: out)
    }

    /// The top `top` classes of `frame` (fast frame path).
    public func classify(_ frame: PixelBuffer, top: Int = 5) throws -> [Prediction] {
        try frames.writeTensor(from: frame, into: input)
        return try ranked(top)
    }

    /// The top `top` classes of a decoded RGB image (exact eval transform).
    public func classify(_ image: DecodedImage, top: Int = 5) throws -> [Prediction] {
        preprocessor.writeTensor(from: image, into: input)
        return try ranked(top)
    }

    /// The top `top` classes of an image file (JPEG or PNG; exact eval transform, after a
    /// reduced-scale JPEG decode with ``Classifier/Options/fastJPEGDecode``).
    /// - Throws: ``ImageError``, ``ExecutionError``.
    public func classify(imageAt path: String, top: Int = 5) throws -> [Prediction] {
        try classify(decode(path), top: top)
    }

    /// `path` decoded as the classifier's options say.
    public func decode(_ path: String) throws -> DecodedImage {
        try ImageDecoder.decode(path: path, minimumShortSide: classifier.options.fastJPEGDecode ? preprocessor.minimumSourceShortSide : nil)
    }

    private func ranked(_ top: Int) throws -> [Prediction] {
        let k = max(0, min(top, classifier.classCount))
        return try [Prediction](unsafeUninitializedCapacity: k) { buffer, count in
            buffer.initialize(repeating: Prediction(classIndex: 0, label: "", probability: 0, logit: 0))
            count = k
            _ = try runAndRank(into: buffer)
        }
    }

    /// Runs the model on `input` and writes the best `out.count` classes.
    private func runAndRank(into out: UnsafeMutableBufferPointer<Prediction>) throws -> Int {
        try model.predict(UnsafeBufferPointer(input), into: logits)
        return Self.rank(UnsafeBufferPointer(logits), labels: classifier.labels, into: out)
    }

    /// The best `out.count` classes of `logits` with softmax probabilities (in Double, the maximum
    /// subtracted), ties to the lower index; returns how many were written.
    static func rank(_ logits: UnsafeBufferPointer<Float>, labels: [String], into out: UnsafeMutableBufferPointer<Prediction>) -> Int {
        let k = min(out.count, logits.count)
        guard k > 0 else { return 0 }
        var maxLogit = -Float.infinity
        for v in logits where v > maxLogit { maxLogit = v }
        var total = 0.0
        for v in logits { total += exp(Double(v) - Double(maxLogit)) }
        var filled = 0
        for (i, v) in logits.enumerated() {
            // Insertion into the sorted prefix out[0..<filled] (k is small).
            guard filled < k || v > out[k - 1].logit else { continue }
            var j = min(filled, k - 1)
            while j > 0 && out[j - 1].logit < v {
                out[j] = out[j - 1]
                j -= 1
            }
            out[j] = Prediction(classIndex: i, label: labels[i], probability: Float(exp(Double(v) - Double(maxLogit)) / total), logit: v)
            filled = min(filled + 1, k)
        }
        return k
    }
}
