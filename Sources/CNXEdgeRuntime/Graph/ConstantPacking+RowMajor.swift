extension ConstantPacking {
    /// Float constant `t` of `graph` in row-major order of its shape: the graph's values, or a
    /// file's packed layout (``ConstantLayout/raw``, ``ConstantLayout/pointwisePanels``,
    /// ``ConstantLayout/bias16``, ``ConstantLayout/bias8``) read back. For providers that pack
    /// weights their own way (XNNPACK's operators copy and repack at creation).
    static func rowMajorFloats(_ graph: Graph, _ t: TensorID) -> [Float] {
        if let v = graph.constants[t] { return v }
        let c = graph.packedConstants[t]!, shape = graph[t].shape, count = graph[t].elementCount
        let p = c.base.assumingMemoryBound(to: Float.self)
        switch c.layout {
        case .raw, .bias16, .bias8: return Array(UnsafeBufferPointer(start: p, count: count))
        case .pointwisePanels:
            // [ceil(N/16)][K][16]
            let n = shape[0], k = count / n
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for row in 0..<n {
                    let panel = p + (row / 16) * k * 16 + row % 16, dst = out.baseAddress! + row * k
                    for j in 0..<k { dst[j] = panel[j * 16] }
                }
                initialized = count
            }
        case .depthwiseTaps, .int8PointwisePanels, .int32Bias16, .int8FloatPanels, .int8Raw:
            preconditionFailure("rowMajorFloats: \(c.layout) is not read back")
        }
    }

    /// int8 constant `t` of `graph` (codes `[N, rest...]`) in row-major order of its shape: the
    /// graph's values, or a file's ``ConstantLayout/int8PointwisePanels`` or ``ConstantLayout/int8Raw``.
    static func rowMajorInt8(_ graph: Graph, _ t: TensorID) -> [Int8] {
        if let v = graph.integerConstants[t] { return v.map { Int8($0) } }
        let c = graph.packedConstants[t]!, shape = graph[t].shape, count = graph[t].elementCount
        let q = c.base.assumingMemoryBound(to: Int8.self)
        switch c.layout {
        case .int8PointwisePanels:
            // [ceil(N/16)][ceil(K/4)][16][4]
            let n = shape[0], k = count / n, groups = (k + 3) / 4
            return [Int8](unsafeUninitializedCapacity: count) { out, initialized in
                for row in 0..<n {
                    let panel = q + (row / 16) * groups * 64 + (row % 16) * 4, dst = out.baseAddress! + row * k
                    for j in 0..<k { dst[j] = panel[(j / 4) * 64 + j % 4] }
                }
                initialized = count
            }
        case .int8Raw: return Array(UnsafeBufferPointer(start: q, count: count))
        case .raw, .pointwisePanels, .bias16, .depthwiseTaps, .bias8, .int8FloatPanels, .int32Bias16:
            preconditionFailure("rowMajorInt8: \(c.layout) is not read back")
        }
    }

    /// int32 constant `t` of `graph` (`[N]`): the graph's values, or a file's ``ConstantLayout/int32Bias16``.
    static func rowMajorInt32(_ graph: Graph, _ t: TensorID) -> [Int32] {
        if let v = graph.integerConstants[t] { return v }
        let c = graph.packedConstants[t]!, count = graph[t].elementCount
        precondition(c.layout == .int32Bias16, "rowMajorInt32: \(c.layout) is not read back")
        let q = c.base.assumingMemoryBound(to: Int32.self)
        return (0..<count).map { Int32(littleEndian: q[$0]) }
    }
}
