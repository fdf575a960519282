import CNXEdge
import FuzzSupport

/// PyTorch zip checkpoint bytes (zip directory, pickle, storages) -> tensors -> ConvNeXt V2
/// weights -> compiled at 32x32 -> one inference on every provider.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.checkpoint(start, count, parse: PyTorchCheckpoint.parse)
    return 0
}
