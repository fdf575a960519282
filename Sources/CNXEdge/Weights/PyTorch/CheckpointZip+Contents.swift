import Foundation
import ZIPFoundation

extension CheckpointZip {
    /// Deflate never expands data by more than this factor (RFC 1951's best case is 1032:1), so a
    /// declared size beyond it is a lie, whatever the stream holds.
    static let maxDeflateRatio = 1032

    /// The uncompressed bytes of `entry`: a slice of the archive (no copy) for a stored entry, a new
    /// buffer for a deflated one.
    /// - Throws: ``WeightLoadingError/malformedHeader(reason:offset:)`` for another compression
    ///   method, a corrupt deflate stream, or one whose output differs from the declared size.
    func contents(of entry: Entry) throws -> Data {
        let raw = try data.slice(entry.dataRange.lowerBound, entry.dataRange.count, "zip entry \(entry.name)")
        switch entry.method {
        case 0:
            guard entry.uncompressedSize == raw.count else {
                throw WeightLoadingError.malformedHeader(
                    reason: "stored zip entry \(entry.name) declares \(entry.uncompressedSize) bytes but holds \(raw.count)",
                    offset: entry.dataRange.lowerBound)
            }
            return raw
        case 8:
            return try inflate(raw, entry: entry)
        default:
            throw WeightLoadingError.malformedHeader(
                reason: "zip entry \(entry.name) uses compression method \(entry.method); only stored (0) and deflate (8) are supported",
                offset: entry.dataRange.lowerBound)
        }
    }

    private func inflate(_ compressed: Data, entry: Entry) throws -> Data {
        let expected = entry.uncompressedSize
        let corrupt = WeightLoadingError.malformedHeader(
            reason: "deflate stream of zip entry \(entry.name) is corrupt or does not inflate to its declared \(expected) bytes",
            offset: entry.dataRange.lowerBound)
        guard expected / Self.maxDeflateRatio <= compressed.count else { throw corrupt }
        let chunk = 1 << 16
        var output = Data()
        do {
            _ = try Data.decompress(size: Int64(compressed.count), bufferSize: chunk, skipCRC32: true, provider: { position, size in
                // ZIPFoundation's zlib path tells inflate the chunk holds `size` bytes even when fewer are
                // left, so hand it exactly that many (zero-padded) and stop it once the input is spent.
                if size == 0 { return Data() }  // Apple's path asks for nothing once the input is spent
                let start = Int(position)
                guard start < compressed.count else { throw corrupt }
                let end = min(compressed.count, start + size)
                var piece = compressed[(compressed.startIndex + start)..<(compressed.startIndex + end)]
                if piece.count < size { piece = piece + Data(count: size - piece.count) }
                return Data(piece)
            }, consumer: { produced in
                guard produced.count <= expected - output.count else { throw corrupt }
                output.append(produced)
            })
        } catch let error as WeightLoadingError {
            throw error
        } catch {
            throw corrupt
        }
        guard output.count == expected else { throw corrupt }
        return output
    }
}
