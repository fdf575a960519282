extension SwiftBackend {
    /// The layout each constant of `graph` has where this backend's kernels read it: what a `.cnx`
    /// file stores, so that loading needs no packing.
    public static func constantLayouts(_ graph: Graph) -> [TensorID: ConstantLayout] {
        var layouts: [TensorID: ConstantLayout] = [:]
        func norm(_ n: LayerNormAffine) { for t in n.constants { layouts[t] = .raw } }
        for op in graph.ops {
            switch op {
            case let .stem(p): layouts[p.weight] = .pointwisePanels; layouts[p.bias] = .bias16; norm(p.norm)
            case let .depthwiseConvLN(p): layouts[p.weight] = .depthwiseTaps; layouts[p.bias] = .bias8; norm(p.norm)
            case let .pointwiseGELU(p): layouts[p.weight] = .pointwisePanels; layouts[p.bias] = .bias16
            case let .grn(p): layouts[p.gamma] = .raw; layouts[p.beta] = .raw
            case let .pointwise(p):
                layouts[p.weight] = .pointwisePanels; layouts[p.bias] = .bias16
                if let scale = p.inputScale { layouts[scale.gamma] = .raw }
            case let .downsample(p): layouts[p.weight] = .pointwisePanels; layouts[p.bias] = .bias16; norm(p.norm)
            case let .head(p): layouts[p.weight] = .pointwisePanels; layouts[p.bias] = .bias16; norm(p.norm)
            }
        }
        return layouts
    }

    /// `values` (row-major in `shape`) rearranged into `layout`; ``ConstantLayout/storedFloats(for:)`` long.
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
        }
    }

    /// A packed constant's floats borrowed in place.
    func borrowed(_ c: PackedConstant) -> AlignedFloatBuffer {
        AlignedFloatBuffer(borrowing: c.base, count: c.floatCount, owner: c.owner)
    }
}
