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
            let n = shape[0], k = count / n
            return (0..<count).map { i in p[floatPanelIndex(row: i / k, column: i % k, columns: k)] }
        case .depthwiseTaps, .int8PointwisePanels, .int32Bias16, .int8FloatPanels, .int8Raw:
            preconditionFailure("rowMajorFloats: \(c.layout) is not read back")
        }
    }

    /// Integer constant `t` of `graph` (int8 codes or int32) in row-major order of its shape: the
    /// graph's values, or a file's ``ConstantLayout/int8PointwisePanels``,
    /// ``ConstantLayout/int32Bias16`` or ``ConstantLayout/int8Raw`` read back.
    static func rowMajorIntegers(_ graph: Graph, _ t: TensorID) -> [Int32] {
        if let v = graph.integerConstants[t] { return v }
        let c = graph.packedConstants[t]!, shape = graph[t].shape, count = graph[t].elementCount
        switch c.layout {
        case .int8PointwisePanels:
            // [ceil(N/16)][ceil(K/4)][16][4]
            let n = shape[0], k = count / n, groups = (k + 3) / 4, q = c.base.assumingMemoryBound(to: Int8.self)
            return (0..<count).map { i in
                let (row, j) = (i / k, i % k)
                return Int32(q[((row / 16 * groups + j / 4) * 16 + row % 16) * 4 + j % 4])
            }
        case .int8Raw:
            let q = c.base.assumingMemoryBound(to: Int8.self)
            return (0..<count).map { Int32(q[$0]) }
        case .int32Bias16:
            let q = c.base.assumingMemoryBound(to: Int32.self)
            return (0..<count).map { Int32(littleEndian: q[$0]) }
        case .raw, .pointwisePanels, .bias16, .depthwiseTaps, .bias8, .int8FloatPanels:
            preconditionFailure("rowMajorIntegers: \(c.layout) is not read back")
        }
    }
}
