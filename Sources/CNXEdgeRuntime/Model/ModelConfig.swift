/// The named ConvNeXt V2 sizes (Woo et al. 2023; timm `convnextv2_<size>`).
public enum ModelSize: String, CaseIterable, Sendable, CustomStringConvertible {
    case atto, femto, pico, nano, tiny, base, large, huge

    /// Channels of the four stages.
    public var dims: [Int] {
        switch self {
        case .atto: [40, 80, 160, 320]
        case .femto: [48, 96, 192, 384]
        case .pico: [64, 128, 256, 512]
        case .nano: [80, 160, 320, 640]
        case .tiny: [96, 192, 384, 768]
        case .base: [128, 256, 512, 1024]
        case .large: [192, 384, 768, 1536]
        case .huge: [352, 704, 1408, 2816]
        }
    }

    /// Blocks in each of the four stages.
    public var depths: [Int] {
        switch self {
        case .atto, .femto, .pico: [2, 2, 6, 2]
        case .nano: [2, 2, 8, 2]
        case .tiny: [3, 3, 9, 3]
        case .base, .large, .huge: [3, 3, 27, 3]
        }
    }

    public var description: String { rawValue }
}

/// Architecture of one ConvNeXt V2: stage widths and depths and the classifier's size.
///
/// Any `dims`/`depths` pair with four stages is accepted, so checkpoints of custom widths load too;
/// ``size`` names it when it is one of the published sizes.
public struct ModelConfig: Equatable, Sendable, CustomStringConvertible {
    public var dims: [Int]
    public var depths: [Int]
    public var numClasses: Int
    /// LayerNorm epsilon everywhere in the network (timm and the official code use 1e-6).
    public var layerNormEpsilon: Float = 1e-6

    public init(dims: [Int], depths: [Int], numClasses: Int = 1000) {
        precondition(dims.count == 4 && depths.count == 4, "ConvNeXt V2 has four stages")
        self.dims = dims
        self.depths = depths
        self.numClasses = numClasses
    }

    public init(_ size: ModelSize, numClasses: Int = 1000) {
        self.init(dims: size.dims, depths: size.depths, numClasses: numClasses)
    }

    /// The published size with these widths and depths, if any.
    public var size: ModelSize? {
        ModelSize.allCases.first { $0.dims == dims && $0.depths == depths }
    }

    public var description: String {
        if let size { return "convnextv2_\(size)" }
        return "convnextv2(dims: \(dims), depths: \(depths))"
    }

    /// Parameter count (weights and biases), as `sum(p.numel())` in PyTorch.
    public var parameterCount: Int {
        var n = dims[0] * 3 * 16 + dims[0] + 2 * dims[0]
        for s in 0..<4 {
            let c = dims[s]
            if s > 0 { n += 2 * dims[s - 1] + c * dims[s - 1] * 4 + c }
            let block = c * 49 + c + 2 * c + (4 * c * c + 4 * c) + 2 * 4 * c + (c * 4 * c + c)
            n += block * depths[s]
        }
        return n + 2 * dims[3] + numClasses * dims[3] + numClasses
    }

    /// Multiply-accumulates of one forward pass at `height`x`width`.
    public func macs(height: Int, width: Int) -> Int {
        var h = height / 4, w = width / 4
        var total = h * w * dims[0] * 48
        for s in 0..<4 {
            let c = dims[s]
            if s > 0 {
                h /= 2; w /= 2
                total += h * w * c * dims[s - 1] * 4
            }
            total += depths[s] * h * w * (c * 49 + 8 * c * c)
        }
        return total + dims[3] * numClasses
    }
}
