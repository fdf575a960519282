import CNXEdge
import FuzzSupport

/// safetensors bytes -> tensors -> ConvNeXt V2 weights -> compiled at 32x32 -> one inference on
/// every provider.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.checkpoint(start, count, parse: SafeTensors.parse)
    return 0
}
