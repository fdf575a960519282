import Foundation

/// Which execution providers run a model's ops: what `--backend` and ``Classifier``'s options
/// choose.
public enum BackendChoice: String, Sendable, CaseIterable {
    /// Each op on the provider of the placement stored beside a `.cnx` by `cnx-edge tune`, else of
    /// the per-ISA default table: the fastest this build knows for this CPU.
    case auto
    /// cnx-edge's C kernels, chosen from the CPU's features (package trait `Native`), every op.
    case native
    /// XNNPACK wherever it runs an op, our native kernels elsewhere (package trait `Native`).
    case xnnpack
    /// Pure Swift with SIMD types; no C library.
    case swift

    /// `native` where it was built in, else `swift`: what calibration and reports run on.
    public static var defaultChoice: BackendChoice {
        #if Native
        .native
        #else
        .swift
        #endif
    }

    /// Whether this build has the provider (`native` and `xnnpack` need the Native trait).
    public var isAvailable: Bool {
        #if Native
        true
        #else
        self == .auto || self == .swift
        #endif
    }

    /// Refuses a provider this build lacks, and `isa` for the native kernels where this CPU or
    /// build does not run it.
    /// - Throws: ``ExecutionError/providerUnavailable(_:)``.
    public func validate(isa: KernelISA?) throws {
        guard isAvailable else {
            throw ExecutionError.providerUnavailable("this cnx-edge was built without the Native trait; use the swift or auto backend")
        }
        #if Native
        if let isa, self != .swift, !NativeBackend.canRun(isa) {
            throw ExecutionError.providerUnavailable("instruction set \(isa): not run by this CPU or build (runs: \(NativeBackend.runnableISAs.map(\.rawValue).joined(separator: ", ")))")
        }
        #endif
    }

    /// For `auto`, the placement `cnx-edge tune` stored beside `.cnx` file `path` for `options`'
    /// ISA and thread count, if any, and a note when a stored one does not fit (then `nil`).
    public func storedPlacement(beside path: String, _ options: ExecutionOptions) -> (Placement?, note: String?) {
        guard self == .auto else { return (nil, nil) }
        let (stored, note) = StoredPlacement.load(beside: path, isa: Tuner.isaName(options), threads: options.threads)
        return (stored?.placement, note)
    }

    /// A new, unprepared backend of this kind; `auto` with `stored`, a placement made before.
    /// - Precondition: ``isAvailable`` (``validate(isa:)`` checks it).
    public func makeBackend(_ options: ExecutionOptions = .init(), stored: Placement? = nil) -> any Backend {
        switch self {
        case .auto:
            return PlacedBackend(policy: stored.map { .fixed($0) } ?? .table, options: options)
        case .native:
            #if Native
            return NativeBackend(options: options)
            #else
            preconditionFailure("validate(isa:) refuses the native backend without the Native trait")
            #endif
        case .xnnpack:
            return PlacedBackend(policy: .prefer(.xnnpack), options: options)
        case .swift:
            return SwiftBackend(options: options)
        }
    }
}
