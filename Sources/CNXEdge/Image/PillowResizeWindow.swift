/// Pillow's `Image.resize(size, filter)` of an interleaved RGB image, restricted to the window
/// `rows` x `columns` of the resized image (both within it). Returns the window as
/// `rows.count * columns.count * 3` interleaved bytes, identical to cropping Pillow's full result:
/// each output pixel depends only on its own weights, so only the source rows and columns the
/// window reads are resampled.
///
/// Like Pillow, a pass whose axis keeps its size is skipped, and `order` picks which pass runs
/// first when both are needed.
func pillowResizeWindowRGB8(
    _ source: UnsafePointer<UInt8>, height: Int, width: Int,
    to resized: (height: Int, width: Int), rows: Range<Int>, columns: Range<Int>,
    filter: ResampleFilter, order: ResamplePassOrder
) -> [UInt8] {
    precondition(!rows.isEmpty && !columns.isEmpty && rows.upperBound <= resized.height && columns.upperBound <= resized.width)
    let needHorizontal = resized.width != width
    let needVertical = resized.height != height
    let stride = width * 3
    let windowBytes = rows.count * columns.count * 3
    // Vertical-pass sums for one row; the widest row it resamples is the horizontal input span.
    let accumulator = UnsafeMutablePointer<Int32>.allocate(capacity: max(width, columns.count) * 3)
    defer { accumulator.deallocate() }
    return [UInt8](unsafeUninitializedCapacity: windowBytes) { window, initialized in
        let out = window.baseAddress!
        defer { initialized = windowBytes }
        switch (needHorizontal, needVertical) {
        case (false, false):
            for (r, y) in rows.enumerated() {
                (out + r * columns.count * 3).update(from: source + y * stride + columns.lowerBound * 3, count: columns.count * 3)
            }
        case (true, false):
            let horizontal = ResampleAxis(inSize: width, outSize: resized.width, outputs: columns, filter: filter)
            resampleHorizontalRGB8(source: source + rows.lowerBound * stride, rowStride: stride, rowCount: rows.count,
                                   firstColumn: 0, axis: horizontal, out: out)
        case (false, true):
            let vertical = ResampleAxis(inSize: height, outSize: resized.height, outputs: rows, filter: filter)
            resampleVerticalRGB8(source: source + columns.lowerBound * 3, rowStride: stride, firstRow: 0,
                                 rowBytes: columns.count * 3, axis: vertical, accumulator: accumulator, out: out)
        case (true, true):
            let horizontal = ResampleAxis(inSize: width, outSize: resized.width, outputs: columns, filter: filter)
            let vertical = ResampleAxis(inSize: height, outSize: resized.height, outputs: rows, filter: filter)
            if order.verticalFirst(inHeight: height, inWidth: width, outHeight: resized.height, outWidth: resized.width) {
                // Vertical over just the source columns the horizontal pass reads, then horizontal.
                let span = horizontal.inputSpan
                var temp = [UInt8](repeating: 0, count: rows.count * span.count * 3)
                temp.withUnsafeMutableBufferPointer { t in
                    resampleVerticalRGB8(source: source + span.lowerBound * 3, rowStride: stride, firstRow: 0,
                                         rowBytes: span.count * 3, axis: vertical, accumulator: accumulator, out: t.baseAddress!)
                    resampleHorizontalRGB8(source: t.baseAddress!, rowStride: span.count * 3, rowCount: rows.count,
                                           firstColumn: span.lowerBound, axis: horizontal, out: out)
                }
            } else {
                // Horizontal over just the source rows the vertical pass reads, then vertical.
                let span = vertical.inputSpan
                var temp = [UInt8](repeating: 0, count: span.count * columns.count * 3)
                temp.withUnsafeMutableBufferPointer { t in
                    resampleHorizontalRGB8(source: source + span.lowerBound * stride, rowStride: stride, rowCount: span.count,
                                           firstColumn: 0, axis: horizontal, out: t.baseAddress!)
                    resampleVerticalRGB8(source: t.baseAddress!, rowStride: columns.count * 3, firstRow: span.lowerBound,
                                         rowBytes: columns.count * 3, axis: vertical, accumulator: accumulator, out: out)
                }
            }
        }
    }
}
