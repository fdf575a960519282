/// The `.cnx` compiled-model file, version 5 (fp32 and int8 graphs, one op kind per precision,
/// optional class names). All integers little-endian.
///
/// ```
/// header (64 bytes)
///   0  magic "CNXMODEL"           8 bytes
///   8  format version            u32 (5; 4 is read too)
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
///   labels (version 5): count u32 (0, or the class count), then per class: length u16 (at most
///                   1,024), name (UTF-8, no line break). Version 4 ends after the ops: no labels.
/// weights: each constant 64-byte aligned, already in its kernel's layout (``ConstantLayout``)
/// ```
///
/// Op kinds and their slots (``ModelFileTables/slots(_:)``), one kind per ``FusedOp`` case, so
/// an op's precision is its kind: 1 stem (6 slots), 2 depthwiseConvLN (7), 3 pointwiseGELU (6),
/// 4 grn (5), 5 pointwise (6), 6 grnPointwise (7), 7 downsample (7), 8 head (9), 9
/// qu8DepthwiseConvLN (7), 10 qu8PointwiseGELU (6, with the `geluInput` parameter), 11 qu8GRN (5),
/// 12 qu8Pointwise (6), 13 qu8GRNPointwise (8), 14 qu8Downsample (8, with `normQuantization`; its last slot the output's
/// per-channel steps for XNNPACK, optional).
/// A float op's last slot holds its weight-only int8 steps (``WeightStorage``; empty for float32
/// weights), the head's last two its second plane and that plane's steps. Files of versions 1
/// and 2 (where int8 was optional fields of the float ops) and 3 (a qu8Downsample of 7 slots) are
/// refused: recompile them.
public enum ModelFileFormat {
    /// The first eight bytes of every `.cnx` file.
    public static let magic: [UInt8] = Array("CNXMODEL".utf8)
    /// The version this build reads and writes.
    public static let version: UInt32 = 5
    /// Every version this build reads: 4 is 5 without the labels section.
    public static let readableVersions: ClosedRange<UInt32> = 4...5
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
        /// `qu8PointwiseGELU` (required): ``QU8PointwiseGELUParameters/geluInput``.
        case geluInput = 1
        /// `qu8Downsample` (required): ``QU8DownsampleParameters/normQuantization``.
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
        case .grnPointwise: 6
        case .downsample: 7
        case .head: 8
        case .qu8DepthwiseConvLN: 9
        case .qu8PointwiseGELU: 10
        case .qu8GRN: 11
        case .qu8Pointwise: 12
        case .qu8GRNPointwise: 13
        case .qu8Downsample: 14
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
