import CNXEdge
import Foundation

/// Writes safetensors bytes, for building test checkpoints (renamed, reshaped, corrupted).
public enum SafeTensorsEncoder {
    /// Encodes `tensors` (all F32 unless a tensor says otherwise) in name order.
    public static func encode(_ tensors: [RawTensor], metadata: [String: String]? = nil) -> Data {
        var header: [String: Any] = [:]
        if let metadata { header["__metadata__"] = metadata }
        var body = Data()
        for t in tensors.sorted(by: { $0.name < $1.name }) {
            header[t.name] = ["dtype": t.dtype.rawValue, "shape": t.shape, "data_offsets": [body.count, body.count + t.bytes.count]]
            body.append(t.bytes)
        }
        var json = try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (8 + json.count) % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(body)
        return out
    }

    /// An F32 tensor from values.
    public static func f32(_ name: String, _ shape: [Int], _ values: [Float]) -> RawTensor {
        var bytes = Data(capacity: values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return RawTensor(name: name, dtype: .float32, shape: shape, bytes: bytes)
    }
}
