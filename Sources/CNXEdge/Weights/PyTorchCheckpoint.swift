import Foundation

/// Reader for PyTorch zip checkpoints (`torch.save` since 1.6). PLACEHOLDER: being written.
public enum PyTorchCheckpoint {
    public static func parse(_ data: Data) throws -> TensorArchive {
        throw WeightLoadingError.unrecognizedFormat(path: "<pt>", leadingBytes: "not yet supported")
    }
}
