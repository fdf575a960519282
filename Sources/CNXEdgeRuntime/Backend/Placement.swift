/// An execution provider: one implementation of the ops, each running the ops it supports.
public enum Provider: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// Pure Swift with SIMD types: every op, no C library.
    case swift
    /// cnx-edge's C kernels, per ISA (package trait `Native`): every op.
    case native
    /// XNNPACK's operators for the 1x1, downsample and classifier convolutions, our C kernels for
    /// the steps around them (package trait `Native`): ``XNNPACKBackend/unsupportedReason(for:)``.
    case xnnpack

    public var description: String { rawValue }

    /// The providers this build has: `swift`, and `native` and `xnnpack` with the `Native` trait
    /// (`xnnpack` where XNNPACK initialises on this CPU).
    public static var available: [Provider] {
        #if Native
        XNNPACKBackend.isAvailable ? [.swift, .native, .xnnpack] : [.swift, .native]
        #else
        [.swift]
        #endif
    }
}

/// Which provider runs each op of a graph, and where that came from: the per-ISA default table,
/// a measurement on this device (`cnx-edge tune`, ``Tuner``), or a request (`--backend xnnpack`).
public struct Placement: Sendable, Equatable, Codable {
    /// Where a placement came from.
    public enum Source: String, Sendable, Codable {
        /// ``Placement/table(for:isa:)``.
        case table
        /// Timed on this device by ``Tuner``: ``Placement/times`` holds what was measured.
        case measured
        /// Asked for: one provider wherever it runs the op (``PlacementPolicy/prefer(_:)``).
        case requested
    }

    /// The provider of each op, in graph order.
    public var providers: [Provider]
    public var source: Source
    /// For a measured placement, each op's median milliseconds per candidate provider; else empty.
    public var times: [[String: Double]]

    public init(providers: [Provider], source: Source, times: [[String: Double]] = []) {
        self.providers = providers
        self.source = source
        self.times = times
    }

    /// The default placement on `isa`: per op, the provider the README's per-shape table
    /// measured fastest there (`cnx-edge tune --dry-run`), among those this build has.
    ///
    /// On x86-64 our C kernels beat Debian's 2022 XNNPACK on the 1x1 and downsample shapes of
    /// Atto, fp32 and int8, at 1 and 2 threads (README, "Execution providers and placement":
    /// 1.0-2.6x on Zen 3 with AVX2; the classifier level, within noise; fp32 1x1s 1.05-1.24x on an
    /// AVX-512 Zen 4/5 in an earlier session, int8 there not yet measured against qc8), so
    /// everything is `native`. On NEON no ARM64 device has measured them yet: `native` too, until
    /// `cnx-edge tune` measures XNNPACK's dot-product kernels on the device. Without the `Native`
    /// trait everything is `swift`.
    public static func table(for graph: Graph, isa: KernelISA?) -> Placement {
        // Asks nothing of XNNPACK, so a model the table places never initialises it.
        #if Native
        let preferred = Provider.native
        #else
        let preferred = Provider.swift
        #endif
        return Placement(providers: graph.ops.map { _ in preferred }, source: .table)
    }

    /// `provider` for every op it runs, the table's choice for the others.
    public static func prefer(_ provider: Provider, for graph: Graph, isa: KernelISA?,
                              supports: (Provider, FusedOp) -> Bool) -> Placement {
        let table = Self.table(for: graph, isa: isa)
        return Placement(providers: graph.ops.indices.map { supports(provider, graph.ops[$0]) ? provider : table.providers[$0] },
                         source: .requested)
    }
}

/// How a ``PlacedBackend`` places a graph's ops when it is prepared.
public enum PlacementPolicy: Sendable, Equatable {
    /// The per-ISA default table (``Placement/table(for:isa:)``).
    case table
    /// One provider wherever it runs the op, the table's choice elsewhere (`--backend xnnpack`).
    case prefer(Provider)
    /// A placement made before, e.g. stored by `cnx-edge tune` beside a `.cnx` file
    /// (``StoredPlacement``); it must fit the graph.
    case fixed(Placement)
}
