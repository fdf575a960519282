import CNXEdge
import Foundation

// classify MODEL IMAGE...: the top-3 classes of each image (JPEG or PNG), then one synthetic NV12
// camera frame, with a model opened once and shared.
let arguments = CommandLine.arguments.dropFirst()
guard arguments.count >= 2, let modelPath = arguments.first else {
    FileHandle.standardError.write(Data("usage: classify MODEL.cnx IMAGE...\n".utf8))
    exit(2)
}
do {
    let classifier = try Classifier(contentsOf: modelPath, options: .init(threads: 1))
    print("\(classifier.precision) model, \(classifier.inputHeight)x\(classifier.inputWidth) input, \(classifier.classCount) classes")
    for path in arguments.dropFirst() {
        let top = try classifier.classify(imageAt: path, top: 3)
        print(path, top.map { "\($0.label) \(String(format: "%.1f%%", $0.probability * 100))" }.joined(separator: ", "))
    }
    // A camera frame: 1280x720 NV12 (Y plane, then interleaved U V), classified with no copy.
    let (width, height) = (1280, 720)
    var frame = [UInt8](repeating: 128, count: width * height * 3 / 2)
    for i in 0..<(width * height) { frame[i] = UInt8(truncatingIfNeeded: (i % width) / 5) }
    let session = try classifier.makeSession()   // one per camera thread; no allocation per frame
    let top = try frame.withUnsafeBytes { bytes in
        try session.classify(PixelBuffer(pixels: bytes.baseAddress, width: width, height: height, rowStride: width, format: .nv12), top: 1)
    }
    print("frame: \(top[0].label) (class \(top[0].classIndex))")
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
