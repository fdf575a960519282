/// Which of the two resampling passes Pillow runs first. The passes round to 8 bits in between,
/// so the order can move a few pixels by one level; it changed between Pillow releases, and a
/// bit-exact match needs the order of the Pillow version being matched. Only resizes that change
/// both axes are affected.
public enum ResamplePassOrder: String, Sendable, Equatable, CaseIterable {
    /// Pillow 13: vertical first when the height shrinks by more than twice as many pixels as the
    /// width does (`Resample.c`, `horizontal_first`). In timm's square pipeline this is a
    /// downscaled image more than twice as tall as it is wide.
    case pillow13
    /// Pillow 12.2 and 12.3: vertical first only when the image is over 100 times taller than
    /// wide and its height shrinks (`Image.resize`).
    case pillow12_2
    /// Pillow 12.1 and earlier: always horizontal first.
    case pillow12_1

    /// Whether resizing `inHeight` x `inWidth` to `outHeight` x `outWidth` runs the vertical pass first.
    func verticalFirst(inHeight: Int, inWidth: Int, outHeight: Int, outWidth: Int) -> Bool {
        switch self {
        case .pillow13:
            let heightLoss = inHeight - outHeight
            return heightLoss > 0 && heightLoss > (inWidth - outWidth) * 2
        case .pillow12_2:
            return inHeight > inWidth * 100 && outHeight < inHeight
        case .pillow12_1:
            return false
        }
    }
}
