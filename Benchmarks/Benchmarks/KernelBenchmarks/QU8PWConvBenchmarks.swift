import Benchmark
import BenchmarkSupport
import CNXEdge

/// The swift int8 1x1 GEMM on Atto's int8 shapes: `qu8-pwconv-<variant>-<epilogue>__swift/ROWSxKxN`
/// (`variant` the one this build runs, ``QU8PWConvVariant``: `i16pairs` on `CNX_FMA` builds,
/// `exactf32` elsewhere; `epilogue` `u8-table` for fc1 + GELU, `f32-residual` for fc2), weights
/// widened to int16 pairs once in setup as the swift backend does.
final class QU8PWConvState: @unchecked Sendable {
    let rows: Int, k: Int, n: Int
    let weights: PackedInt8PointwiseWeights
    var input: [UInt8], scale: [Float], table: [UInt8], codes: [UInt8], floats: [Float]

    init(rows: Int, k: Int, n: Int) {
        self.rows = rows; self.k = k; self.n = n
        let w = gaussianArray(n * k, std: 40, seed: 21).map { Int32(max(-127, min(127, $0.rounded()))) }
        let bias = gaussianArray(n, std: 2000, seed: 22).map { Int32($0.rounded()) }
        weights = PackedInt8PointwiseWeights(weights: w, bias: bias, outputChannels: n, inputChannels: k).withInt16Pairs()
        input = gaussianArray(rows * k, std: 40, seed: 23).map { UInt8(max(0, min(255, $0 + 128))) }
        scale = [Float](repeating: 1e-4, count: (n + 15) / 16 * 16)
        table = (0..<256).map { UInt8($0) }
        codes = [UInt8](repeating: 0, count: rows * n)
        floats = [Float](repeating: 0, count: rows * n)
    }
}

func registerQU8PWConvBenchmarks() {
    // Atto's fc1 (C → 4C, GELU table) and fc2 (4C → C, residual) per stage at 224x224.
    for (side, c) in [(56, 40), (28, 80), (14, 160), (7, 320)] {
        let rows = side * side
        for fc1 in [true, false] {
            let (k, n) = fc1 ? (c, 4 * c) : (4 * c, c)
            let name = "qu8-pwconv-\(QU8PWConvVariant.preferred.name.dropFirst("qu8-pwconv-".count))-\(fc1 ? "u8-table" : "f32-residual")__swift"
            Benchmark("\(name)/\(rows)x\(k)x\(n)", configuration: .kernel(metrics: computeMetrics)) { benchmark, s in
                benchmark.measuringMACs(rows * k * n) {
                    s.scale.withUnsafeBufferPointer { scale in
                        s.table.withUnsafeBufferPointer { table in
                            s.codes.withUnsafeMutableBufferPointer { codes in
                                s.floats.withUnsafeMutableBufferPointer { floats in
                                    let epilogue: QU8PWConvEpilogue = fc1
                                        ? .codes(scale: scale.baseAddress!, zeroPoint: 128, table: table.baseAddress!, output: codes.baseAddress!)
                                        : .floatResidual(scale: scale.baseAddress!, output: floats.baseAddress!)
                                    qu8PWConv(input: s.input, inputStride: k, rows: 0..<rows, weights: s.weights, epilogue: epilogue)
                                }
                            }
                        }
                    }
                }
                blackHole(s.codes)
            } setup: {
                QU8PWConvState(rows: rows, k: k, n: n)
            }
        }
    }
}
