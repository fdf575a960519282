/// One ImageNet-1k class.
public struct ImageNetClass: Equatable, Sendable {
    /// Index in the 1000-way classifier.
    public var index: Int
    /// WordNet synset id, e.g. `n01440764`.
    public var synset: String
    /// Human-readable name, e.g. `tench`.
    public var name: String
}

/// The ImageNet-1k class table (index → synset and name) that timm classifiers use, compiled in.
public enum ImageNetClasses {
    /// All 1000 classes in index order.
    public static let all: [ImageNetClass] = tsv.split(separator: "\n").enumerated().map { i, line in
        let parts = line.split(separator: "\t", maxSplits: 1)
        return ImageNetClass(index: i, synset: String(parts[0]), name: String(parts[1]))
    }

    private static let bySynset: [String: Int] = Dictionary(uniqueKeysWithValues: all.map { ($0.synset, $0.index) })

    /// The class at `index`, or nil outside `0..<1000` (a checkpoint with another head).
    public static func name(at index: Int) -> ImageNetClass? {
        all.indices.contains(index) ? all[index] : nil
    }

    /// The index of a synset id (`n01440764` → 0), or nil if it is not an ImageNet-1k class.
    public static func index(ofSynset synset: String) -> Int? {
        bySynset[synset]
    }

    /// The label of an image file named after its synset (`n01440764_tench.JPEG` → 0), as in
    /// `../shared/images`; nil if the name does not start with a known synset.
    public static func label(forFileName fileName: String) -> Int? {
        let stem = fileName.split(separator: "/").last.map(String.init) ?? fileName
        let synset = stem.prefix { $0 != "_" && $0 != "." }
        return index(ofSynset: String(synset))
    }
}
