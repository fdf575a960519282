import CNXEdge
import Foundation
import Testing

@Suite("NumpyArray .npy reading and writing")
struct NumpyArrayTests {
    @Test("round trip keeps shape and bits; the header is 64-byte aligned")
    func roundTrip() throws {
        let a = NumpyArray(shape: [2, 3], values: [1, -2.5, .pi, 0, -0.0, 1e-30])
        let data = a.npyData()
        #expect((data.count - 24) % 64 == 0 && data.count == 128 + 24)
        let b = try NumpyArray(npy: data)
        #expect(b.shape == a.shape)
        #expect(b.values.map(\.bitPattern) == a.values.map(\.bitPattern))
        let scalarShape = NumpyArray(shape: [4], values: [1, 2, 3, 4])
        #expect(try NumpyArray(npy: scalarShape.npyData()).shape == [4])
    }

    /// Builds a v1.0 .npy by hand, as NumPy writes it.
    static func npy(_ header: String, payload: [UInt8]) -> Data {
        var h = header
        while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
        h += "\n"
        return Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.utf8.count & 0xFF), UInt8(h.utf8.count >> 8)] + Array(h.utf8) + payload)
    }

    @Test("float16 and float64 arrays are widened / narrowed to Float")
    func otherFloatTypes() throws {
        let f2 = try NumpyArray(npy: Self.npy("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", payload: [0x00, 0x3C, 0x00, 0xC0]))
        #expect(f2.values == [1, -2])
        let f8 = try NumpyArray(npy: Self.npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", payload: [0, 0, 0, 0, 0, 0, 0xF8, 0x3F]))
        #expect(f8.values == [1.5] && f8.shape == [1, 1])
    }

    @Test("bad files get typed errors")
    func errors() {
        #expect(throws: NumpyFormatError.notNpy(path: "<memory>")) { try NumpyArray(npy: Data("not numpy".utf8)) }
        #expect(throws: NumpyFormatError.unsupportedDType(path: "<memory>", descr: "<i8")) {
            try NumpyArray(npy: Self.npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", payload: Array(repeating: 0, count: 8)))
        }
        #expect(throws: NumpyFormatError.fortranOrder(path: "<memory>")) {
            try NumpyArray(npy: Self.npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", payload: [0, 0, 0, 0]))
        }
        #expect(throws: NumpyFormatError.truncated(path: "<memory>", needed: 128 + 16, available: 128 + 8)) {
            try NumpyArray(npy: Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", payload: Array(repeating: 0, count: 8)))
        }
        #expect(throws: NumpyFormatError.self) {
            try NumpyArray(npy: Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 2), }", payload: []))
        }
        #expect(throws: NumpyFormatError.self) {
            try NumpyArray(npy: Self.npy("{'descr': '<f4', 'fortran_order': False, }", payload: []))
        }
    }
}

@Suite("Small library pieces")
struct LibraryPieceTests {
    @Test("class table: 1000 entries, synset lookups, file-name labels")
    func classes() {
        #expect(ImageNetClasses.all.count == 1000)
        #expect(ImageNetClasses.all[0].synset == "n01440764" && ImageNetClasses.all[0].name == "tench")
        #expect(ImageNetClasses.all[999].name == "toilet tissue")
        #expect(ImageNetClasses.label(forFileName: "/x/n02391049_zebra.JPEG") == ImageNetClasses.index(ofSynset: "n02391049"))
        #expect(ImageNetClasses.label(forFileName: "holiday.jpg") == nil)
        #expect(ImageNetClasses.name(at: 1000) == nil)
    }

    @Test("latency statistics use nearest-rank percentiles")
    func latency() {
        let s = LatencyStatistics(samples: (1...100).map(Double.init).reversed())
        #expect(s.min == 1 && s.max == 100 && s.p50 == 50 && s.p90 == 90 && s.p99 == 99 && s.mean == 50.5)
        #expect(LatencyStatistics(samples: [3]).p99 == 3)
    }

    @Test("synthetic weights are deterministic and MAC counts match the published 0.55 GMAC")
    func synthetic() {
        let a = ConvNeXtV2Weights.synthetic(config: ModelConfig(.atto)), b = ConvNeXtV2Weights.synthetic(config: ModelConfig(.atto))
        #expect(a.stemWeight == b.stemWeight && a.headBias == b.headBias)
        #expect(ConvNeXtV2Weights.synthetic(config: ModelConfig(.atto), seed: 1).stemWeight != a.stemWeight)
        let gmac = Double(ModelConfig(.atto).macs(height: 224, width: 224)) / 1e9
        #expect(abs(gmac - 0.55) < 0.01)
    }
}
