#if Native
import CCNXKernels

extension NativeBackend {
    /// Packs every constant of `graph` into the C kernels' layouts, in buffers this backend owns.
    /// Constants come as values (``Graph/constants``) or in the Swift backend's layouts from a
    /// `.cnx` file (``Graph/packedConstants``), unpacked here first.
    /// - Throws: ``GraphError`` if `graph` does not verify.
    public func prepare(_ graph: Graph) throws {
        try graph.verify()
        func values(_ t: TensorID) -> [Float] { Self.values(of: t, in: graph) }
        func buffer(_ t: TensorID) -> AlignedFloatBuffer {
            let v = values(t)
            return AlignedFloatBuffer(count: v.count) { p in for i in v.indices { p[i] = v[i] } }
        }
        func norm(_ n: LayerNormAffine, _ c: Int) -> Norm {
            // The C LayerNorm applies an affine only when it has both vectors.
            guard !n.constants.isEmpty else { return Norm(gamma: nil, beta: nil, epsilon: n.epsilon) }
            return Norm(gamma: n.gamma.map(buffer) ?? AlignedFloatBuffer(count: c) { $0.update(repeating: 1, count: c) },
                        beta: n.beta.map(buffer) ?? AlignedFloatBuffer(count: c) { _ in }, epsilon: n.epsilon)
        }
        func pointwise(_ w: TensorID, _ b: TensorID) -> Pointwise {
            let s = graph[w].shape, n = s[0], k = s.dropFirst().reduce(1, *)
            if let stored = graph.packedConstants[w], stored.layout == .pointwisePanels {
                let bias = values(b)
                let packed = AlignedFloatBuffer(count: cnx_f32_pwconv_packed_size(n, k) / 4) { p in
                    Self.repackPanels(stored, outputs: n, inputs: k, bias: bias, into: p)
                }
                return Pointwise(packed: packed, outputChannels: n, inputChannels: k)
            }
            let weights = values(w), bias = values(b)
            let packed = AlignedFloatBuffer(count: cnx_f32_pwconv_packed_size(n, k) / 4) { p in
                cnx_f32_pwconv_pack(n, k, weights, bias, p)
            }
            return Pointwise(packed: packed, outputChannels: n, inputChannels: k)
        }
        func depthwise(_ w: TensorID, _ b: TensorID) -> AlignedFloatBuffer {
            let c = graph[b].shape[0], weights = values(w), bias = values(b)
            return AlignedFloatBuffer(count: cnx_f32_dwconv7x7_packed_size(c) / 4) { p in
                cnx_f32_dwconv7x7_pack(c, weights, bias, p)
            }
        }
        prepared = graph.ops.map { op in
            switch op {
            case let .stem(p): .stem(p, pointwise(p.weight, p.bias), norm(p.norm, graph[p.bias].shape[0]))
            case let .depthwiseConvLN(p):
                .depthwiseConvLN(p, packed: depthwise(p.weight, p.bias), norm(p.norm, graph[p.bias].shape[0]))
            case let .pointwiseGELU(p): .pointwiseGELU(p, pointwise(p.weight, p.bias))
            case let .grn(p): .grn(p, gamma: buffer(p.gamma), beta: buffer(p.beta))
            case let .pointwise(p):
                .pointwise(p, pointwise(p.weight, p.bias), p.inputScale.map { scale in
                    let count = cnx_f32_pwconv_packed_size(graph[p.weight].shape[0], graph[p.input].shape[3]) / 4
                    return FoldedGRN(gamma: buffer(scale.gamma), scaled: AlignedFloatBuffer(count: count) { _ in })
                })
            case let .downsample(p): .downsample(p, norm(p.norm, graph[p.input].shape[3]), pointwise(p.weight, p.bias))
            case let .head(p): .head(p, norm(p.norm, graph[p.input].shape[3]), pointwise(p.weight, p.bias))
            }
        }
        self.graph = graph
    }

    /// A 1x1 convolution's weights stored in the Swift backend's 16-wide panels (`[panel][k][16]`)
    /// rewritten as `cnx_f32_pwconv_pack` would (`[panel][bias, k][16]`) without unpacking them
    /// first: the same values in the same places, since both use 16 lanes. `packed` is zeroed and
    /// `cnx_f32_pwconv_packed_size(outputs, inputs)` bytes long; lanes past `outputs` stay zero.
    static func repackPanels(_ stored: PackedConstant, outputs n: Int, inputs k: Int, bias: [Float],
                             into packed: UnsafeMutablePointer<Float>) {
        let source = stored.base.assumingMemoryBound(to: Float.self)
        for panel in 0..<(n + 15) / 16 {
            let lanes = min(16, n - panel * 16)
            let to = packed + panel * (k + 1) * 16, from = source + panel * k * 16
            for lane in 0..<lanes { to[lane] = bias[panel * 16 + lane] }
            if lanes == 16 {
                (to + 16).update(from: from, count: k * 16)
            } else {
                for kk in 0..<k { (to + (kk + 1) * 16).update(from: from + kk * 16, count: lanes) }
            }
        }
    }

    /// Constant `t`'s values row-major in its shape, from ``Graph/constants`` or unpacked from the
    /// Swift layout a `.cnx` file stores it in (``ConstantLayout``).
    static func values(of t: TensorID, in graph: Graph) -> [Float] {
        if let v = graph.constants[t] { return v }
        let c = graph.packedConstants[t]!, shape = graph[t].shape, n = graph[t].elementCount
        let stored = UnsafeBufferPointer(start: c.base.assumingMemoryBound(to: Float.self), count: c.floatCount)
        switch c.layout {
        case .raw, .bias16, .bias8: return Array(stored.prefix(n))
        case .pointwisePanels:
            // ceil(out/16) panels of [rest][16]; row by row, so no division per element.
            let out = shape[0], rest = n / out
            return [Float](unsafeUninitializedCapacity: n) { values, count in
                for j in 0..<out {
                    let panel = (j / 16) * rest * 16 + j % 16, row = j * rest
                    for k in 0..<rest { values[row + k] = stored[panel + k * 16] }
                }
                count = n
            }
        case .depthwiseTaps:
            // [49][ceil(C/8)·8].
            let channels = shape[0], padded = (channels + 7) / 8 * 8
            return [Float](unsafeUninitializedCapacity: n) { values, count in
                for ch in 0..<channels {
                    for tap in 0..<49 { values[ch * 49 + tap] = stored[tap * padded + ch] }
                }
                count = n
            }
        }
    }
}
#endif
