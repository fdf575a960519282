/// An int8 1x1 convolution with a GRN folded into it (``FusedOp/qu8GRNPointwise(_:)``), as both
/// backends run it: the stored codes, their steps, the float bias (GRN's β folded in) and GRN's
/// γ; for each image, GRN's scale `σ = 1 + γ·N` from the uint8 input's sums
/// of squares and the weights `W·diag(σ)` requantized to int8 (``qs8GRNRequantize(_:panels:)``)
/// into the op's scratch space (``Scratch``), so they cost no memory beyond the arena's peak
/// (stage 3's 410 KB of codes run when the activations are small). The GEMM is then the plain
/// int8 one on the input codes: GRN's output is never quantized.
///
/// A class because it remembers the ``Int8Conv`` that views its scratch space (made on the first
/// run at an address, reused while the address stays; one backend serves one model).
final class FoldedInt8Conv {
    /// The stored codes (their bias slot holds zeros).
    let codes: PackedInt8PointwiseWeights
    let weightScale: AlignedFloatBuffer
    let bias: AlignedFloatBuffer
    let gamma: AlignedFloatBuffer
    /// Whether the GEMM reads int16 pairs (the swift backend's ``QU8PWConvVariant/int16Pairs``),
    /// which the requantization then writes too.
    let int16Pairs: Bool
    private var view: (scratch: UnsafeMutableRawPointer, conv: Int8Conv)?

    /// Where this image's values sit in the op's scratch space, in bytes from its start (each
    /// 64-byte aligned): `σ` (`[kGroups·4]` floats), the int8 panels, the accumulator starts and
    /// multipliers (`[panels·16]` each), then the int16 pairs if the GEMM reads them.
    struct Scratch {
        let panels: Int, starts: Int, multipliers: Int, pairs: Int, bytes: Int

        init(outputChannels n: Int, inputChannels k: Int, int16Pairs: Bool) {
            let a = MemoryPlanner.align, channels = (n + 15) / 16 * 16
            panels = a((k + 3) / 4 * 16)
            starts = panels + a(PackedInt8PointwiseWeights.packedBytes(outputChannels: n, inputChannels: k))
            multipliers = starts + a(channels * 4)
            pairs = multipliers + a(channels * 4)
            bytes = pairs + (int16Pairs ? PackedInt8PointwiseWeights.int16PairBytes(outputChannels: n, inputChannels: k) : 0)
        }
    }

    let layout: Scratch

    /// The owner the scratch views name: the arena belongs to the ``CompiledModel``, which
    /// outlives its runs (a view owned by this object would keep it alive forever).
    private final class Arena: Sendable {}
    private static let arena = Arena()

    private init(codes: PackedInt8PointwiseWeights, weightScale: AlignedFloatBuffer, bias: AlignedFloatBuffer,
                 gamma: AlignedFloatBuffer, int16Pairs: Bool) {
        self.codes = codes; self.weightScale = weightScale; self.bias = bias; self.gamma = gamma
        self.int16Pairs = int16Pairs
        layout = Scratch(outputChannels: codes.outputChannels, inputChannels: codes.inputChannels, int16Pairs: int16Pairs)
    }

    /// The folded int8 1x1 of `p`, reading its constants in place where a `.cnx` file stores
    /// them (``ConstantPacking/layouts(_:)``).
    convenience init(_ p: QU8GRNPointwiseParameters, in graph: Graph, int16Pairs: Bool) {
        let n = graph[p.weight].shape[0], k = graph[p.weight].shape[1]
        self.init(
            codes: PackedInt8PointwiseWeights(panels: ConstantPacking.packed(graph, p.weight, .int8PointwisePanels),
                                              bias: AlignedFloatBuffer(count: (n + 15) / 16 * 16) { _ in },
                                              outputChannels: n, inputChannels: k),
            weightScale: ConstantPacking.packed(graph, p.weightScale, .raw),
            bias: ConstantPacking.packed(graph, p.bias, .bias16),
            gamma: ConstantPacking.packed(graph, p.grn.gamma, .raw), int16Pairs: int16Pairs)
    }

    /// Requantizes the weights for this image into `scratch` (``Scratch``; 64-byte aligned, the
    /// same address on every run of a model): `σ` from `sums` (GRN's sums of squares of the input,
    /// float64 `[K]`), then the panels split by `parallel(panels, body)`. Returns the convolution
    /// to run, which views `scratch`. Never allocates after the first run at an address.
    func requantize(sums: UnsafePointer<Double>, input: TensorQuantization, scratch: UnsafeMutableRawPointer,
                    parallel: (Int, (Range<Int>) -> Void) -> Void) -> Int8Conv {
        let k = codes.inputChannels, n = codes.outputChannels, groups = codes.kGroups
        let sigma = scratch.assumingMemoryBound(to: Float.self)
        FusedOpMath.grnScale(sums: sums, gamma: gamma.base, channels: k, scale: sigma)
        for j in k..<(groups * 4) { sigma[j] = 0 }
        let conv = self.conv(in: scratch)
        let parameters = GRNRequantizeParameters(
            codes: UnsafeRawPointer(codes.panels.base), kGroups: groups, outputChannels: n,
            inputScale: sigma, weightScale: weightScale.base, bias: bias.base, input: input,
            output: scratch + layout.panels, pairs: int16Pairs ? scratch + layout.pairs : nil,
            accumulatorStart: (scratch + layout.starts).assumingMemoryBound(to: Int32.self),
            multipliers: (scratch + layout.multipliers).assumingMemoryBound(to: Float.self))
        parallel(codes.panelCount) { panels in qs8GRNRequantize(parameters, panels: panels) }
        return conv
    }

    /// The ``Int8Conv`` whose weights, starts and multipliers are views of `scratch`.
    private func conv(in scratch: UnsafeMutableRawPointer) -> Int8Conv {
        if let view, view.scratch == scratch { return view.conv }
        let n = codes.outputChannels, k = codes.inputChannels, channels = codes.panelCount * 16
        func part(_ offset: Int, _ bytes: Int) -> AlignedFloatBuffer {
            AlignedFloatBuffer(borrowing: scratch + offset, count: bytes / 4, owner: Self.arena)
        }
        let weights = PackedInt8PointwiseWeights(
            panels: part(layout.panels, PackedInt8PointwiseWeights.packedBytes(outputChannels: n, inputChannels: k)),
            bias: part(layout.starts, channels * 4),
            int16Pairs: int16Pairs ? part(layout.pairs, PackedInt8PointwiseWeights.int16PairBytes(outputChannels: n, inputChannels: k)) : nil,
            outputChannels: n, inputChannels: k)
        let conv = Int8Conv(weights: weights, multipliers: part(layout.multipliers, channels * 4))
        view = (scratch, conv)
        return conv
    }
}
