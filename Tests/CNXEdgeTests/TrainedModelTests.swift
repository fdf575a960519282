import CNXEdge
import Foundation
import Testing
import _CNXEdgeTestSupport

/// The genuinely trained Atto in `../shared/reference/trained`: logits against timm's, straight from
/// the reference input tensors and end to end from the JPEG files through our preprocessing.
@Suite("Trained Atto test bed")
struct TrainedModelTests {
    @Test("logits within 1e-4 of timm from the tensors and from the image files", arguments: [1, 2])
    func trainedParity(threads: Int) throws {
        let weights = try WeightLoader.load(path: ReferenceFiles.reference("trained/convnextv2_atto_exemplar.safetensors"), expected: .atto)
        let model = try CompiledModel(graph: Compiler.compile(weights, height: 224, width: 224),
                                      backend: SwiftBackend(options: ExecutionOptions(threads: threads)))
        let vectors = try ReferenceFiles.vectors("trained/convnextv2_atto_exemplar_vectors.safetensors")
        let listing = try Data(contentsOf: URL(fileURLWithPath: ReferenceFiles.reference("trained/vectors.json")))
        let files = try #require((try JSONSerialization.jsonObject(with: listing) as? [String: Any])?["images"] as? [String])
        let preprocessor = ImagePreprocessor(height: 224, width: 224)
        for (i, file) in files.enumerated() {
            let reference = try #require(vectors["logits_image_\(i)"]).values
            let input = try #require(vectors["input_image_\(i)"]).values
            let fromTensor = try model.predict(input)
            #expect(relativeL2Error(fromTensor, reference) <= 1e-4, "\(file) from the tensor")
            let image = try ImageDecoder.decode(path: ReferenceFiles.shared.appendingPathComponent("eval-images/\(file)").path)
            let fromImage = try model.predict(preprocessor.tensor(from: image))
            let error = relativeL2Error(fromImage, reference)
            #expect(error <= 1e-4, "\(file) from the JPEG: \(error)")
            // The trained model knows these images: its top-1 is the synset in the file name.
            let top1 = fromImage.indices.max { fromImage[$0] < fromImage[$1] }
            #expect(top1 == ImageNetClasses.label(forFileName: file), "\(file)")
        }
    }
}
