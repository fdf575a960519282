/// Where every constant of a graph lives in its kernels' layouts (``ConstantLayout``), and the
/// packing into them: one backend-neutral place that the backends, the `.cnx` writer and reader
/// all use, so that a file stores exactly what the kernels read.
public enum ConstantPacking {
    /// The layout each constant of `graph` has where the kernels read it: what a `.cnx` file
    /// stores, so that loading needs no packing. An int8 convolution's weight is
    /// ``ConstantLayout/int8PointwisePanels``, its bias ``ConstantLayout/int32Bias16`` (float
    /// ``ConstantLayout/bias16`` where its start is computed per image) and its per-channel weight
    /// scales ``ConstantLayout/raw``; a weight-only int8 one's weight ``ConstantLayout/int8FloatPanels``,
    /// its float bias and weight scales ``ConstantLayout/bias16``.
    public static func layouts(_ graph: Graph) -> [TensorID: ConstantLayout] { reads(graph).layouts }

    /// Every constant's layout as ``layouts(_:)`` gives it, and the first constant that two reads
    /// want in different layouts (a graph from a file can say anything; a compiled one never
    /// shares a constant that way), from one pass over the ops.
    public struct Reads {
        public private(set) var layouts: [TensorID: ConstantLayout] = [:]
        public private(set) var conflict: (TensorID, ConstantLayout, ConstantLayout)?

        /// Records a read of `t` in `newValue`, noting the first disagreement.
        subscript(_ t: TensorID) -> ConstantLayout? {
            get { layouts[t] }
            set {
                guard let newValue else { return }
                if let other = layouts[t], other != newValue, conflict == nil { conflict = (t, other, newValue) }
                layouts[t] = newValue
            }
        }
    }

    /// The layout each constant of `graph` is read in by its ops (``Reads``).
    public static func reads(_ graph: Graph) -> Reads {
        var layouts = Reads()
        func norm(_ n: LayerNormAffine) { for t in n.constants { layouts[t] = .raw } }
        func conv(_ weight: TensorID, _ bias: TensorID, _ storage: WeightStorage) {
            switch storage {
            case .float32:
                layouts[weight] = .pointwisePanels; layouts[bias] = .bias16
            case let .int8(w):
                layouts[weight] = .int8FloatPanels; layouts[bias] = .bias16; layouts[w.weightScale] = .bias16
                if let plane = w.residualWeight { layouts[plane] = .int8FloatPanels }
                if let steps = w.residualScale { layouts[steps] = .bias16 }
            }
        }
        func int8Conv(_ weight: TensorID, _ bias: TensorID, _ steps: TensorID, floatBias: Bool = false) {
            layouts[weight] = .int8PointwisePanels; layouts[bias] = floatBias ? .bias16 : .int32Bias16; layouts[steps] = .raw
        }
        for op in graph.ops {
            switch op {
            case let .stem(p): conv(p.weight, p.bias, .float32); norm(p.norm)
            case let .depthwiseConvLN(p), let .qu8DepthwiseConvLN(p):
                layouts[p.bias] = .bias8; norm(p.norm)
                switch p.weightStorage {
                case .float32: layouts[p.weight] = .depthwiseTaps
                case let .int8(w): layouts[p.weight] = .int8Raw; layouts[w.weightScale] = .raw
                }
            case let .pointwiseGELU(p): conv(p.weight, p.bias, p.weightStorage)
            case let .grn(p), let .qu8GRN(p): layouts[p.gamma] = .raw; layouts[p.beta] = .raw
            case let .pointwise(p): conv(p.weight, p.bias, p.weightStorage)
            case let .grnPointwise(p): conv(p.weight, p.bias, .float32); layouts[p.grn.gamma] = .raw
            case let .downsample(p): conv(p.weight, p.bias, p.weightStorage); norm(p.norm)
            case let .head(p): conv(p.weight, p.bias, p.weightStorage); norm(p.norm)
            case let .qu8PointwiseGELU(p): int8Conv(p.weight, p.bias, p.weightScale)
            case let .qu8Pointwise(p): int8Conv(p.weight, p.bias, p.weightScale)
            case let .qu8GRNPointwise(p):
                // Its accumulator start is per image, so the bias stays float.
                int8Conv(p.weight, p.bias, p.weightScale, floatBias: true); layouts[p.grn.gamma] = .raw
            case let .qu8Downsample(p):
                int8Conv(p.weight, p.bias, p.weightScale); norm(p.norm)
                if let steps = p.outputSteps { layouts[steps] = .raw }
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
        case .int8PointwisePanels, .int32Bias16, .int8FloatPanels, .int8Raw: preconditionFailure("pack: \(layout) holds integers; use packIntegers")
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
        case .int8Raw:
            var out = [UInt8](repeating: 0, count: bytes)
            for (i, v) in values.enumerated() { out[i] = UInt8(bitPattern: Int8(v)) }
            return out
        case .int8FloatPanels:
            let n = shape[0], k = values.count / n
            var out = [UInt8](repeating: 0, count: bytes)
            for row in 0..<n {
                for j in 0..<k { out[floatPanelIndex(row: row, column: j, columns: k)] = UInt8(bitPattern: Int8(values[row * k + j])) }
            }
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

    /// Where element `[row][column]` of a `[N][columns]` weight lies in the float panels'
    /// arrangement `[ceil(N/16)][columns][16]` (``ConstantLayout/pointwisePanels``,
    /// ``ConstantLayout/int8FloatPanels``), in elements.
    static func floatPanelIndex(row: Int, column: Int, columns: Int) -> Int {
        (row / 16 * columns + column) * 16 + row % 16
    }

    /// Constant `t` of `graph` in `layout`: borrowed in place where a file stores it so, else
    /// packed from its float or integer values into a new buffer.
    static func packed(_ graph: Graph, _ t: TensorID, _ layout: ConstantLayout) -> AlignedFloatBuffer {
        if let c = graph.packedConstants[t], c.layout == layout { return borrowed(c) }
        let shape = graph[t].shape
        let bytes: [UInt8] = layout.dataType == .float32
            ? pack(graph.constants[t]!, shape: shape, layout: layout).withUnsafeBytes { Array($0) }
            : packIntegers(graph.integerConstants[t]!, shape: shape, layout: layout)
        return AlignedFloatBuffer(count: bytes.count / 4) { p in
            bytes.withUnsafeBytes { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        }
    }

    /// The real values of weight-only int8 `weight` (row-major, codes times their row's step),
    /// read in `layout` and `stepsLayout` (a file's, or packed from the graph's values).
    static func dequantized(_ graph: Graph, _ weight: TensorID, _ steps: TensorID, layout: ConstantLayout,
                            stepsLayout: ConstantLayout) -> [Float] {
        let n = graph[weight].shape[0], k = graph[weight].elementCount / n
        let scale = packed(graph, steps, stepsLayout), codes = packed(graph, weight, layout)
        let q = UnsafeRawPointer(codes.base).assumingMemoryBound(to: Int8.self)
        return (0..<(n * k)).map { i in
            let (row, j) = (i / k, i % k)
            let at = layout == .int8FloatPanels ? floatPanelIndex(row: row, column: j, columns: k) : i
            return Float(q[at]) * scale.base[row]
        }
    }

    /// A packed constant's 4-byte units borrowed in place (the mapped file kept alive by the buffer).
    static func borrowed(_ c: PackedConstant) -> AlignedFloatBuffer {
        AlignedFloatBuffer(borrowing: c.base, count: c.floatCount, owner: c.owner)
    }
}
