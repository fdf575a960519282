import Foundation

/// Measures on this device which provider runs each op of a graph fastest (`cnx-edge tune`).
///
/// Each candidate provider runs the whole graph wherever it supports an op (the table's choice
/// elsewhere), with a clock around every op; each op's median over the runs is its time on that
/// provider, in the cache state of a real inference. An op leaves the table's provider for one at
/// least ``requiredGain`` faster on it (swift only where the table puts everything on it: mixed
/// with native it measured slower). Then
/// the tuned placement and the default table's run the whole graph in alternation, and the tuned
/// one is kept only if its median is at least ``requiredGain`` faster and its op times add up to
/// that gain too; otherwise the table's is (still stored as measured, with the times).
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
        /// Whether the tuned placement was not ``Tuner/requiredGain`` faster than the table's, so the table's was kept.
        public var keptTable: Bool
        /// Wall time of the whole tuning run, seconds.
        public var seconds: Double
    }

    /// How much faster than the table's an op's provider must be for the op to move, and a tuned
    /// placement must run the whole model to be kept: 3%, about the spread of two medians of the
    /// same placement on a quiet machine. A placement
    /// that mixes providers costs at load (each provider packs its weights, XNNPACK creates its
    /// operators: 3-4 ms more to the first result for int8 Atto on Zen 3), which a gain within
    /// the noise does not repay.
    public static let requiredGain = 0.03

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
    ///   - runs: timed whole-graph runs per candidate (the pure-Swift one a quarter, at least 4)
    ///     and per placement in the final comparison, in turn (``roundRobin(_:block:_:)``).
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
        // Every candidate on one thread pool: an idle pool's workers spin for milliseconds after
        // their last task, which on two cores halved the next model's speed at two threads.
        #if Native
        let pool = options.threads > 1 ? NativeBackend.ThreadPool(threads: options.threads) : nil
        func placed(_ policy: PlacementPolicy) -> PlacedBackend { PlacedBackend(policy: policy, options: options, sharedPool: pool) }
        #else
        func placed(_ policy: PlacementPolicy) -> PlacedBackend { PlacedBackend(policy: policy, options: options) }
        #endif
        let backends = candidates.map { placed(.prefer($0)) }
        let models = try backends.map { try CompiledModel(graph: graph, backend: $0) }
        var perOp = [[[UInt64]]](repeating: [[UInt64]](repeating: [], count: graph.ops.count), count: candidates.count)
        try roundRobin(candidates.map { $0 == .swift ? max(4, runs / 4) : runs }) { c, timed in
            var ns = [UInt64](repeating: 0, count: graph.ops.count)
            _ = try models[c].predict(input, opNanoseconds: &ns)
            if timed { for i in ns.indices { perOp[c][i].append(ns[i]) } }
        }
        for (c, provider) in candidates.enumerated() {
            for (i, p) in backends[c].placement!.providers.enumerated() where p == provider {
                times[i][provider] = median(perOp[c][i].map { Double($0) / 1e6 })
            }
        }
        // swift is not mixed with native and xnnpack (it is timed, and shown): above one thread
        // its workers and their pthreadpool take turns spinning while the other runs (a mixed Atto
        // placement ran 23.0 ms against the table's 13.2 at two threads on Zen 3); at one thread a
        // mixed fp32 placement that won its tune run by 11% ran 15-20% slower at the median in
        // the benchmark runs after it (equal minimum: it suffers more from a noisy neighbour).
        let mixable: Set<Provider> = table.providers.contains(where: { $0 != .swift }) ? [.native, .xnnpack] : Set(Provider.allCases)
        // An op leaves the table's provider only for one at least `requiredGain` faster on it.
        let tuned = graph.ops.indices.map { i -> Provider in
            let home = table.providers[i]
            guard let best = times[i].filter({ mixable.contains($0.key) }).min(by: { $0.value < $1.value }),
                  let homeTime = times[i][home] else { return home }
            return best.value <= homeTime * (1 - requiredGain) ? best.key : home
        }
        let stringTimes = times.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.rawValue, $0.value) }) }
        // The tuned placement against the table's, whole graph, alternating.
        let candidate = Placement(providers: tuned, source: .measured, times: stringTimes)
        let pair = try [candidate, table].map { try CompiledModel(graph: graph, backend: placed(.fixed($0))) }
        // Both on the shared pool, never swift: they alternate run by run.
        var wall: [[Double]] = [[], []]
        try roundRobin([runs, runs], block: 1, warmUp: false) { m, timed in
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try pair[m].predict(input)
            if timed { wall[m].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
        }
        let tunedMs = median(wall[0]), tableMs = median(wall[1])
        // Kept only where both the op times and the whole model say it is `requiredGain` faster:
        // an op or two moved for a few microseconds each cannot make the whole model 3% faster,
        // however the medians of one run fall.
        let tableOps = graph.ops.indices.reduce(0.0) { $0 + (times[$1][table.providers[$1]] ?? 0) }
        let predicted = graph.ops.indices.reduce(0.0) { sum, i in
            guard let home = times[i][table.providers[i]], let chosen = times[i][tuned[i]] else { return sum }
            return sum + home - chosen
        }
        let keep = tuned == table.providers
            || (predicted >= tableOps * requiredGain && tunedMs <= tableMs * (1 - requiredGain))
        let placement = keep ? candidate : Placement(providers: table.providers, source: .measured, times: stringTimes)
        return Result(placement: placement, times: times, tunedMilliseconds: tunedMs, tableMilliseconds: tableMs, keptTable: !keep,
                      seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// Runs models in turn, in blocks of `block` timed runs each after an untimed one (two the
    /// first time), until model `m` has `runs[m]` timed runs; `run(m, timed)` runs model `m` once.
    /// The untimed run absorbs the switch: the workers of the model that ran before spin for a
    /// while after its last run, and on a two-core CPU they slow the next model's first run (by
    /// half at two threads, measured).
    /// `warmUp` false: untimed runs only the first time (models on one pool, none swift).
    static func roundRobin(_ runs: [Int], block: Int = 4, warmUp: Bool = true, _ run: (_ model: Int, _ timed: Bool) throws -> Void) rethrows {
        var done = [Int](repeating: 0, count: runs.count), first = true
        while runs.indices.contains(where: { done[$0] < runs[$0] }) {
            for m in runs.indices where done[m] < runs[m] {
                if warmUp || first { try run(m, false) }
                if first { try run(m, false) }
                let n = min(block, runs[m] - done[m])
                for _ in 0..<n { try run(m, true) }
                done[m] += n
            }
            first = false
        }
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
