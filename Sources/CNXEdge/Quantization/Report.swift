import Foundation

/// What `cnx-edge report` measures: int8 against fp32 for several calibration methods on one
/// evaluation set, written as `report.json` (this struct, JSON-encoded).
public struct QuantizationReport: Codable, Sendable, Equatable {
    /// A folder of images and how many were used.
    public struct ImageSet: Codable, Sendable, Equatable {
        public var directory: String
        public var count: Int
        /// Images whose ImageNet label is known (synset file name or ImageFolder subfolder).
        public var labeled: Int
        public init(directory: String, count: Int, labeled: Int) {
            self.directory = directory; self.count = count; self.labeled = labeled
        }
    }

    /// Top-1 and top-5 accuracy, fractions in [0, 1], over the labeled images.
    public struct Accuracy: Codable, Sendable, Equatable {
        public var top1: Double
        public var top5: Double
        public init(top1: Double, top5: Double) { self.top1 = top1; self.top5 = top5 }
    }

    /// Median, minimum and mean of a per-image quantity.
    public struct Summary: Codable, Sendable, Equatable {
        public var median: Double
        public var min: Double
        public var mean: Double
        public init(_ values: [Double]) {
            let s = values.sorted()
            median = s.isEmpty ? .nan : s[s.count / 2]
            min = s.first ?? .nan
            mean = s.isEmpty ? .nan : s.reduce(0, +) / Double(s.count)
        }
    }

    /// A block or downsample left in float32 and its measured gain.
    public struct FloatOp: Codable, Sendable, Equatable {
        public var op: Int
        public var kind: String
        public var tensor: String
        /// Median logits SQNR gain on the probe images when this op alone is left float, in dB.
        public var gainDecibels: Double
        public init(op: Int, kind: String, tensor: String, gainDecibels: Double) {
            self.op = op; self.kind = kind; self.tensor = tensor; self.gainDecibels = gainDecibels
        }
    }

    /// One op's output SQNR (``OpSQNR``); `decibels` is null where the int8 model's output equals
    /// the fp32 one exactly (no noise: infinite SQNR).
    public struct OpEntry: Codable, Sendable, Equatable {
        public var op: Int
        public var kind: String
        public var tensor: String
        public var int8: Bool
        public var decibels: Double?
        /// `decibels`: nil or non-finite for an exact output.
        public init(op: Int, kind: String, tensor: String, int8: Bool, decibels: Double?) {
            self.op = op; self.kind = kind; self.tensor = tensor; self.int8 = int8
            self.decibels = decibels.flatMap { $0.isFinite ? $0 : nil }
        }
        public init(_ s: OpSQNR) {
            op = s.op; kind = s.kind; tensor = s.tensor; int8 = s.int8
            decibels = s.decibels.isFinite ? s.decibels : nil
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(op, forKey: .op); try c.encode(kind, forKey: .kind); try c.encode(tensor, forKey: .tensor)
            try c.encode(int8, forKey: .int8); try c.encode(decibels, forKey: .decibels)
        }
    }

    /// Median single-image latency.
    public struct Latency: Codable, Sendable, Equatable {
        public var backend: String
        public var threads: Int
        public var runs: Int
        public var warmup: Int
        public var fp32P50Ms: Double
        /// The default method's int8 model.
        public var int8P50Ms: Double
        public init(backend: String, threads: Int, runs: Int, warmup: Int, fp32P50Ms: Double, int8P50Ms: Double) {
            self.backend = backend; self.threads = threads; self.runs = runs; self.warmup = warmup
            self.fp32P50Ms = fp32P50Ms; self.int8P50Ms = int8P50Ms
        }
    }

    /// An eval image whose int8 top-1 class differs from fp32's.
    public struct Disagreement: Codable, Sendable, Equatable {
        /// The image's file name (relative to the eval folder).
        public var image: String
        /// Its ImageNet label, when known.
        public var label: Int?
        public var fp32Class: Int
        public var int8Class: Int
        /// fp32's top-1 logit minus its top-2 logit: how close the fp32 call already was.
        public var fp32Margin: Double
        /// int8's logit of ``int8Class`` minus its logit of ``fp32Class`` (positive: the flip's size).
        public var int8Margin: Double
        public init(image: String, label: Int?, fp32Class: Int, int8Class: Int, fp32Margin: Double, int8Margin: Double) {
            self.image = image; self.label = label; self.fp32Class = fp32Class; self.int8Class = int8Class
            self.fp32Margin = fp32Margin; self.int8Margin = int8Margin
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(image, forKey: .image); try c.encode(label, forKey: .label)
            try c.encode(fp32Class, forKey: .fp32Class); try c.encode(int8Class, forKey: .int8Class)
            try c.encode(fp32Margin, forKey: .fp32Margin); try c.encode(int8Margin, forKey: .int8Margin)
        }
    }

    /// One calibration method's int8 model against fp32.
    public struct Method: Codable, Sendable, Equatable {
        /// As `--method` spells it (`minmax`, `percentile:99.99`, ...).
        public var method: String
        /// Fraction of eval images whose int8 top-1 class is fp32's.
        public var top1Agreement: Double
        /// Mean over eval images of |top-5 fp32 ∩ top-5 int8| / 5.
        public var top5Overlap: Double
        /// Logits SQNR per eval image, dB.
        public var logitsSQNR: Summary
        /// Cosine similarity of the logits per eval image.
        public var cosine: Summary
        /// fp32's accuracy (null without labels); the same for every method.
        public var fp32Accuracy: Accuracy?
        /// int8's accuracy (null without labels).
        public var int8Accuracy: Accuracy?
        public var floatOps: [FloatOp]
        /// Per-op SQNR over the first ``perOpImages`` eval images, one entry per op of the int8
        /// graph, numbered as in the fp32 graph (a GRN folded into its 1x1 has no entry).
        public var perOpSQNR: [OpEntry]
        public var perOpImages: Int
        /// The int8 .cnx file's size in bytes.
        public var int8Bytes: Int
        /// Median latency of this int8 model (backend and threads as ``QuantizationReport/latency``).
        public var int8P50Ms: Double
        /// Every eval image whose top-1 class int8 changed, in eval order.
        public var disagreements: [Disagreement]
        public init(method: String, top1Agreement: Double, top5Overlap: Double, logitsSQNR: Summary, cosine: Summary,
                    fp32Accuracy: Accuracy?, int8Accuracy: Accuracy?, floatOps: [FloatOp], perOpSQNR: [OpEntry],
                    perOpImages: Int, int8Bytes: Int, int8P50Ms: Double, disagreements: [Disagreement] = []) {
            self.disagreements = disagreements
            self.method = method; self.top1Agreement = top1Agreement; self.top5Overlap = top5Overlap
            self.logitsSQNR = logitsSQNR; self.cosine = cosine; self.fp32Accuracy = fp32Accuracy
            self.int8Accuracy = int8Accuracy; self.floatOps = floatOps; self.perOpSQNR = perOpSQNR
            self.perOpImages = perOpImages; self.int8Bytes = int8Bytes; self.int8P50Ms = int8P50Ms
        }
        /// As synthesized, but unknown accuracies are written as `null`, not left out.
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(method, forKey: .method); try c.encode(top1Agreement, forKey: .top1Agreement)
            try c.encode(top5Overlap, forKey: .top5Overlap); try c.encode(logitsSQNR, forKey: .logitsSQNR)
            try c.encode(cosine, forKey: .cosine); try c.encode(fp32Accuracy, forKey: .fp32Accuracy)
            try c.encode(int8Accuracy, forKey: .int8Accuracy); try c.encode(floatOps, forKey: .floatOps)
            try c.encode(perOpSQNR, forKey: .perOpSQNR); try c.encode(perOpImages, forKey: .perOpImages)
            try c.encode(int8Bytes, forKey: .int8Bytes); try c.encode(int8P50Ms, forKey: .int8P50Ms)
            try c.encode(disagreements, forKey: .disagreements)
        }
    }

    /// The network (`atto`, ...).
    public var model: String
    /// The checkpoint; null for synthetic weights.
    public var weights: String?
    /// `HxW`.
    public var inputSize: String
    public var calibration: ImageSet
    public var eval: ImageSet
    /// The method the markdown's per-op table and `per-op-sqnr.svg` show.
    public var defaultMethod: String
    /// The fp32 .cnx file's size in bytes.
    public var fp32Bytes: Int
    public var latency: Latency
    public var methods: [Method]

    public init(model: String, weights: String?, inputSize: String, calibration: ImageSet, eval: ImageSet,
                defaultMethod: String, fp32Bytes: Int, latency: Latency, methods: [Method]) {
        self.model = model; self.weights = weights; self.inputSize = inputSize; self.calibration = calibration
        self.eval = eval; self.defaultMethod = defaultMethod; self.fp32Bytes = fp32Bytes; self.latency = latency
        self.methods = methods
    }

    /// As synthesized, but synthetic weights are written as `"weights": null`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model); try c.encode(weights, forKey: .weights); try c.encode(inputSize, forKey: .inputSize)
        try c.encode(calibration, forKey: .calibration); try c.encode(eval, forKey: .eval)
        try c.encode(defaultMethod, forKey: .defaultMethod); try c.encode(fp32Bytes, forKey: .fp32Bytes)
        try c.encode(latency, forKey: .latency); try c.encode(methods, forKey: .methods)
    }

    /// The entry of ``defaultMethod``.
    public var defaultEntry: Method? { methods.first { $0.method == defaultMethod } ?? methods.first }

    /// The JSON encoder `report.json` is written with (non-finite numbers as strings).
    public static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }

    /// A decoder for `report.json`.
    public static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }
}

/// Per-image comparisons of two logit vectors, accumulated over an evaluation set.
public struct LogitsComparison: Sendable {
    public private(set) var images = 0
    public private(set) var agreeing = 0
    public private(set) var overlap = 0
    public private(set) var sqnr: [Double] = []
    public private(set) var cosine: [Double] = []
    public private(set) var labeled = 0
    public private(set) var referenceTop1 = 0, referenceTop5 = 0, testTop1 = 0, testTop5 = 0
    public private(set) var disagreements: [QuantizationReport.Disagreement] = []

    public init() {}

    /// The indices of the `k` largest values, largest first.
    public static func top(_ k: Int, _ x: [Float]) -> [Int] {
        Array(x.indices.sorted { x[$0] > x[$1] || (x[$0] == x[$1] && $0 < $1) }.prefix(k))
    }

    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices {
            let x = Double(a[i]), y = Double(b[i])
            ab += x * y; aa += x * x; bb += y * y
        }
        return aa > 0 && bb > 0 ? ab / (aa.squareRoot() * bb.squareRoot()) : (aa == bb ? 1 : 0)
    }

    /// Adds one image: fp32 logits `reference`, int8 logits `test`, its label if known; `image`
    /// names it in ``disagreements``.
    public mutating func add(reference: [Float], test: [Float], label: Int?, image: String? = nil) {
        let r = Self.top(5, reference), t = Self.top(5, test)
        images += 1
        if r.first == t.first {
            agreeing += 1
        } else if let a = r.first, let b = t.first {
            let second = r.count > 1 ? Double(reference[r[1]]) : Double(reference[a])
            disagreements.append(.init(image: image ?? "#\(images - 1)", label: label, fp32Class: a, int8Class: b,
                                       fp32Margin: Double(reference[a]) - second,
                                       int8Margin: Double(test[b]) - Double(test[a])))
        }
        overlap += Set(r).intersection(t).count
        sqnr.append(QuantizationAnalysis.sqnr(reference, test))
        cosine.append(Self.cosine(reference, test))
        if let label {
            labeled += 1
            if r.first == label { referenceTop1 += 1 }
            if r.contains(label) { referenceTop5 += 1 }
            if t.first == label { testTop1 += 1 }
            if t.contains(label) { testTop5 += 1 }
        }
    }

    public var agreement: Double { images > 0 ? Double(agreeing) / Double(images) : .nan }
    public var top5Overlap: Double { images > 0 ? Double(overlap) / Double(5 * images) : .nan }
    public var referenceAccuracy: QuantizationReport.Accuracy? {
        labeled > 0 ? .init(top1: Double(referenceTop1) / Double(labeled), top5: Double(referenceTop5) / Double(labeled)) : nil
    }
    public var testAccuracy: QuantizationReport.Accuracy? {
        labeled > 0 ? .init(top1: Double(testTop1) / Double(labeled), top5: Double(testTop5) / Double(labeled)) : nil
    }
}
