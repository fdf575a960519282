// Reading ConvNeXtV2Weights from a checkpoint: loader-dependent, so it lives in CNXEdge, not the runtime.

extension ConvNeXtV2Weights {
    /// Builds the model from a checkpoint's tensors in any supported naming scheme.
    ///
    /// The architecture is inferred from the shapes (stem width, blocks per stage, classifier rows);
    /// if `expected` is given, the inferred one must be that size.
    /// - Throws: ``WeightLoadingError`` naming the first missing, misshapen or non-finite tensor.
    public init(archive: TensorArchive, expected: ModelSize? = nil) throws {
        guard let scheme = CheckpointNaming.scheme(of: archive.keys) else {
            throw WeightLoadingError.notConvNeXtV2(
                reason: "no stem tensor (stem.0.weight, convnextv2.embeddings.patch_embeddings.weight or downsample_layers.0.0.weight) among \(archive.count) tensors")
        }
        var tensors: TensorArchive = [:]
        for (name, tensor) in archive {
            if let canonical = CheckpointNaming.canonicalName(name, scheme: scheme) { tensors[canonical] = tensor }
        }
        let reader = TensorReader(tensors: tensors, scheme: scheme)
        let config = try Self.inferConfig(tensors)
        if let expected, config.size != expected {
            throw WeightLoadingError.modelMismatch(requested: expected.rawValue, found: config.description)
        }
        let d = config.dims
        let stemWeight = try reader.read("stem.0.weight", [d[0], 3, 4, 4])
        let stemBias = try reader.read("stem.0.bias", [d[0]])
        let stemNorm = try reader.layerNorm("stem.1", d[0])
        let stages = try (0..<4).map { s in
            let c = d[s]
            var downsample: DownsampleWeights?
            if s > 0 {
                downsample = DownsampleWeights(
                    norm: try reader.layerNorm("stages.\(s).downsample.0", d[s - 1]),
                    convWeight: try reader.read("stages.\(s).downsample.1.weight", [c, d[s - 1], 2, 2]),
                    convBias: try reader.read("stages.\(s).downsample.1.bias", [c]))
            }
            let blocks = try (0..<config.depths[s]).map { b in
                let p = "stages.\(s).blocks.\(b)."
                return BlockWeights(
                    dwconvWeight: try reader.read(p + "conv_dw.weight", [c, 1, 7, 7]),
                    dwconvBias: try reader.read(p + "conv_dw.bias", [c]),
                    norm: try reader.layerNorm(p + "norm", c),
                    fc1Weight: try reader.read(p + "mlp.fc1.weight", [4 * c, c], alternatives: [[4 * c, c, 1, 1]]),
                    fc1Bias: try reader.read(p + "mlp.fc1.bias", [4 * c]),
                    grnGamma: try reader.read(p + "mlp.grn.weight", [4 * c], alternatives: [[1, 1, 1, 4 * c]]),
                    grnBeta: try reader.read(p + "mlp.grn.bias", [4 * c], alternatives: [[1, 1, 1, 4 * c]]),
                    fc2Weight: try reader.read(p + "mlp.fc2.weight", [c, 4 * c], alternatives: [[c, 4 * c, 1, 1]]),
                    fc2Bias: try reader.read(p + "mlp.fc2.bias", [c]))
            }
            return StageWeights(downsample: downsample, blocks: blocks)
        }
        self.init(
            config: config, stemWeight: stemWeight, stemBias: stemBias, stemNorm: stemNorm, stages: stages,
            headNorm: try reader.layerNorm("head.norm", d[3]),
            headWeight: try reader.read("head.fc.weight", [config.numClasses, d[3]]),
            headBias: try reader.read("head.fc.bias", [config.numClasses]))
    }

    /// Widths from the stem and downsample convolutions, depths from the highest block index per
    /// stage, classes from the classifier.
    static func inferConfig(_ t: TensorArchive) throws -> ModelConfig {
        guard let stem = t["stem.0.weight"], stem.shape.count == 4 else {
            throw WeightLoadingError.notConvNeXtV2(reason: "stem.0.weight missing or not 4-D")
        }
        var dims = [stem.shape[0]]
        for s in 1..<4 {
            let name = "stages.\(s).downsample.1.weight"
            guard let ds = t[name] else { throw WeightLoadingError.missingTensor(name) }
            guard ds.shape.count == 4 else {
                throw WeightLoadingError.shapeMismatch(tensor: name, expected: [-1, dims[s - 1], 2, 2], found: ds.shape)
            }
            dims.append(ds.shape[0])
        }
        var depths = [Int](repeating: 0, count: 4)
        for name in t.keys where name.hasPrefix("stages.") {
            let p = name.split(separator: ".")
            if p.count > 3, p[2] == "blocks", let s = Int(p[1]), let b = Int(p[3]), (0..<4).contains(s) {
                depths[s] = max(depths[s], b + 1)
            }
        }
        if let s = depths.firstIndex(of: 0) {
            throw WeightLoadingError.notConvNeXtV2(reason: "stage \(s) has no blocks")
        }
        guard let fc = t["head.fc.weight"] else { throw WeightLoadingError.missingTensor("head.fc.weight") }
        guard fc.shape.count == 2, fc.shape[0] > 0 else {
            throw WeightLoadingError.shapeMismatch(tensor: "head.fc.weight", expected: [-1, dims[3]], found: fc.shape)
        }
        if dims.contains(where: { $0 <= 0 }) {
            throw WeightLoadingError.notConvNeXtV2(reason: "stage widths \(dims) are not all positive")
        }
        return ModelConfig(dims: dims, depths: depths, numClasses: fc.shape[0])
    }
}

/// Reads canonical tensors with shape and finiteness checks.
/// Errors name tensors as the file spells them; a missing one by its timm name, saying so when the
/// file uses another scheme.
private struct TensorReader {
    let tensors: TensorArchive
    let scheme: CheckpointNaming.Scheme

    func read(_ name: String, _ shape: [Int], alternatives: [[Int]] = []) throws -> [Float] {
        guard let t = tensors[name] else {
            throw WeightLoadingError.missingTensor(scheme == .timm ? name : "\(name) (timm name; the file uses \(scheme.rawValue) names)")
        }
        guard t.shape == shape || alternatives.contains(t.shape) else {
            throw WeightLoadingError.shapeMismatch(tensor: t.name, expected: shape, found: t.shape)
        }
        let values = t.floats()
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw WeightLoadingError.nonFiniteValue(tensor: t.name, index: bad)
        }
        return values
    }

    func layerNorm(_ prefix: String, _ c: Int) throws -> LayerNormWeights {
        LayerNormWeights(gamma: try read(prefix + ".weight", [c]), beta: try read(prefix + ".bias", [c]))
    }
}
