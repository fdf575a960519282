extension SwiftBackend {
    /// The layout each constant of `graph` has where this backend's kernels read it: what a `.cnx`
    /// file stores, so that loading needs no packing. An int8 convolution's weight is
    /// ``ConstantLayout/int8PointwisePanels``, its bias ``ConstantLayout/int32Bias16`` and its
    /// per-channel weight scales ``ConstantLayout/raw``.
    public static func constantLayouts(_ graph: Graph) -> [TensorID: ConstantLayout] {
        var layouts: [TensorID: ConstantLayout] = [:]
        func norm(_ n: LayerNormAffine) { for t in n.constants { layouts[t] = .raw } }
        func conv(_ weight: TensorID, _ bias: TensorID, _ int8: Int8Weights?) {
            if let int8 {
                layouts[weight] = .int8PointwisePanels; layouts[bias] = .int32Bias16; layouts[int8.weightScale] = .raw
            } else {
                layouts[weight] = .pointwisePanels; layouts[bias] = .bias16
            }
        }
        for op in graph.ops {
            switch op {
            case let .stem(p): conv(p.weight, p.bias, nil); norm(p.norm)
            case let .depthwiseConvLN(p): layouts[p.weight] = .depthwiseTaps; layouts[p.bias] = .bias8; norm(p.norm)
            case let .pointwiseGELU(p): conv(p.weight, p.bias, p.int8)
            case let .grn(p): layouts[p.gamma] = .raw; layouts[p.beta] = .raw
            case let .pointwise(p):
                conv(p.weight, p.bias, p.int8)
                if let scale = p.inputScale { layouts[scale.gamma] = .raw }
            case let .downsample(p): conv(p.weight, p.bias, p.int8); norm(p.norm)
            case let .head(p): conv(p.weight, p.bias, nil); norm(p.norm)
            }
        }
        return layouts
    }

    /// `values` (row-major float32 in `shape`) rearranged into a float `layout`;
    /// ``ConstantLayout/storedFloats(for:)`` long.
    /// - Precondition: `layout` stores float32 (``ConstantLayout/dataType``).
    public static func pack(_ values: [Float], shape: [Int], layout: ConstantLayout) -> [Float] {
        func copy(_ b: AlignedFloatBuffer) -> [Float] { Array(UnsafeBufferPointer(start: b.base, count: b.count)) }
        func padded(_ multiple: Int) -> [Float] {
            values + [Float](repeating: 0, count: (values.count + multiple - 1) / multiple * multiple - values.count)
        }
        switch layout {
        case .raw: return values
        case .pointwisePanels:
            let out = shape[0], rest = values.count / out
            return copy(PackedPointwiseWeights(weights: values, bias: [Float](repeating: 0, count: out),
                                               outputChannels: out, inputChannels: rest).panels)
        case .bias16: return padded(16)
        case .depthwiseTaps:
            return copy(PackedDepthwiseWeights(weights: values, bias: [Float](repeating: 0, count: shape[0]),
                                               channels: shape[0]).taps)
        case .bias8: return padded(8)
        case .int8PointwisePanels, .int32Bias16: preconditionFailure("pack: \(layout) holds integers; use packIntegers")
        }
    }

    /// Integer `values` (row-major in `shape`: int8 codes widened, or int32) as the little-endian
    /// bytes of an integer `layout`; ``ConstantLayout/storedBytes(for:)`` long.
    /// - Precondition: `layout` stores int8 or int32, and `values` fits it.
    public static func packIntegers(_ values: [Int32], shape: [Int], layout: ConstantLayout) -> [UInt8] {
        let bytes = layout.storedBytes(for: shape)!
        switch layout {
        case .int8PointwisePanels:
            let n = shape[0], k = values.count / n
            // The kernel's own packing, so the file holds exactly what it reads.
            let packed = PackedInt8PointwiseWeights(weights: values, bias: [Int32](repeating: 0, count: n),
                                                    outputChannels: n, inputChannels: k)
            let out = packed.packedBytes.prefix(bytes).map { UInt8(bitPattern: $0) }
            precondition(out.count == bytes, "packIntegers: \(out.count) packed bytes for \(shape), expected \(bytes)")
            return out
        case .int32Bias16:
            var out = [UInt8](repeating: 0, count: bytes)
            for (i, v) in values.enumerated() {
                withUnsafeBytes(of: v.littleEndian) { for j in 0..<4 { out[4 * i + j] = $0[j] } }
            }
            return out
        case .raw, .pointwisePanels, .bias16, .depthwiseTaps, .bias8:
            preconditionFailure("packIntegers: \(layout) holds float32; use pack")
        }
    }

    /// A packed constant's 4-byte units borrowed in place.
    func borrowed(_ c: PackedConstant) -> AlignedFloatBuffer {
        AlignedFloatBuffer(borrowing: c.base, count: c.floatCount, owner: c.owner)
    }
}
