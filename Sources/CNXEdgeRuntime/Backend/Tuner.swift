import Foundation

/// Measures on this device which provider runs each op of a graph fastest (`cnx-edge tune`).
///
/// Each candidate provider runs the whole graph wherever it supports an op (the table's choice
/// elsewhere), with a clock around every op; each op's median over the runs is its time on that
/// provider, in the cache state of a real inference. Every op goes to its fastest provider. Then
/// the tuned placement and the default table's run the whole graph in alternation, and the tuned
/// one is kept only if its median is not slower; otherwise the table's is (still stored as measured,
/// with the times).
public enum Tuner {
    /// What a tuning run measured.
    public struct Result: Sendable {
        /// The placement to store.
        public var placement: Placement
        /// Per op, each candidate's median milliseconds (only where it runs the op).
        public var times: [[Provider: Double]]
        /// Whole-graph medians, milliseconds, in the same run: the tuned placement and the table's.
        public var tunedMilliseconds: Double
        public var tableMilliseconds: Double
        /// Whether the tuned placement was slower than the table's, so the table's was kept.
        public var keptTable: Bool
        /// Wall time of the whole tuning run, seconds.
        public var seconds: Double
    }

    /// The ISA name a placement is measured for: the native kernels' (``NativeBackend/runningISA(requested:)``),
    /// `swift` without the `Native` trait.
    public static func isaName(_ options: ExecutionOptions) -> String {
        #if Native
        NativeBackend.runningISA(requested: options.isa).rawValue
        #else
        "swift"
        #endif
    }

    /// Tunes `graph` for `options` over `candidates` (every provider this build has by default).
    /// - Parameters:
    ///   - runs: timed whole-graph runs per candidate, in turn (the pure-Swift one every fourth),
    ///     and per placement in the final comparison.
    /// - Throws: ``GraphError``, ``ExecutionError``.
    public static func tune(_ graph: Graph, options: ExecutionOptions = .init(), candidates: [Provider] = Provider.available,
                            runs: Int = 20) throws -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        var rng: UInt64 = 0x9E37_79B9_7F4A_7C15
        let input = (0..<(3 * graph.inputHeight * graph.inputWidth)).map { _ -> Float in
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: rng >> 11) % 4000) / 1000 - 2
        }
        let table = Placement.table(for: graph, isa: options.isa)
        var times = [[Provider: Double]](repeating: [:], count: graph.ops.count)
        // Round-robin over the candidates, so a machine whose speed drifts (a noisy neighbour,
        // clocks) treats them alike.
        let backends = candidates.map { PlacedBackend(policy: .prefer($0), options: options) }
        let models = try backends.map { try CompiledModel(graph: graph, backend: $0) }
        var perOp = [[[UInt64]]](repeating: [[UInt64]](repeating: [], count: graph.ops.count), count: candidates.count)
        for run in 0..<(runs + 2) {
            for (c, provider) in candidates.enumerated() where provider != .swift || run % 4 == 0 || run < 2 {
                var ns = [UInt64](repeating: 0, count: graph.ops.count)
                _ = try models[c].predict(input, opNanoseconds: &ns)
                if run >= 2 { for i in ns.indices { perOp[c][i].append(ns[i]) } }  // two warm-up runs
            }
        }
        for (c, provider) in candidates.enumerated() {
            for (i, p) in backends[c].placement!.providers.enumerated() where p == provider {
                times[i][provider] = median(perOp[c][i].map { Double($0) / 1e6 })
            }
        }
        let tuned = graph.ops.indices.map { i -> Provider in
            let best = times[i].min { $0.value < $1.value || ($0.value == $1.value && $0.key == table.providers[i]) }
            return best?.key ?? table.providers[i]
        }
        let stringTimes = times.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.rawValue, $0.value) }) }
        // The tuned placement against the table's, whole graph, alternating.
        let candidate = Placement(providers: tuned, source: .measured, times: stringTimes)
        let pair = try [candidate, table].map { try CompiledModel(graph: graph, backend: PlacedBackend(policy: .fixed($0), options: options)) }
        var wall: [[Double]] = [[], []]
        for run in 0..<(runs + 2) {
            for (m, model) in pair.enumerated() {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try model.predict(input)
                if run >= 2 { wall[m].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
            }
        }
        let tunedMs = median(wall[0]), tableMs = median(wall[1])
        let keep = tuned == table.providers || tunedMs <= tableMs
        let placement = keep ? candidate : Placement(providers: table.providers, source: .measured, times: stringTimes)
        return Result(placement: placement, times: times, tunedMilliseconds: tunedMs, tableMilliseconds: tableMs, keptTable: !keep,
                      seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
