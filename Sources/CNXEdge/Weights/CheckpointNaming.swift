/// Maps the three naming schemes ConvNeXt V2 checkpoints use onto timm's names, which the rest of
/// the loader treats as canonical.
///
/// - timm / Hugging Face hub `timm/` safetensors: `stem.0.weight`, `stages.S.blocks.B.conv_dw.weight`,
///   `stages.S.blocks.B.mlp.fc1.weight`, `stages.S.downsample.1.weight`, `head.fc.weight`.
/// - Hugging Face transformers: `convnextv2.embeddings.patch_embeddings.weight`,
///   `convnextv2.encoder.stages.S.layers.B.dwconv.weight`, `...grn.weight`, `convnextv2.layernorm.weight`,
///   `classifier.weight`.
/// - facebookresearch/ConvNeXt-V2 `.pt`: `downsample_layers.I.J`, `stages.S.B.dwconv`, `pwconv1`,
///   `grn.gamma`, `norm`, `head`.
enum CheckpointNaming {
    /// The naming scheme the tensor names follow, judged by the names the stem has in each.
    enum Scheme: String { case timm, transformers, official }

    static func scheme(of names: some Collection<String>) -> Scheme? {
        if names.contains("stem.0.weight") { return .timm }
        if names.contains("convnextv2.embeddings.patch_embeddings.weight") { return .transformers }
        if names.contains("downsample_layers.0.0.weight") { return .official }
        return nil
    }

    /// The timm name for `name` under `scheme`, or nil for tensors ConvNeXt V2 inference does not use
    /// (optimizer state, `num_batches_tracked`, ...).
    static func canonicalName(_ name: String, scheme: Scheme) -> String? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch scheme {
        case .timm:
            return name
        case .official:
            return officialToTimm(parts)
        case .transformers:
            return transformersToTimm(parts)
        }
    }

    private static let blockLeafs: [String: String] = [
        "dwconv": "conv_dw", "norm": "norm", "layernorm": "norm",
        "pwconv1": "mlp.fc1", "pwconv2": "mlp.fc2", "grn": "mlp.grn",
    ]

    private static func grnParam(_ p: String) -> String {
        switch p {
        case "gamma": "weight"
        case "beta": "bias"
        default: p
        }
    }

    private static func officialToTimm(_ p: [String]) -> String? {
        switch p.first {
        case "downsample_layers" where p.count == 4:
            guard let i = Int(p[1]) else { return nil }
            if i == 0 { return "stem.\(p[2]).\(p[3])" }
            return "stages.\(i).downsample.\(p[2]).\(p[3])"
        case "stages" where p.count == 5:
            guard let leaf = blockLeafs[p[3]] else { return nil }
            let param = p[3] == "grn" ? grnParam(p[4]) : p[4]
            return "stages.\(p[1]).blocks.\(p[2]).\(leaf).\(param)"
        case "norm" where p.count == 2: return "head.norm.\(p[1])"
        case "head" where p.count == 2: return "head.fc.\(p[1])"
        default: return nil
        }
    }

    private static func transformersToTimm(_ p: [String]) -> String? {
        var p = p
        if p.first == "convnextv2" { p.removeFirst() }
        if p.count == 2, p[0] == "classifier" { return "head.fc.\(p[1])" }
        if p.count == 2, p[0] == "layernorm" { return "head.norm.\(p[1])" }
        if p.count == 3, p[0] == "embeddings" {
            switch p[1] {
            case "patch_embeddings": return "stem.0.\(p[2])"
            case "layernorm": return "stem.1.\(p[2])"
            default: return nil
            }
        }
        if p.count >= 6, p[0] == "encoder", p[1] == "stages" {
            let s = p[2]
            if p[3] == "downsampling_layer", p.count == 6 { return "stages.\(s).downsample.\(p[4]).\(p[5])" }
            if p[3] == "layers", p.count == 7, let leaf = blockLeafs[p[5]] {
                let param = p[5] == "grn" ? grnParam(p[6]) : p[6]
                return "stages.\(s).blocks.\(p[4]).\(leaf).\(param)"
            }
        }
        return nil
    }
}
