import Foundation

/// Loads a ConvNeXt V2 checkpoint from a file, choosing the reader by the file's content (never its
/// name): safetensors (timm or transformers names, F32/F16/BF16) or a PyTorch zip checkpoint
/// (`torch.save`, e.g. the official `convnextv2_atto_1k_224_ema.pt`).
public enum WeightLoader {
    /// Container formats recognised by ``detectFormat(_:)``.
    public enum Format: String, Sendable {
        case safetensors
        case pytorchZip = "pytorch-zip"
    }

    /// The container format of `data`, judged by its first bytes.
    public static func detectFormat(_ data: Data, path: String = "<memory>") throws -> Format {
        if data.isEmpty { throw WeightLoadingError.emptyFile(path: path) }
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .pytorchZip }
        if SafeTensors.looksLike(data) { return .safetensors }
        if data.starts(with: [0x80]) {
            throw WeightLoadingError.unrecognizedFormat(
                path: path, leadingBytes: "a bare pickle: the legacy (pre-1.6) torch.save format is not supported; re-save it with a current PyTorch")
        }
        let lead = data.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        throw WeightLoadingError.unrecognizedFormat(path: path, leadingBytes: lead)
    }

    /// Reads every tensor of the file at `path` (memory-mapped; tensors share the mapping).
    public static func readArchive(path: String) throws -> TensorArchive {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw WeightLoadingError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
        return try readArchive(data: data, path: path)
    }

    /// Reads every tensor of an in-memory checkpoint.
    public static func readArchive(data: Data, path: String = "<memory>") throws -> TensorArchive {
        switch try detectFormat(data, path: path) {
        case .safetensors: try SafeTensors.parse(data)
        case .pytorchZip: try PyTorchCheckpoint.parse(data)
        }
    }

    /// Loads and validates a model. With `expected` set, the checkpoint must be that size.
    /// - Throws: ``WeightLoadingError``.
    public static func load(path: String, expected: ModelSize? = nil) throws -> ConvNeXtV2Weights {
        try ConvNeXtV2Weights(archive: readArchive(path: path), expected: expected)
    }
}
