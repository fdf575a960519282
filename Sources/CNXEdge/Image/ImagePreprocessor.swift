/// timm's evaluation transform for ConvNeXt V2 (`transforms_imagenet_eval`, crop mode "center"),
/// reproduced bit for bit on Pillow-decoded images:
///
/// 1. Resize with Pillow's antialiased ``ResampleFilter`` on 8-bit RGB (two separable passes in
///    ``ResamplePassOrder``, fixed-point weights, 8-bit clamped intermediate), to the size given by the
///    ``ResizeRule`` and the scale size `floor(height / cropPercent)` x `floor(width / cropPercent)`.
/// 2. Center-crop `height` x `width` (torchvision's rounding; zero padding where the resized image
///    is smaller, which needs `cropPercent > 1` or `.shorterSide` forced on a non-square target).
/// 3. `ToTensor` then `Normalize`: `(Float(v) / 255 - mean[c]) / std[c]` in Float, in that order.
///
/// For a square target timm uses torchvision `Resize(int)` (shorter side, bicubic for these
/// models). For a non-square target timm 1.0 uses `ResizeKeepRatio(scale_size)`, which keeps the
/// aspect ratio and, because timm does not pass its interpolation through, resizes **bilinearly**;
/// the defaults follow timm, and `resizeRule` / `filter` override them (e.g. `.squash`, `.bicubic`
/// for timm's "squash" crop mode).
///
/// Only the pixels inside the crop window are resampled (identical values, less work); nothing is
/// allocated per pixel. Output layout: NCHW `[1, 3, height, width]` as `3 * height * width` floats.
public struct ImagePreprocessor: Sendable, Equatable {
    /// ImageNet channel means (R, G, B), timm's `IMAGENET_DEFAULT_MEAN`.
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    /// ImageNet channel standard deviations (R, G, B), timm's `IMAGENET_DEFAULT_STD`.
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]

    /// Output rows.
    public let height: Int
    /// Output columns.
    public let width: Int
    /// timm's `crop_pct`: the crop covers this fraction of the resized image.
    public let cropPercent: Double
    /// Per-channel mean subtracted after scaling to 0...1 (R, G, B).
    public let mean: [Float]
    /// Per-channel divisor applied after the mean (R, G, B).
    public let std: [Float]
    /// How the resized size is chosen.
    public let resizeRule: ResizeRule
    /// The resampling filter.
    public let filter: ResampleFilter
    /// Which resampling pass runs first (the Pillow release to match bit for bit).
    public let passOrder: ResamplePassOrder
    /// `floor(height / cropPercent)`, timm's `scale_size[0]`.
    public let scaleHeight: Int
    /// `floor(width / cropPercent)`, timm's `scale_size[1]`.
    public let scaleWidth: Int

    /// Per channel, the normalised value of each byte: `lookup[c * 256 + v]`.
    private let lookup: [Float]

    /// timm's eval transform for a square `size` x `size` input (224 for these models):
    /// shorter side to `floor(size / cropPercent)` (256), bicubic, center crop.
    public init(size: Int = 224, cropPercent: Double = 0.875,
                mean: [Float] = ImagePreprocessor.imagenetMean, std: [Float] = ImagePreprocessor.imagenetStd) {
        self.init(height: size, width: size, cropPercent: cropPercent, mean: mean, std: std)
    }

    /// timm's eval transform for a `height` x `width` input.
    /// - Parameters:
    ///   - resizeRule: defaults to timm's choice, `.shorterSide` when the two scale sizes are
    ///     equal, `.keepRatio` otherwise.
    ///   - filter: defaults to timm's effective interpolation, `.bicubic` with `.shorterSide` and
    ///     `.squash`, `.bilinear` with `.keepRatio` (timm's `ResizeKeepRatio` default).
    ///   - passOrder: the Pillow release whose pass order to reproduce (default Pillow 13).
    /// - Precondition: `height` and `width` in 1...16384, `cropPercent` finite and large enough
    ///   that both scale sizes are at least 1 and at most 65536, three means and three non-zero
    ///   stds. These are programming errors; the CLI validates user input first.
    public init(height: Int, width: Int, cropPercent: Double = 0.875,
                mean: [Float] = ImagePreprocessor.imagenetMean, std: [Float] = ImagePreprocessor.imagenetStd,
                resizeRule: ResizeRule? = nil, filter: ResampleFilter? = nil, passOrder: ResamplePassOrder = .pillow13) {
        precondition((1...16384).contains(height) && (1...16384).contains(width),
                     "ImagePreprocessor: target \(height)x\(width) out of range")
        precondition(cropPercent.isFinite && cropPercent > 0, "ImagePreprocessor: cropPercent \(cropPercent)")
        let scaleHeight = Int((Double(height) / cropPercent).rounded(.down))
        let scaleWidth = Int((Double(width) / cropPercent).rounded(.down))
        precondition((1...65536).contains(scaleHeight) && (1...65536).contains(scaleWidth),
                     "ImagePreprocessor: scale size \(scaleHeight)x\(scaleWidth) out of range")
        precondition(mean.count == 3 && std.count == 3 && std.allSatisfy { $0 != 0 && $0.isFinite },
                     "ImagePreprocessor: need three means and three non-zero stds")
        let rule = resizeRule ?? (scaleHeight == scaleWidth ? .shorterSide : .keepRatio)
        self.height = height
        self.width = width
        self.cropPercent = cropPercent
        self.mean = mean
        self.std = std
        self.resizeRule = rule
        self.filter = filter ?? (rule == .keepRatio ? .bilinear : .bicubic)
        self.passOrder = passOrder
        self.scaleHeight = scaleHeight
        self.scaleWidth = scaleWidth
        var lookup = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            for v in 0..<256 { lookup[c * 256 + v] = (Float(v) / 255 - mean[c]) / std[c] }
        }
        self.lookup = lookup
    }

    /// The shorter side a decoded image needs for this transform's resize to be a downscale:
    /// `min(scaleHeight, scaleWidth)` (256 for 224); what a reduced-scale JPEG decode keeps.
    public var minimumSourceShortSide: Int { min(scaleHeight, scaleWidth) }

    /// Number of floats in one output tensor, `3 * height * width`.
    public var tensorCount: Int { 3 * height * width }

    /// The size an `imageHeight` x `imageWidth` image is resized to before cropping.
    public func resizedSize(imageHeight: Int, imageWidth: Int) -> (height: Int, width: Int) {
        resizeRule.resizedSize(height: imageHeight, width: imageWidth, scaleHeight: scaleHeight, scaleWidth: scaleWidth)
    }

    /// The crop window's top-left corner in the resized image (negative when padding).
    public func cropOrigin(resizedHeight: Int, resizedWidth: Int) -> (top: Int, left: Int) {
        (centerCropStart(image: resizedHeight, crop: height), centerCropStart(image: resizedWidth, crop: width))
    }

    /// The network input for `image`: NCHW `[1, 3, height, width]`, `3 * height * width` floats.
    public func tensor(from image: DecodedImage) -> [Float] {
        [Float](unsafeUninitializedCapacity: tensorCount) { out, initialized in
            writeTensor(from: image, into: out)
            initialized = tensorCount
        }
    }

    /// Writes the network input for `image` into `out` (NCHW, `tensorCount` floats), e.g. one
    /// slot of a batch.
    /// - Precondition: `out.count >= tensorCount`.
    public func writeTensor(from image: DecodedImage, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= tensorCount, "ImagePreprocessor: output holds \(out.count) floats, need \(tensorCount)")
        let resized = resizedSize(imageHeight: image.height, imageWidth: image.width)
        let (top, left) = cropOrigin(resizedHeight: resized.height, resizedWidth: resized.width)
        // The part of the crop window that lies inside the resized image; the rest is zero padding.
        let rows = max(top, 0)..<min(top + height, resized.height)
        let columns = max(left, 0)..<min(left + width, resized.width)
        let plane = height * width
        let base = out.baseAddress!
        lookup.withUnsafeBufferPointer { lut in
            if rows.count != height || columns.count != width {
                for c in 0..<3 { (base + c * plane).update(repeating: lut[c * 256], count: plane) }
            }
            guard !rows.isEmpty, !columns.isEmpty else { return }
            let window = image.pixels.withUnsafeBufferPointer { src in
                pillowResizeWindowRGB8(src.baseAddress!, height: image.height, width: image.width, to: resized,
                                       rows: rows, columns: columns, filter: filter, order: passOrder)
            }
            window.withUnsafeBufferPointer { pixels in
                for r in 0..<rows.count {
                    let rowOffset = (rows.lowerBound + r - top) * width + (columns.lowerBound - left)
                    let src = pixels.baseAddress! + r * columns.count * 3
                    for c in 0..<3 {
                        let dst = base + c * plane + rowOffset
                        let table = lut.baseAddress! + c * 256
                        for x in 0..<columns.count { dst[x] = table[Int(src[x * 3 + c])] }
                    }
                }
            }
        }
    }
}
