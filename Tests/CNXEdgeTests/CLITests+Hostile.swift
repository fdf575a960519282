import Foundation
import Testing
import CNXEdge
import _CNXEdgeTestSupport
#if canImport(Glibc)
import Glibc
#endif

extension CLITests {
    /// PNG's chunk CRC (CRC-32, reflected, polynomial 0xEDB88320).
    static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// A JPEG and a PNG of a few hundred bytes whose headers declare 16000 x 16000 pixels (within
    /// ImageDecoder's 256-megapixel limit: 768 MB of RGB) and whose data stops after a few bytes.
    static func imageBombs(in dir: URL) throws -> [URL] {
        var jpeg = [UInt8](try ImageFixtures.data("color420.jpg"))
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && (0xC0...0xC2).contains(jpeg[$0 + 1]) })
        for at in [sof + 5, sof + 7] { (jpeg[at], jpeg[at + 1]) = (0x3E, 0x80) }  // 16000
        let sos = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA })
        let jpegURL = dir.appendingPathComponent("bomb.jpg")
        try Data(jpeg[..<(sos + 64)]).write(to: jpegURL)

        // PNG: signature, IHDR (16000 x 16000, 8-bit RGB) with its CRC, then a cut IDAT.
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            let length = UInt32(body.count).bigEndian, crc = crc32(typed).bigEndian
            return withUnsafeBytes(of: length) { Array($0) } + typed + withUnsafeBytes(of: crc) { Array($0) }
        }
        let side = withUnsafeBytes(of: UInt32(16000).bigEndian) { Array($0) }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += chunk("IHDR", side + side + [8, 2, 0, 0, 0])
        png += chunk("IDAT", [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00])
        let pngURL = dir.appendingPathComponent("bomb.png")
        try Data(png).write(to: pngURL)
        return [jpegURL, pngURL]
    }

    /// Minor page faults of the calling thread so far (`RUSAGE_THREAD`): pages it touched first.
    static func threadPageFaults() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(1), &usage)  // RUSAGE_THREAD (a GNU extension Glibc does not export)
        return usage.ru_minflt
    }

    @Test("a few hundred bytes declaring a 16000 x 16000 image: refused as truncated, without touching the 768 MB its header asks for (the JPEG fuzz target's finding)")
    func imageBombs() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = ReferenceFiles.reference("convnextv2_atto.safetensors")
        for bomb in try Self.imageBombs(in: dir) {
            let r = try Self.run(["run", "--model", "atto", "--weights", weights, bomb.path])
            #expect(r.status == 4 && r.stderr.contains("truncated"), "\(bomb.lastPathComponent): \(r.stderr)")
            // The decoder on this thread: zeroing the buffer first (the bug) took 196,608 page
            // faults with 4 KB pages, 384 with 2 MB transparent huge pages; decoding until the
            // data runs out touches a few rows. (Peak memory of `cnx-edge run` here: 779 MB
            // before, 29 MB after; a child's ru_maxrss cannot show it from a test, as Linux
            // carries the parent's peak across exec.)
            let data = try Data(contentsOf: bomb)
            let before = Self.threadPageFaults()
            #expect(throws: ImageError.self) { try ImageDecoder.decode(data, source: bomb.lastPathComponent) }
            let faults = Self.threadPageFaults() - before
            #expect(faults < 100, "\(bomb.lastPathComponent): \(faults) page faults while decoding")
        }
    }
}
