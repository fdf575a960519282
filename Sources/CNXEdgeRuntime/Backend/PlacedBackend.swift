import Foundation
#if Native
import CCNXKernels
#endif

/// Runs a graph on several execution providers, each op on the provider its ``Placement``
/// names, the way ggml's backend scheduler or TFLite's delegate partitioning split a graph.
///
/// All providers share one arena and its layout (NHWC float32 activations, uint8 codes), so an op
/// hands its output to the next op whichever provider runs either; the native and xnnpack
/// providers share one pthreadpool. Only the providers the placement uses are created and
/// prepared.
///
/// Not safe to run from two threads at once; one instance per ``CompiledModel``.
public final class PlacedBackend: Backend, @unchecked Sendable {
    /// The policy given at creation.
    public let policy: PlacementPolicy
    let options: ExecutionOptions
    /// The placement chosen by ``prepare(_:)``.
    public private(set) var placement: Placement?
    /// Why a ``PlacementPolicy/fixed(_:)`` placement was not used, if it was not.
    public private(set) var placementNote: String?
    private var graph: Graph?
    /// The provider of each op, in graph order.
    private var runners: [any Backend] = []
    private var swift: SwiftBackend?
    #if Native
    private var native: NativeBackend?
    private var xnnpack: XNNPACKBackend?
    /// The pool the native and xnnpack providers run on, where it is shared (``Tuner``).
    private var sharedPool: NativeBackend.ThreadPool?

    /// Native and xnnpack on `sharedPool` (of `options.threads` threads) rather than a pool of their own.
    init(policy: PlacementPolicy, options: ExecutionOptions, sharedPool: NativeBackend.ThreadPool?) {
        self.policy = policy
        self.options = options
        self.sharedPool = sharedPool
    }
    #endif

    public init(policy: PlacementPolicy = .table, options: ExecutionOptions = .init()) {
        self.policy = policy
        self.options = options
    }

    /// The providers in use, e.g. `native` or `native+xnnpack`; before ``prepare(_:)`` the policy
    /// (`table`, `xnnpack preferred`, `stored placement`).
    public var name: String {
        guard let placement else {
            switch policy {
            case .table: return "table"
            case let .prefer(p): return "\(p) preferred"
            case .fixed: return "stored placement"
            }
        }
        return Provider.allCases.filter(placement.providers.contains).map(\.rawValue).joined(separator: "+")
    }

    /// Every op some provider of this build runs: all of them (swift and native run everything).
    public func supports(_ op: FusedOp) -> Bool { true }

    /// Whether `provider` runs `op` in this build on this CPU.
    public static func supports(_ provider: Provider, _ op: FusedOp) -> Bool {
        unsupportedReason(provider, op) == nil
    }

    /// Why `provider` cannot run `op` here, or `nil` where it can.
    public static func unsupportedReason(_ provider: Provider, _ op: FusedOp) -> String? {
        switch provider {
        case .swift: return nil
        case .native, .xnnpack:
            #if Native
            return provider == .native ? nil : XNNPACKBackend.reason(op)
            #else
            return "this cnx-edge was built without the Native trait"
            #endif
        }
    }

    /// The backend that runs `provider`'s ops, created on first use with this backend's options.
    func backend(_ provider: Provider) -> any Backend {
        switch provider {
        case .swift:
            if let swift { return swift }
            swift = SwiftBackend(options: options)
            return swift!
        case .native, .xnnpack:
            #if Native
            let n = native ?? (sharedPool.map { NativeBackend(options: options, threadPool: $0) } ?? NativeBackend(options: options))
            native = n
            if provider == .native { return n }
            if let xnnpack { return xnnpack }
            xnnpack = XNNPACKBackend(native: n)
            return xnnpack!
            #else
            preconditionFailure("provider \(provider) needs the Native trait")
            #endif
        }
    }

    /// Places every op (``policy``), then prepares each provider in use for `graph`.
    /// - Throws: ``GraphError`` if `graph` does not verify; ``ExecutionError`` if a provider
    ///   cannot run an op it was given.
    public func prepare(_ graph: Graph) throws {
        try graph.verify()
        let isa = options.isa
        var placement: Placement
        placementNote = nil
        switch policy {
        case .table: placement = .table(for: graph, isa: isa)
        case let .prefer(p): placement = .prefer(p, for: graph, isa: isa, supports: Self.supports)
        case let .fixed(fixed):
            placement = fixed
            if fixed.providers.count != graph.ops.count {
                placementNote = "the stored placement has \(fixed.providers.count) ops, this graph \(graph.ops.count): default table used"
                placement = .table(for: graph, isa: isa)
            } else if let i = graph.ops.indices.first(where: { !Self.supports(fixed.providers[$0], graph.ops[$0]) }) {
                placementNote = "the stored placement gives op \(i) to \(fixed.providers[i]), which cannot run it here: default table used"
                placement = .table(for: graph, isa: isa)
            }
        }
        for (i, op) in graph.ops.enumerated() {
            if let reason = Self.unsupportedReason(placement.providers[i], op) {
                throw ExecutionError.providerFailed(provider: placement.providers[i].rawValue, op: i, kind: op.kind, reason: reason)
            }
        }
        let used = Set(placement.providers)
        if used.contains(.swift) {
            try (backend(.swift) as! SwiftBackend).prepare(graph, only: Set(graph.ops.indices.filter { placement.providers[$0] == .swift }))
        }
        #if Native
        if used.contains(.native) || used.contains(.xnnpack) { try backend(.native).prepare(graph) }
        if used.contains(.xnnpack) {
            try (backend(.xnnpack) as! XNNPACKBackend).prepareOperators(graph, ops: graph.ops.indices.filter { placement.providers[$0] == .xnnpack })
        }
        #endif
        runners = placement.providers.map(backend)
        self.placement = placement
        self.graph = graph
    }

    /// The provider running `op` (found by equality in the prepared graph).
    private func runner(_ op: FusedOp) -> (Provider, any Backend)? {
        guard let graph, let placement, let i = graph.ops.firstIndex(of: op) else { return nil }
        return (placement.providers[i], runners[i])
    }

    /// The kernel of the provider that runs `op`, after ``prepare(_:)``.
    public func kernelName(for op: FusedOp) -> String {
        runner(op)?.1.kernelName(for: op) ?? "not placed"
    }

    /// The provider's own reason, then where the placement came from.
    public func selectionReason(for op: FusedOp) -> String {
        guard let (provider, backend) = runner(op) else { return "not placed" }
        return "\(provider): \(backend.selectionReason(for: op))"
    }

    /// The provider running op `index` and where that choice came from: `table`, `requested`, or
    /// `measured` with each candidate's median time, e.g. `measured: native 0.41 ms, xnnpack 0.63 ms`.
    public func placementDescription(op index: Int) -> String {
        guard let placement else { return "not placed" }
        switch placement.source {
        case .table: return "\(placement.providers[index]) (default table)" + (placementNote.map { "; \($0)" } ?? "")
        case .requested:
            guard case let .prefer(wanted) = policy, wanted != placement.providers[index] else {
                return "\(placement.providers[index]) (requested)"
            }
            return "\(placement.providers[index]) (default table: \(wanted) cannot run it)"
        case .measured:
            let times = index < placement.times.count ? placement.times[index] : [:]
            let list = Provider.allCases.compactMap { p in times[p.rawValue].map { "\(p) \(String(format: "%.3f", $0)) ms" } }
            return "\(placement.providers[index]) (measured: \(list.joined(separator: ", ")))"
        }
    }

    /// The scratch of the provider that runs `op`.
    public func scratchBytes(for op: FusedOp, in graph: Graph) -> Int {
        runner(op)?.1.scratchBytes(for: op, in: graph) ?? 0
    }

    public func execute(op index: Int, _ buffers: ExecutionBuffers) {
        runners[index].execute(op: index, buffers)
    }
}
