import CNXEdge
import Foundation

/// What every fuzz target shares: running a decoded model on every provider this build has, and
/// the rule that a typed error is a correct answer to bad bytes (anything else, a crash, a trap,
/// a leak, a hang, is a finding).
public enum Fuzz {
    /// Largest input (height x width) the targets run. A model file may declare any input size up
    /// to the format's limit; running a 4096x4096 one is a slow input, not a bug, so larger ones
    /// are decoded and planned but not run.
    public static let maxRunPixels = 64 * 64

    /// Providers to run on: swift, and native and xnnpack where the build has them.
    public static let providers: [BackendChoice] = [.swift, .native, .xnnpack].filter(\.isAvailable)

    /// Prepares `graph` on each provider and, when small enough, runs one inference on a fixed
    /// input; the logits must have the graph's class count. Errors are typed and fine.
    public static func runEverywhere(_ graph: Graph) {
        let pixels = graph.inputHeight * graph.inputWidth
        var input = [Float](repeating: 0, count: 3 * pixels)
        for i in input.indices { input[i] = Float(i % 17) / 8 - 1 }
        for provider in providers {
            do {
                let model = try CompiledModel(graph: graph, backend: provider.makeBackend(ExecutionOptions(threads: 1)))
                guard pixels <= maxRunPixels else { continue }
                let logits = try model.predict(input)
                precondition(logits.count == graph.classCount, "\(logits.count) logits for \(graph.classCount) classes")
            } catch {
                _ = "\(error)"  // every error must describe itself
            }
        }
    }

    /// Checkpoint bytes read by `parse`, then ConvNeXt V2 weights, compiled at 32x32 and run
    /// everywhere.
    public static func checkpoint(_ start: UnsafeRawPointer, _ count: Int, parse: (Data) throws -> TensorArchive) {
        do {
            let weights = try ConvNeXtV2Weights(archive: parse(data(start, count)))
            runEverywhere(try Compiler.compile(weights, height: 32, width: 32))
        } catch {
            _ = "\(error)"
        }
    }

    /// Image bytes through the project's decoder (content sniffed, as every caller does), then
    /// timm's exact preprocessing at 64x64 and the camera-frame path on the decoded RGB pixels, at
    /// full and at a reduced JPEG scale. The tensors must be finite.
    public static func decodeAndPreprocess(_ start: UnsafeRawPointer, _ count: Int, source: String) {
        let exact = ImagePreprocessor(height: 64, width: 64)
        for minimum in [nil, 73] as [Int?] {
            do {
                let image = try ImageDecoder.decode(data(start, count), source: source, minimumShortSide: minimum)
                precondition(image.pixels.count == image.width * image.height * 3, "\(image.pixels.count) bytes for \(image.width)x\(image.height)")
                let tensor = exact.tensor(from: image)
                precondition(tensor.count == 3 * 64 * 64 && tensor.allSatisfy(\.isFinite), "exact tensor")
                let frame = try image.pixels.withUnsafeBytes { bytes in
                    try FramePreprocessor(exact).tensor(from: PixelBuffer(pixels: bytes.baseAddress, width: image.width, height: image.height,
                                                                          rowStride: image.width * 3, format: .rgb8))
                }
                precondition(frame.count == 3 * 64 * 64 && frame.allSatisfy(\.isFinite), "frame tensor")
            } catch {
                _ = "\(error)"
            }
        }
    }

    /// `data` as a Foundation `Data` without copying (the fuzzer's buffer outlives the call).
    public static func data(_ start: UnsafeRawPointer, _ count: Int) -> Data {
        Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: start), count: count, deallocator: .none)
    }
}
