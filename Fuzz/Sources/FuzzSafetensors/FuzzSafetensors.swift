import CNXEdge
import FuzzSupport

/// safetensors bytes -> tensors -> ConvNeXt V2 weights -> compiled at 32x32 -> one inference on
/// every provider.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    do {
        let weights = try ConvNeXtV2Weights(archive: SafeTensors.parse(Fuzz.data(start, count)))
        Fuzz.compileAndRun(weights)
    } catch {
        _ = "\(error)"
    }
    return 0
}
