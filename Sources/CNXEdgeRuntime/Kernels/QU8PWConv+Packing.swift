/// int8 weights of a 1x1 (or patch) convolution packed for ``qu8PWConv(input:inputStride:rows:weights:epilogue:)``:
/// panels of 16 output channels, K rounded up to a multiple of 4, `[ceil(N/16)][ceil(K/4)][16][4]`
/// int8 (zeros in the padding), and the int32 accumulator start values `[ceil(N/16)·16]`. The
/// native backend's C kernels read the same layout, which is what a `.cnx` file stores.
public struct PackedInt8PointwiseWeights: Sendable {
    public let outputChannels: Int
    public let inputChannels: Int
    /// `[panel][k/4][16][4]` int8.
    let panels: AlignedFloatBuffer
    /// `[ceil(N/16)·16]` int32.
    let bias: AlignedFloatBuffer
    /// The panels widened once to the int16 pairs of ``QU8PWConvVariant/int16Pairs``
    /// (`[panel][groups][pair][16]` int32 pairs, twice the bytes of `panels`), or nil: the GEMM
    /// then widens each panel for every block of rows (``withInt16Pairs()``).
    private(set) var int16Pairs: AlignedFloatBuffer?

    /// Groups of 4 input channels.
    public var kGroups: Int { (inputChannels + 3) / 4 }
    /// Panels of 16 output channels.
    public var panelCount: Int { (outputChannels + 15) / 16 }

    /// Bytes of the packed weights of an `n`x`k` convolution.
    public static func packedBytes(outputChannels n: Int, inputChannels k: Int) -> Int { (n + 15) / 16 * 16 * ((k + 3) / 4 * 4) }

    /// Packs row-major int8 codes `weights` (`[n][k]`, each in -128...127) and int32 `bias` (`[n]`).
    public init(weights: [Int32], bias: [Int32], outputChannels n: Int, inputChannels k: Int) {
        precondition(weights.count == n * k && bias.count == n, "int8 weights: \(weights.count) codes, \(bias.count) biases for \(n)x\(k)")
        outputChannels = n
        inputChannels = k
        let groups = (k + 3) / 4
        panels = AlignedFloatBuffer(count: Self.packedBytes(outputChannels: n, inputChannels: k) / 4) { p in
            let bytes = UnsafeMutableRawPointer(p).assumingMemoryBound(to: Int8.self)
            for o in 0..<n {
                let panel = o / 16, lane = o % 16
                for j in 0..<k {
                    bytes[((panel * groups + j / 4) * 16 + lane) * 4 + j % 4] = Int8(weights[o * k + j])
                }
            }
        }
        self.bias = AlignedFloatBuffer(count: (n + 15) / 16 * 16) { p in
            let b = UnsafeMutableRawPointer(p).assumingMemoryBound(to: Int32.self)
            for o in 0..<n { b[o] = bias[o] }
        }
    }

    /// Borrows packed weights and biases in this layout (a mapped `.cnx` file's).
    init(panels: AlignedFloatBuffer, bias: AlignedFloatBuffer, outputChannels: Int, inputChannels: Int) {
        self.panels = panels
        self.bias = bias
        self.outputChannels = outputChannels
        self.inputChannels = inputChannels
    }

    /// These weights with ``int16Pairs`` filled in, for ``qu8PWConv(input:inputStride:rows:weights:epilogue:)``
    /// on ``QU8PWConvVariant/int16Pairs``: a backend that runs the GEMM many times keeps twice the
    /// int8 bytes in exchange for not widening the weights on every call (Atto: 3.2 MB more, and
    /// about 0.5 ms less per image on Zen 5).
    public func withInt16Pairs() -> PackedInt8PointwiseWeights {
        var copy = self
        let groups = kGroups, source = UnsafeRawPointer(panels.base)
        copy.int16Pairs = AlignedFloatBuffer(count: panelCount * groups * panelGroupBytes / 4) { p in
            for panel in 0..<panelCount {
                widenPanelPairs(source + panel * groups * 64, groups: groups, into: UnsafeMutableRawPointer(p) + panel * groups * panelGroupBytes)
            }
        }
        return copy
    }

    /// Bytes of ``int16Pairs`` for an `n`x`k` convolution.
    static func int16PairBytes(outputChannels n: Int, inputChannels k: Int) -> Int { (n + 15) / 16 * ((k + 3) / 4) * panelGroupBytes }

    /// Weights in buffers a backend rewrites for every image (an int8 1x1 with a folded GRN,
    /// ``qs8GRNRequantize(_:panels:)``, which writes the pairs too): `panels` and `bias` in
    /// the layout above, and `int16Pairs` (``int16PairBytes(outputChannels:inputChannels:)`` long)
    /// or nil.
    init(panels: AlignedFloatBuffer, bias: AlignedFloatBuffer, int16Pairs: AlignedFloatBuffer?, outputChannels: Int, inputChannels: Int) {
        self.init(panels: panels, bias: bias, outputChannels: outputChannels, inputChannels: inputChannels)
        self.int16Pairs = int16Pairs
    }

    /// The packed bytes, for a file writer.
    public var packedBytes: [Int8] {
        let n = Self.packedBytes(outputChannels: outputChannels, inputChannels: inputChannels)
        return Array(UnsafeBufferPointer(start: UnsafeRawPointer(panels.base).assumingMemoryBound(to: Int8.self), count: n))
    }
}
