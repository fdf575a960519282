#if Native
import CCNXKernels

/// The native backend: every ``FusedOp`` on cnx-edge's C kernels (`CCNXKernels`), the instruction
/// set chosen once from the CPU's features (cpuinfo), threads from one pthreadpool.
///
/// The C kernels read the layouts a `.cnx` file stores (``ConstantLayout``, shared with
/// ``SwiftBackend``): `[ceil(Cout/16)][Cin][16]` panels plus a bias padded to 16 for 1x1
/// convolutions, `[49][ceil(C/8)·8]` taps plus a bias padded to 8 for the depthwise 7x7. So
/// `prepare` borrows a loaded file's constants in place from its mapping and packs only a graph's
/// plain values (into buffers this backend owns); `execute` never allocates. The few steps with
/// no C kernel (the stem's and downsample's patch gather, the head's average pool, GRN's norm from
/// its sums) run the same Swift code as ``SwiftBackend``, on the calling thread.
///
/// Results do not depend on the thread count: every C kernel computes an element the same way
/// whatever tile covers it, and GRN's sums are taken over fixed pixel blocks added in block order.
///
/// Not safe to run from two threads at once; one instance per ``CompiledModel``.
public final class NativeBackend: Backend, PreparedGraphBackend, @unchecked Sendable {
    /// `native`.
    public let name = "native"
    /// The instruction set every kernel runs on: ``ExecutionOptions/isa`` where this CPU and
    /// build run it, else ``cnx_kernels_best_isa()``.
    public let isa: cnx_isa
    /// Why ``isa`` differs from the best one: the requested ISA, honoured or not.
    let isaOverride: String?

    /// The C kernels' code for `isa`.
    static func code(_ isa: KernelISA) -> cnx_isa {
        switch isa {
        case .scalar: cnx_isa_scalar
        case .avx2: cnx_isa_avx2
        case .avx512: cnx_isa_avx512
        case .neon: cnx_isa_neon
        }
    }

    /// Whether this CPU and build run `isa`'s kernels.
    public static func canRun(_ isa: KernelISA) -> Bool {
        cnx_kernels_init()
        return cnx_isa_supported(code(isa))
    }

    /// The ISA the native kernels run for `requested` (``ExecutionOptions/isa``): it where this CPU
    /// and build run it, else the best one.
    public static func runningISA(requested: KernelISA?) -> KernelISA {
        let code = isa(requested: requested).0
        return KernelISA.allCases.first { Self.code($0) == code } ?? .scalar
    }

    /// What `cnx-edge inspect --cpu` prints: the CPU features cpuinfo reports, then per ISA this CPU
    /// runs, the float and int8 GEMM kernels it picks (the int8 GEMM's variant follows the features:
    /// AVX-512 VNNI/VBMI, ARM dot product or i8mm).
    public static var cpuDescription: [String] {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = cnx_cpu_features(&buffer, buffer.count)
        let text = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        var lines = ["features: " + String(decoding: text, as: UTF8.self)]
        for isa in runnableISAs {
            let c = code(isa)
            lines.append("\(isa)\(c == cnx_kernels_best_isa() ? " (best)" : ""): "
                + "\(String(cString: cnx_kernel_name(cnx_kernel_f32_pwconv_gelu, c))), "
                + "\(String(cString: cnx_kernel_name(cnx_kernel_f32_dwconv7x7_ln, c))), "
                + "\(String(cString: cnx_qkernel_name(cnx_qkernel_qu8_pwconv_u8_table, c)))")
        }
        return lines
    }

    /// Every ISA this CPU and build run, scalar first.
    public static var runnableISAs: [KernelISA] { KernelISA.allCases.filter(canRun) }

    /// The ISA `requested` where supported, else the best; and what was done with the request.
    static func isa(requested: KernelISA?) -> (cnx_isa, String?) {
        let best = cnx_kernels_best_isa()
        guard let requested else { return (best, nil) }
        guard canRun(requested) else { return (best, "\(requested) requested but not run by this CPU or build") }
        return (code(requested), "requested (ExecutionOptions.isa = \(requested))")
    }
    /// Threads the kernels use (1: no pool, kernels run on the calling thread).
    public let threads: Int
    /// `nil` for one thread.
    var pool: pthreadpool_t? { threadPool?.pool }
    /// The pool's owner: this backend's own, or one shared with other backends that never run at
    /// the same time (``Tuner``'s candidates).
    let threadPool: ThreadPool?

    /// A pthreadpool, destroyed with this object.
    final class ThreadPool: @unchecked Sendable {
        let pool: pthreadpool_t

        /// - Precondition: `threads > 1`.
        init(threads: Int) { pool = pthreadpool_create(threads)! }

        deinit { pthreadpool_destroy(pool) }
    }
    var graph: Graph?
    var prepared: [PreparedOp] = []

    /// A LayerNorm's γ and β, or `nil` pointers where the compiler folded the affine away.
    struct Norm {
        let gamma: AlignedFloatBuffer?
        let beta: AlignedFloatBuffer?
        let epsilon: Float
        var gammaPointer: UnsafePointer<Float>? { gamma.map { UnsafePointer($0.base) } }
        var betaPointer: UnsafePointer<Float>? { beta.map { UnsafePointer($0.base) } }
    }

    /// A 1x1 convolution's weights (``ConstantLayout/pointwisePanels``) and bias
    /// (``ConstantLayout/bias16``), borrowed from a `.cnx` file or packed by `cnx_f32_pwconv_pack`.
    /// Weight-only int8 (``WeightOnlyInt8``): `weights` holds int8 codes
    /// (``ConstantLayout/int8FloatPanels``) and `weightScale` their per-channel steps (``ConstantLayout/bias16``).
    struct Pointwise {
        let weights: AlignedFloatBuffer
        let bias: AlignedFloatBuffer
        let outputChannels: Int
        let inputChannels: Int
        var weightScale: AlignedFloatBuffer? = nil
        /// The head's second weight-only plane (zero bias), added by a second pass: empty or one.
        var residualPlane: [Pointwise] = []
    }

    /// A depthwise 7x7's taps (``ConstantLayout/depthwiseTaps``) and bias (``ConstantLayout/bias8``),
    /// borrowed from a `.cnx` file or packed by `cnx_f32_dwconv7x7_pack`.
    struct Depthwise {
        let taps: AlignedFloatBuffer
        let bias: AlignedFloatBuffer
    }

    /// A GRN folded into a float 1x1 convolution: γ and this backend's copy of the packed weights
    /// that each inference rescales (allocated once in `prepare`, rewritten per run; the bias is
    /// not rescaled, so it stays the original's).
    struct FoldedGRN {
        let gamma: AlignedFloatBuffer
        let scaled: AlignedFloatBuffer
    }

    /// Each op with its constants packed for its kernels: one case per ``FusedOp`` case.
    enum PreparedOp {
        case stem(StemParameters, Pointwise, Norm)
        case depthwiseConvLN(DepthwiseConvLNParameters, Depthwise, Norm)
        case pointwiseGELU(PointwiseGELUParameters, Pointwise)
        case grn(GRNParameters, gamma: AlignedFloatBuffer, beta: AlignedFloatBuffer)
        case pointwise(PointwiseParameters, Pointwise)
        case grnPointwise(GRNPointwiseParameters, Pointwise, FoldedGRN)
        case downsample(DownsampleParameters, Norm, Pointwise)
        case head(HeadParameters, Norm, Pointwise)
        case qu8DepthwiseConvLN(DepthwiseConvLNParameters, Depthwise, Norm)
        case qu8PointwiseGELU(QU8PointwiseGELUParameters, Int8Conv, table: [UInt8])
        case qu8GRN(GRNParameters, gamma: AlignedFloatBuffer, beta: AlignedFloatBuffer)
        case qu8Pointwise(QU8PointwiseParameters, Int8Conv)
        case qu8GRNPointwise(QU8GRNPointwiseParameters, FoldedInt8Conv)
        case qu8Downsample(QU8DownsampleParameters, Norm, Int8Conv)
    }

    /// Where the kernels read every prepared constant (weights, biases, norm and GRN vectors), op
    /// by op; not the folded-GRN weights each run rewrites (float or int8: those it reads them from
    /// are listed). For tests: a model loaded from a `.cnx` file reads all of them inside the
    /// file's mapping.
    var constantAddresses: [UnsafeRawPointer] {
        func norm(_ n: Norm) -> [AlignedFloatBuffer] { [n.gamma, n.beta].compactMap { $0 } }
        func pw(_ w: Pointwise) -> [AlignedFloatBuffer] {
            [w.weights, w.bias] + (w.weightScale.map { [$0] } ?? []) + w.residualPlane.flatMap { [$0.weights] + ($0.weightScale.map { [$0] } ?? []) }
        }
        func conv(_ c: Int8Conv) -> [AlignedFloatBuffer] { [c.weights.panels, c.weights.bias] }
        return prepared.flatMap { op -> [AlignedFloatBuffer] in
            switch op {
            case let .stem(_, w, n): pw(w) + norm(n)
            case let .depthwiseConvLN(_, d, n), let .qu8DepthwiseConvLN(_, d, n): [d.taps, d.bias] + norm(n)
            case let .pointwiseGELU(_, w): pw(w)
            case let .grn(_, gamma, beta), let .qu8GRN(_, gamma, beta): [gamma, beta]
            case let .pointwise(_, w): pw(w)
            case let .grnPointwise(_, w, folded): pw(w) + [folded.gamma]
            case let .downsample(_, n, w): norm(n) + pw(w)
            case let .head(_, n, w): norm(n) + pw(w)
            case let .qu8PointwiseGELU(_, c, _): conv(c)
            case let .qu8Pointwise(_, c): conv(c)
            case let .qu8GRNPointwise(_, f): [f.codes.panels, f.weightScale, f.bias, f.gamma]
            case let .qu8Downsample(_, n, c): norm(n) + conv(c)
            }
        }.map { UnsafeRawPointer($0.base) }
    }

    /// - Parameter options: threads for the kernels; a pool of `options.threads` workers is
    ///   created here when it is above 1 and destroyed with the backend.
    public convenience init(options: ExecutionOptions = .init()) {
        self.init(options: options, threadPool: options.threads > 1 ? ThreadPool(threads: options.threads) : nil)
    }

    /// A backend on `threadPool` (its thread count `options.threads`) instead of a pool of its own:
    /// an idle pthreadpool's workers spin for milliseconds after their last task, so on a small CPU
    /// models that take turns (``Tuner``'s) must share one.
    init(options: ExecutionOptions, threadPool: ThreadPool?) {
        cnx_kernels_init()
        (isa, isaOverride) = Self.isa(requested: options.isa)
        threads = max(1, options.threads)
        self.threadPool = threads > 1 ? threadPool : nil
    }

    /// Every op has a C kernel (or the shared Swift step noted in ``kernelName(for:)``).
    public func supports(_ op: FusedOp) -> Bool { true }

    /// The C kernels `op` runs on this CPU, in order, e.g. `f32-pwconv-gelu__avx512 + f32-sumsq__avx512`.
    public func kernelName(for op: FusedOp) -> String {
        func k(_ kernel: cnx_kernel) -> String { String(cString: cnx_kernel_name(kernel, isa)) }
        func q(_ kernel: cnx_qkernel) -> String { String(cString: cnx_qkernel_name(kernel, isa)) }
        /// The float GEMM's name, `-w8` before the ISA for weight-only int8 weights.
        func pw(_ kernel: cnx_kernel, _ storage: WeightStorage) -> String {
            switch storage {
            case .float32: k(kernel)
            case .int8: k(kernel).replacing("__", with: "-w8__")
            }
        }
        func dw(_ p: DepthwiseConvLNParameters) -> String {
            k(p.norm.constants.isEmpty ? cnx_kernel_f32_dwconv7x7_ln_noaffine : cnx_kernel_f32_dwconv7x7_ln)
        }
        func residual(_ r: TensorID?) -> cnx_kernel { r == nil ? cnx_kernel_f32_pwconv_none : cnx_kernel_f32_pwconv_residual }
        func qResidual(_ r: TensorID?) -> cnx_qkernel { r == nil ? cnx_qkernel_qu8_pwconv_f32 : cnx_qkernel_qu8_pwconv_f32_residual }
        func secondPlane(_ storage: WeightStorage) -> String {
            guard case let .int8(w) = storage, w.residualWeight != nil else { return "" }
            return " + \(pw(cnx_kernel_f32_pwconv_residual, storage)) (second plane)"
        }
        return switch op {
        case .stem: "f32-patchify4x4__swift + \(k(cnx_kernel_f32_pwconv_none)) + \(k(cnx_kernel_f32_layernorm))"
        case let .depthwiseConvLN(p): dw(p)
        case let .pointwiseGELU(p): "\(pw(cnx_kernel_f32_pwconv_gelu, p.weightStorage)) + \(k(cnx_kernel_f32_sumsq))"
        case .grn: "f32-grn-scale__swift + \(k(cnx_kernel_f32_scalebias))"
        case let .pointwise(p): pw(residual(p.residual), p.weightStorage)
        case let .grnPointwise(p): "f32-grn-scale-weights__swift + " + k(residual(p.residual))
        case let .downsample(p):
            "\(k(cnx_kernel_f32_layernorm)) + f32-patchify2x2__swift + \(pw(cnx_kernel_f32_pwconv_none, p.weightStorage))"
        case let .head(p):
            "f32-avgpool__swift + \(k(cnx_kernel_f32_layernorm)) + \(pw(cnx_kernel_f32_pwconv_none, p.weightStorage))"
                + secondPlane(p.weightStorage)
        case let .qu8DepthwiseConvLN(p): dw(p) + " + " + q(cnx_qkernel_f32_quantize_u8)
        case .qu8PointwiseGELU: "\(q(cnx_qkernel_qu8_pwconv_u8_table)) + \(q(cnx_qkernel_u8_sumsq))"
        case .qu8GRN: "u8-grn-affine__swift + \(q(cnx_qkernel_u8_channel_affine))"
        case let .qu8Pointwise(p): q(qResidual(p.residual))
        case let .qu8GRNPointwise(p): "f32-grn-scale__swift + qs8-grn-requantize__swift + " + q(qResidual(p.residual))
        case .qu8Downsample:
            "\(k(cnx_kernel_f32_layernorm)) + \(q(cnx_qkernel_f32_quantize_u8)) + u8-patchify2x2__swift + \(q(cnx_qkernel_qu8_pwconv_f32))"
        }
    }

    /// The instruction set picked at start-up and where it came from; ops whose kernel list names
    /// a `__swift` step say that part runs the shared Swift code.
    public func selectionReason(for op: FusedOp) -> String {
        func name(_ isa: cnx_isa) -> String {
            switch isa {
            case cnx_isa_avx512: "AVX-512"
            case cnx_isa_avx2: "AVX2 + FMA"
            case cnx_isa_neon: "NEON"
            default: "scalar C"
            }
        }
        let best = cnx_kernels_best_isa()
        var found = best == cnx_isa_scalar ? "no SIMD extension found by cpuinfo: scalar C" : "\(name(best)) found by cpuinfo"
        if let isaOverride {
            // Honoured: the ISA it picked; not run here: the best one, with the reason.
            found = isaOverride.hasPrefix("requested") ? "\(name(isa)) \(isaOverride)" : found + " (\(isaOverride))"
        }
        return kernelName(for: op).contains("__swift") ? found + "; __swift steps: Swift code shared with the swift backend" : found
    }

    /// Scratch for the stem's patches, the downsample's normalised input and patches, GRN's scale
    /// vector, the per-block partial sums of squares after a 1x1+GELU, the head's pooled vector and
    /// the int8 ops' intermediates (``OpScratch``).
    public func scratchBytes(for op: FusedOp, in graph: Graph) -> Int {
        OpScratch.bytes(for: op, in: graph, int16Pairs: false)
    }
}
#endif
