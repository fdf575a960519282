import CNXEdge
import FuzzSupport

/// PNG bytes -> the project's decoder -> timm's preprocessing at 64x64 and the camera-frame path
/// on the decoded pixels.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    Fuzz.decodeAndPreprocess(start, count, source: "fuzz.png")
    return 0
}
