import Foundation

/// Element type of a tensor as stored in a checkpoint file.
///
/// Only the floating-point types ConvNeXt V2 checkpoints use are accepted; anything else is a
/// ``WeightLoadingError/unsupportedDType(tensor:dtype:)``.
public enum StorageDType: String, Sendable, CaseIterable {
    case float32 = "F32"
    case float16 = "F16"
    case bfloat16 = "BF16"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32: 4
        case .float16, .bfloat16: 2
        }
    }
}

/// One tensor read from a checkpoint: its name as the file spells it, shape, element type and
/// little-endian element bytes in row-major (C-contiguous) order.
///
/// Loaders produce these after checking that every byte range lies inside the file; converting to
/// `Float` cannot fail.
public struct RawTensor: Sendable {
    /// Name as written in the file (`stem.0.weight`, `downsample_layers.0.0.weight`, ...).
    public var name: String
    public var dtype: StorageDType
    /// Row-major shape; `[]` for a scalar.
    public var shape: [Int]
    /// `shape.product * dtype.byteSize` bytes, little-endian, contiguous.
    public var bytes: Data

    public init(name: String, dtype: StorageDType, shape: [Int], bytes: Data) {
        precondition(bytes.count == shape.reduce(1, *) * dtype.byteSize, "RawTensor byte count must match its shape")
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The elements widened to `Float` (exact for all three storage types).
    public func floats() -> [Float] {
        let n = count
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            bytes.withUnsafeBytes { raw in
                switch dtype {
                case .float32:
                    for i in 0..<n {
                        out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    }
                case .float16:
                    for i in 0..<n {
                        let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                        out[i] = Float(halfBits: bits)
                    }
                case .bfloat16:
                    for i in 0..<n {
                        let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                        out[i] = Float(bitPattern: UInt32(bits) << 16)
                    }
                }
            }
            initialized = n
        }
    }
}

extension Float {
    /// Widens IEEE 754 binary16 bits to `Float` exactly (subnormals, infinities and NaN included),
    /// without relying on the platform's `Float16` support.
    init(halfBits h: UInt16) {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0x1F {
            self = Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        } else if exponent == 0 {
            // Zero or subnormal: value = mantissa * 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            self = sign == 0 ? magnitude : -magnitude
        } else {
            self = Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}

/// The tensors of one checkpoint by name, as the file spells the names.
public typealias TensorArchive = [String: RawTensor]
