import CCNXFrame

/// The fast path from a camera frame (``PixelBuffer``) to a network input: the geometry of timm's
/// eval transform (``ImagePreprocessor``: resize, center crop, mean/std), computed from the frame's
/// pixels in two passes with no full-size copy:
///
/// 1. **Box reduction with colour conversion.** Blocks of k x k source pixels, k = the integer part
///    of the downscale factor (even for YUV formats), are averaged over the part of the frame the
///    crop window reads (plus the filter's reach), then converted to RGB. Averaging Y, U and V
///    before converting is the same affine map, so only clamping differs from converting first.
/// 2. **Antialiased resample** of the reduced image to the crop window, with the
///    ``ImagePreprocessor``'s filter (bicubic for timm's square transform) scaled by the remaining
///    factor (between 1 and 2), then clamping to 0...255 and normalising.
///
/// Against the exact path (the frame converted to 8-bit RGB, then Pillow's two resampling passes
/// with 8-bit rounding between them) the differences are the box prefilter in place of the wide
/// bicubic kernel and the absence of 8-bit rounding: the README gives the measured logits SQNR and
/// top-1 agreement. A frame where the crop window needs padding (`cropPercent > 1`) runs the exact
/// path.
///
/// Holds its scratch (sized for the last frame geometry), so it is one caller's at a time; a frame
/// of the same size and format as the previous one allocates nothing.
public final class FramePreprocessor {
    /// The transform whose geometry and normalisation it follows.
    public let exact: ImagePreprocessor
    /// How YUV frames are converted to RGB.
    public var colorSpace: YUVColorSpace

    private var plan: Plan?
    private var reduced: [Float] = []
    private var tmp: [Float] = []
    private var acc: [UInt32] = []
    private let scale: [Float]
    private let shift: [Float]

    /// One axis of a plan: the box grid's origin and block count in source pixels, and each
    /// output's taps in the reduced image.
    struct Axis: Equatable {
        var origin: Int
        var blocks: Int
        var start: [Int32]
        var weights: [Float]
        var taps: Int
    }

    struct Plan {
        var width: Int, height: Int, format: PixelFormat
        var k: Int
        var x: Axis, y: Axis
    }

    public init(_ exact: ImagePreprocessor, colorSpace: YUVColorSpace = .bt601Limited) {
        self.exact = exact
        self.colorSpace = colorSpace
        scale = exact.std.map { 1 / (255 * $0) }
        shift = zip(exact.mean, exact.std).map { -$0 / $1 }
    }

    /// Writes the network input for `frame` into `out` (NCHW, ``ImagePreprocessor/tensorCount`` floats).
    /// - Throws: ``PixelBufferError`` for a bad buffer.
    public func writeTensor(from frame: PixelBuffer, into out: UnsafeMutableBufferPointer<Float>) throws {
        try frame.validate()
        precondition(out.count >= exact.tensorCount, "FramePreprocessor: output holds \(out.count) floats, need \(exact.tensorCount)")
        if plan == nil || plan!.width != frame.width || plan!.height != frame.height || plan!.format != frame.format {
            plan = makePlan(frame)
            guard let p = plan else {
                // Padding: the exact path on the frame converted to RGB.
                exact.writeTensor(from: try frame.rgbImage(colorSpace: colorSpace), into: out)
                return
            }
            let columns = p.x.blocks, rows = p.y.blocks
            reduced = [Float](repeating: 0, count: columns * rows * 3)
            tmp = [Float](repeating: 0, count: (rows + 1) * exact.width * 3)
            acc = [UInt32](repeating: 0, count: columns * p.k * 4)
        }
        let p = plan!
        var f = frame.frame
        var matrix = colorSpace.matrix
        let y0 = p.y.start[0], rowsRead = Int(p.y.start[exact.height - 1]) + p.y.taps - Int(y0)
        reduced.withUnsafeMutableBufferPointer { reduced in
            // Only the block rows the vertical taps read.
            cnx_frame_box_rgb(&f, Int32(p.x.origin), Int32(p.y.origin + Int(y0) * p.k), Int32(p.k), Int32(p.x.blocks),
                              Int32(rowsRead), &matrix, reduced.baseAddress! + Int(y0) * p.x.blocks * 3, &acc)
            cnx_frame_resample(reduced.baseAddress!, Int32(p.x.blocks), Int32(p.y.blocks),
                               p.x.start, p.x.weights, Int32(p.x.taps), Int32(exact.width),
                               p.y.start, p.y.weights, Int32(p.y.taps), Int32(exact.height),
                               scale, shift, &tmp, out.baseAddress!)
        }
    }

    /// The network input for `frame`.
    /// - Throws: ``PixelBufferError``.
    public func tensor(from frame: PixelBuffer) throws -> [Float] {
        var out = [Float](repeating: 0, count: exact.tensorCount)
        try out.withUnsafeMutableBufferPointer { try writeTensor(from: frame, into: $0) }
        return out
    }

    /// The box factor and both axes for `frame`, or `nil` where the crop window needs padding.
    func makePlan(_ frame: PixelBuffer) -> Plan? {
        let resized = exact.resizedSize(imageHeight: frame.height, imageWidth: frame.width)
        let (top, left) = exact.cropOrigin(resizedHeight: resized.height, resizedWidth: resized.width)
        guard top >= 0, left >= 0, top + exact.height <= resized.height, left + exact.width <= resized.width else { return nil }
        let sx = Double(frame.width) / Double(resized.width), sy = Double(frame.height) / Double(resized.height)
        var k = max(1, Int(min(sx, sy)))
        if frame.format.isYUV, k > 1 { k &= ~1 }
        while k > 1 {
            if let x = axis(source: frame.width, scale: sx, cropStart: left, outputs: exact.width, k: k, even: frame.format.isYUV),
               let y = axis(source: frame.height, scale: sy, cropStart: top, outputs: exact.height, k: k, even: frame.format.isYUV) {
                return Plan(width: frame.width, height: frame.height, format: frame.format, k: k, x: x, y: y)
            }
            k = frame.format.isYUV ? k - 2 : k - 1
        }
        guard let x = axis(source: frame.width, scale: sx, cropStart: left, outputs: exact.width, k: 1, even: frame.format.isYUV),
              let y = axis(source: frame.height, scale: sy, cropStart: top, outputs: exact.height, k: 1, even: frame.format.isYUV) else { return nil }
        return Plan(width: frame.width, height: frame.height, format: frame.format, k: 1, x: x, y: y)
    }

    /// One axis: output j's center in source pixels is `(cropStart + j + 0.5) * scale` (Pillow's
    /// convention); in the reduced image (blocks of k from `origin`) it is `(center - origin) / k`,
    /// where the filter is stretched by `max(scale / k, 1)`. `nil` if the reduced image would be
    /// narrower than a filter's taps.
    func axis(source n: Int, scale: Double, cropStart: Int, outputs: Int, k: Int, even: Bool) -> Axis? {
        let filter = exact.filter
        let stretch = max(scale / Double(k), 1), support = filter.support * stretch
        let first = (Double(cropStart) + 0.5) * scale, last = (Double(cropStart + outputs) - 0.5) * scale
        var origin = max(0, Int((first - (support + 1) * Double(k)).rounded(.down)))
        if even { origin &= ~1 }
        let reach = Int(((last + (support + 1) * Double(k) - Double(origin)) / Double(k)).rounded(.up))
        let blocks = min((n - origin) / k, reach)
        let taps = Int((2 * support).rounded(.up)) + 1
        guard blocks >= taps else { return nil }
        var start = [Int32](repeating: 0, count: outputs)
        var weights = [Float](repeating: 0, count: outputs * taps)
        for j in 0..<outputs {
            let center = ((Double(cropStart + j) + 0.5) * scale - Double(origin)) / Double(k)
            let lo = max(Int((center - support + 0.5).rounded(.down)), 0)
            let hi = min(Int((center + support + 0.5).rounded(.down)), blocks)
            var w = [Double](repeating: 0, count: max(hi - lo, 0))
            for x in lo..<hi { w[x - lo] = filter.weight((Double(x) + 0.5 - center) / stretch) }
            let total = w.reduce(0, +)
            guard total != 0, hi - lo <= taps else { return nil }
            let s = min(lo, blocks - taps)
            start[j] = Int32(s)
            for x in lo..<hi { weights[j * taps + x - s] = Float(w[x - lo] / total) }
        }
        return Axis(origin: origin, blocks: blocks, start: start, weights: weights, taps: taps)
    }
}
