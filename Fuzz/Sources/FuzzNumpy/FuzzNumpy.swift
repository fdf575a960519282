import CNXEdge
import FuzzSupport

/// `.npy` bytes -> a float array (what `cnx-edge run` reads as a preprocessed input).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    do {
        let array = try NumpyArray(npy: Fuzz.data(start, count))
        precondition(array.values.count == array.shape.reduce(1, *), "\(array.values.count) values for shape \(array.shape)")
    } catch {
        _ = "\(error)"
    }
    return 0
}
