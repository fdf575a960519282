/// How the eval transform picks the resized image size from the source size and the scale size
/// `(scaleHeight, scaleWidth) = (floor(height / cropPercent), floor(width / cropPercent))`.
public enum ResizeRule: String, Sendable, Equatable, CaseIterable {
    /// torchvision `Resize(int)` (timm's square case): the shorter side becomes
    /// `s = min(scaleHeight, scaleWidth)`, the longer `int(s * long / short)` (Double division,
    /// truncated), as `_compute_resized_output_size` does.
    case shorterSide
    /// timm `ResizeKeepRatio(scale_size)` (timm's non-square "center" case): with
    /// `ratio = min(h / scaleHeight, w / scaleWidth)`, each side becomes `round(side / ratio)`,
    /// Python's round-half-to-even, so both sides cover the scale size.
    case keepRatio
    /// torchvision `Resize((scaleHeight, scaleWidth))` (timm's "squash" crop mode): aspect ratio
    /// is not kept.
    case squash

    /// The resized `(height, width)` for a `height` x `width` source.
    func resizedSize(height: Int, width: Int, scaleHeight: Int, scaleWidth: Int) -> (height: Int, width: Int) {
        switch self {
        case .shorterSide:
            let target = min(scaleHeight, scaleWidth)
            let short = min(height, width), long = max(height, width)
            let newLong = Int(Double(target * long) / Double(short))
            return width <= height ? (newLong, target) : (target, newLong)
        case .keepRatio:
            let ratio = min(Double(height) / Double(scaleHeight), Double(width) / Double(scaleWidth))
            let h = (Double(height) / ratio).rounded(.toNearestOrEven)
            let w = (Double(width) / ratio).rounded(.toNearestOrEven)
            return (max(Int(h), 1), max(Int(w), 1))
        case .squash:
            return (scaleHeight, scaleWidth)
        }
    }
}

/// torchvision `center_crop` offset along one axis: where a `crop`-long window starts in an
/// `image`-long axis. When the image is shorter, torchvision pads `(crop - image) / 2` (floor)
/// zeros before it, so the window starts at minus that. Otherwise the start is
/// `int(round((image - crop) / 2.0))`, Python's round-half-to-even (a difference of 33 starts at
/// 16, one of 35 at 18).
func centerCropStart(image: Int, crop: Int) -> Int {
    if crop > image { return -((crop - image) / 2) }
    let half = (Double(image - crop) / 2).rounded(.toNearestOrEven)
    return Int(half)
}
