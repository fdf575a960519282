import Foundation
import Testing
import _CNXEdgeTestSupport
@testable import CNXEdge

/// ``CalibrationSet``: flat and ImageFolder layouts built in a temporary directory from
/// `../shared/images`, labels, sorting and limits, errors, and the default set's manifest.
@Suite("Calibration: sample sets")
struct CalibrationSetTests {
    static let images = ReferenceFiles.shared.appendingPathComponent("images")

    /// A fresh empty temporary directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cnx-calibration-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func copy(_ name: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: images.appendingPathComponent(name), to: url)
    }

    @Test("flat folder: images sorted by path with labels from the file names; other files ignored")
    func flat() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.copy("n02391049_zebra.JPEG", to: dir.appendingPathComponent("n02391049_zebra.JPEG"))
        try Self.copy("n01440764_tench.JPEG", to: dir.appendingPathComponent("n01440764_tench.jpg"))
        try Self.copy("n01530575_brambling.JPEG", to: dir.appendingPathComponent("n01530575_brambling.JpEg"))
        try Self.copy("n01440764_tench.JPEG", to: dir.appendingPathComponent("holiday.png"))
        try Data("not an image".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        try Data("x".utf8).write(to: dir.appendingPathComponent("README"))
        try Data("x".utf8).write(to: dir.appendingPathComponent(".hidden.jpg"))

        let set = try CalibrationSet(directory: dir)
        #expect(set.layout == .flat)
        #expect(set.items.map(\.relativePath)
                    == ["holiday.png", "n01440764_tench.jpg", "n01530575_brambling.JpEg", "n02391049_zebra.JPEG"])
        #expect(set.items.map(\.label) == [nil, 0, 10, 340])
        #expect(ImageNetClasses.all[340].name == "zebra")

        let limited = try CalibrationSet(path: dir.path, limit: 2)
        #expect(limited.items.map(\.relativePath) == ["holiday.png", "n01440764_tench.jpg"])
        #expect(try CalibrationSet(directory: dir, limit: 10).items.count == 4)

        var seen: [Int] = []
        try limited.forEachInput(height: 224, width: 224) { index, input in
            seen.append(index)
            #expect(input.count == 3 * 224 * 224 && input.allSatisfy(\.isFinite))
        }
        #expect(seen == [0, 1])
    }

    @Test("ImageFolder: labels from synset subfolders, else from file names")
    func imageFolder() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.copy("n02391049_zebra.JPEG", to: dir.appendingPathComponent("n02391049/img_0002.JPEG"))
        try Self.copy("n02391049_zebra.JPEG", to: dir.appendingPathComponent("n02391049/img_0001.jpeg"))
        try Self.copy("n01440764_tench.JPEG", to: dir.appendingPathComponent("n01440764/a.jpg"))
        try Self.copy("n01530575_brambling.JPEG", to: dir.appendingPathComponent("misc/n01530575_b.jpg"))
        try Data("x".utf8).write(to: dir.appendingPathComponent("n01440764/labels.csv"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("n01440764/nested"), withIntermediateDirectories: true)
        try Self.copy("n01440764_tench.JPEG", to: dir.appendingPathComponent("n01440764/nested/deep.jpg"))

        let set = try CalibrationSet(directory: dir)
        #expect(set.layout == .imageFolder)
        #expect(set.items.map(\.relativePath)
                    == ["misc/n01530575_b.jpg", "n01440764/a.jpg", "n02391049/img_0001.jpeg", "n02391049/img_0002.JPEG"])
        #expect(set.items.map(\.label) == [10, 0, 340, 340])
        #expect(try CalibrationSet(directory: dir, limit: 1).items.map(\.label) == [10])
    }

    @Test("missing, empty, file-not-folder and image-less folders, and a bad limit, are typed errors")
    func folderErrors() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("nope")
        #expect(throws: CalibrationError.missingDirectory(path: missing.path)) { try CalibrationSet(directory: missing) }
        #expect(throws: CalibrationError.noImages(path: dir.path)) { try CalibrationSet(directory: dir) }
        try Data("x".utf8).write(to: dir.appendingPathComponent("a.txt"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("n01440764"), withIntermediateDirectories: true)
        #expect(throws: CalibrationError.noImages(path: dir.path)) { try CalibrationSet(directory: dir) }
        let file = dir.appendingPathComponent("a.txt")
        #expect(throws: CalibrationError.notADirectory(path: file.path)) { try CalibrationSet(directory: file) }
        try Self.copy("n01440764_tench.JPEG", to: dir.appendingPathComponent("t.jpg"))
        #expect(throws: CalibrationError.invalidLimit(0)) { try CalibrationSet(directory: dir, limit: 0) }
    }

    @Test("a corrupt image surfaces as an ImageError naming the file")
    func corruptImage() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.copy("n01440764_tench.JPEG", to: dir.appendingPathComponent("a.jpg"))
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0]
        bytes += [UInt8](repeating: 0x5A, count: 300)
        try Data(bytes).write(to: dir.appendingPathComponent("b_corrupt.jpg"))
        let set = try CalibrationSet(directory: dir)
        var decoded = 0
        do {
            try set.forEachInput { _, _ in decoded += 1 }
            Issue.record("no error for the corrupt image")
        } catch let error as ImageError {
            #expect(error.description.contains("b_corrupt.jpg"), "\(error)")
        }
        #expect(decoded == 1)
    }

    @Test("the default set is found from anywhere, verifies its manifest, and labels match it")
    func defaultSet() throws {
        let set = try CalibrationSet.defaultSet(environment: [:], currentDirectory: "/nonexistent")
        let manifest = try CalibrationSet.readManifest(in: set.directory)
        #expect(set.items.count == 32 && manifest.images.count == 32)
        #expect(set.items.map(\.relativePath) == manifest.images.map(\.file))
        #expect(set.items.map(\.label) == manifest.images.map(\.index))
        #expect(set.items.first?.relativePath == "n01440764_tench.JPEG" && set.items.first?.label == 0)
        let expected = try FileManager.default.contentsOfDirectory(atPath: Self.images.path).sorted().prefix(32)
        #expect(Array(expected) == manifest.images.map(\.file))
        let fromRoot = try CalibrationSet.defaultSetDirectory(environment: [:], currentDirectory: ReferenceFiles.repositoryRoot.path)
        #expect(fromRoot.standardizedFileURL.path == set.directory.standardizedFileURL.path)
        #expect(try CalibrationSet.defaultSet(limit: 5, environment: [:]).items.count == 5)
    }

    @Test("a tampered copy of the default set fails verification")
    func tampered() throws {
        let source = try CalibrationSet.defaultSetDirectory(environment: [:])
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let copy = dir.appendingPathComponent("default")
        try FileManager.default.copyItem(at: source, to: copy)
        let environment = [CalibrationSet.environmentVariable: copy.path]
        #expect(try CalibrationSet.defaultSet(environment: environment).items.count == 32)

        let victim = copy.appendingPathComponent("n01530575_brambling.JPEG")
        var data = try Data(contentsOf: victim)
        data[data.count / 2] ^= 0x01
        try data.write(to: victim)
        do {
            _ = try CalibrationSet.defaultSet(environment: environment)
            Issue.record("tampered file accepted")
        } catch let CalibrationError.hashMismatch(path, _, _) {
            #expect(path == victim.path)
        }

        try FileManager.default.removeItem(at: victim)
        #expect(throws: CalibrationError.missingFile(path: victim.path)) {
            try CalibrationSet.defaultSet(environment: environment)
        }
        try Self.copy("n01530575_brambling.JPEG", to: copy.appendingPathComponent("n01530575_brambling.JPEG"))
        try Self.copy("n02391049_zebra.JPEG", to: copy.appendingPathComponent("n02391049_zebra.JPEG"))
        #expect(throws: CalibrationError.self) { try CalibrationSet.defaultSet(environment: environment) }  // unlisted image

        let nowhere = dir.appendingPathComponent("nowhere").path
        #expect(throws: CalibrationError.defaultSetNotFound(searched: [nowhere])) {
            try CalibrationSet.defaultSet(environment: [CalibrationSet.environmentVariable: nowhere])
        }
    }

    @Test("SHA-256 known answers")
    func sha256() {
        #expect(SHA256.hexDigest([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256.hexDigest(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
