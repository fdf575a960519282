/// The `.cnx` compiled-model file, version 2 (fp32 and int8 graphs). All integers little-endian.
///
/// ```
/// header (64 bytes)
///   0  magic "CNXMODEL"           8 bytes
///   8  format version            u32 (2)
///  12  reserved                  u32 (0)
///  16  tables offset             u64 (64)
///  24  tables byte count         u64
///  32  weights offset            u64 (multiple of 64)
///  40  weights byte count        u64
///  48  checksum                  u64, FNV-1a over every other byte of the file (see `checksum`)
///  56  file byte count           u64
/// tables
///   input height, input width, input id, output id, tensor count, op count   u32 each
///   tensor × count: kind u8 (0 input, 1 activation, 2 constant),
///                   data type u8 (0 float32, 1 float64, 2 uint8, 3 int8, 4 int32),
///                   rank u8, layout u8 (``ConstantLayout``), name length u16, name (UTF-8),
///                   shape i64 × rank, data offset u64 (from the weights section), data bytes u64,
///                   and for uint8 only: scale f32 (finite, > 0), zero point i32 (0...255)
///   op × count:     kind u8, slot count u8, tensor id u32 × slots (0xFFFF_FFFF: none), epsilon f32,
///                   parameter count u8, then per parameter: tag u8, byte count u8, payload
///                   (``ModelFileFormat/OpParameter``; each tag at most once, only on its op kind)
/// weights: each constant 64-byte aligned, already in its kernel's layout (``ConstantLayout``)
/// ```
///
/// Slots per op kind (``ModelFileTables/slots(_:)``); an int8 convolution's per-channel weight
/// scales fill the next-to-last slot of `pointwiseGELU` (7 slots), `pointwise` (9) and
/// `downsample` (8), and a weight-only int8 weight's (``WeightOnlyInt8``) the last slot of those
/// and of `depthwiseConvLN` (7); `head` (9) has its steps, second plane and the plane's steps in
/// its last three. All are empty for a float op. Files written before weight-only int8 lack those
/// trailing slots and read as if they were empty. Version 1 files (float-only, no parameters)
/// are not read.
public enum ModelFileFormat {
    /// The first eight bytes of every `.cnx` file.
    public static let magic: [UInt8] = Array("CNXMODEL".utf8)
    /// The version this build reads and writes.
    public static let version: UInt32 = 2
    /// Bytes in the fixed header.
    public static let headerBytes = 64
    /// Byte offset of the checksum field in the header.
    public static let checksumOffset = 48
    /// Alignment of the weights section and of every constant in it.
    public static let alignment = 64
    /// Tensor id meaning "no tensor" in an op's optional slot.
    public static let noTensor: UInt32 = 0xFFFF_FFFF

    /// Tags of an op record's parameters. Each payload is a ``TensorQuantization``: scale f32,
    /// zero point i32 (8 bytes).
    public enum OpParameter: UInt8, Sendable, CaseIterable {
        /// `pointwiseGELU`: ``PointwiseGELUParameters/geluInput``.
        case geluInput = 1
        /// `downsample`: ``DownsampleParameters/normQuantization``.
        case normQuantization = 2

        /// Payload bytes.
        public var byteCount: Int { 8 }
    }

    /// FNV-1a (64-bit) over `bytes`, skipping the 8 checksum bytes of the header. Processes
    /// little-endian 64-bit words, then the tail bytes, so it runs at memory speed on large weights.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let prime: UInt64 = 0x100_0000_01b3
        func mix(_ range: Range<Int>) {
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                h = (h ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))) &* prime
                i += 8
            }
            while i < range.upperBound { h = (h ^ UInt64(bytes[i])) &* prime; i += 1 }
        }
        mix(0..<min(checksumOffset, bytes.count))
        if bytes.count > checksumOffset + 8 { mix((checksumOffset + 8)..<bytes.count) }
        return h
    }

    /// Op kind codes.
    package static func code(_ op: FusedOp) -> UInt8 {
        switch op {
        case .stem: 1
        case .depthwiseConvLN: 2
        case .pointwiseGELU: 3
        case .grn: 4
        case .pointwise: 5
        case .downsample: 6
        case .head: 7
        }
    }

    /// Data type codes.
    package static func code(_ type: TensorDataType) -> UInt8 {
        switch type {
        case .float32: 0
        case .float64: 1
        case .uint8: 2
        case .int8: 3
        case .int32: 4
        }
    }

    /// The data type of a code, `nil` for an unknown one.
    package static func dataType(_ code: UInt8) -> TensorDataType? {
        [.float32, .float64, .uint8, .int8, .int32][safe: Int(code)]
    }
}

extension Array {
    fileprivate subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
