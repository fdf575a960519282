import CNXEdge
import FuzzSupport

/// `.cnx` bytes -> decoded with the checksum skipped (so mutations reach the tables) -> planned
/// and prepared on every provider -> one inference. A file that decodes must run without a crash,
/// whatever its tables say.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let file = MappedFile(copying: UnsafeRawBufferPointer(start: start, count: count), name: "fuzz.cnx")
    do {
        Fuzz.runEverywhere(try ModelFile.decode(file, checksum: .skip))
    } catch {
        _ = "\(error)"
    }
    return 0
}
