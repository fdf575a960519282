#if Native
import CCNXKernels
import Foundation

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
public final class NativeBackend: Backend, @unchecked Sendable {
    /// `native`.
    public let name = "native"
    /// The instruction set every kernel runs on: ``cnx_kernels_best_isa()``, or the one
    /// ``isaVariable`` names.
    public let isa: cnx_isa
    /// Why ``isa`` differs from the best one: the ``isaVariable`` setting, honoured or not.
    let isaOverride: String?
    /// Environment variable that picks the kernels' instruction set (`scalar`, `avx2`, `avx512`,
    /// `neon`) where this CPU and build run it, e.g. to measure an AVX2 machine's kernels on an
    /// AVX-512 one. Results are the same on every ISA up to float rounding; int8 GEMMs are exact.
    public static let isaVariable = "CNX_EDGE_ISA"

    /// The ISA `environment` asks for where supported, else the best; and what was done with the request.
    static func isa(environment: [String: String]) -> (cnx_isa, String?) {
        let best = cnx_kernels_best_isa()
        guard let text = environment[isaVariable]?.lowercased(), !text.isEmpty else { return (best, nil) }
        let names: [String: cnx_isa] = ["scalar": cnx_isa_scalar, "avx2": cnx_isa_avx2, "avx512": cnx_isa_avx512, "neon": cnx_isa_neon]
        guard let wanted = names[text] else { return (best, "\(isaVariable)=\(text) ignored: not one of \(names.keys.sorted())") }
        guard cnx_isa_supported(wanted) else { return (best, "\(isaVariable)=\(text) ignored: not supported by this CPU or build") }
        return (wanted, "set by \(isaVariable)=\(text)")
    }
    /// Threads the kernels use (1: no pool, kernels run on the calling thread).
    public let threads: Int
    /// `nil` for one thread.
    let pool: pthreadpool_t?
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

    /// A GRN folded into a 1x1 convolution: γ and this backend's copy of the packed weights that
    /// each inference rescales (allocated once in `prepare`, rewritten per run; the bias is not
    /// rescaled, so it stays the original's).
    struct FoldedGRN {
        let gamma: AlignedFloatBuffer
        let scaled: AlignedFloatBuffer
    }

    /// Each op with its constants packed for its kernels.
    enum PreparedOp {
        case stem(StemParameters, Pointwise, Norm)
        case depthwiseConvLN(DepthwiseConvLNParameters, Depthwise, Norm)
        case pointwiseGELU(PointwiseGELUParameters, Pointwise)
        case grn(GRNParameters, gamma: AlignedFloatBuffer, beta: AlignedFloatBuffer)
        case pointwise(PointwiseParameters, Pointwise, FoldedGRN?)
        case downsample(DownsampleParameters, Norm, Pointwise)
        case head(HeadParameters, Norm, Pointwise)
        case int8(Int8Op<Norm>)
    }


    /// Where the kernels read every prepared constant (weights, biases, norm and GRN vectors), op
    /// by op; not the folded-GRN weights each run rewrites (float or int8: those it reads them from
    /// are listed). For tests: a model loaded from a `.cnx`
    /// file reads all of them inside the file's mapping.
    var constantAddresses: [UnsafeRawPointer] {
        func norm(_ n: Norm) -> [AlignedFloatBuffer] { [n.gamma, n.beta].compactMap { $0 } }
        func pw(_ w: Pointwise) -> [AlignedFloatBuffer] {
            [w.weights, w.bias] + (w.weightScale.map { [$0] } ?? []) + w.residualPlane.flatMap { [$0.weights] + ($0.weightScale.map { [$0] } ?? []) }
        }
        return prepared.flatMap { op -> [AlignedFloatBuffer] in
            switch op {
            case let .stem(_, w, n): pw(w) + norm(n)
            case let .depthwiseConvLN(_, d, n): [d.taps, d.bias] + norm(n)
            case let .pointwiseGELU(_, w): pw(w)
            case let .grn(_, gamma, beta): [gamma, beta]
            case let .pointwise(_, w, folded): pw(w) + (folded.map { [$0.gamma] } ?? [])
            case let .downsample(_, n, w): norm(n) + pw(w)
            case let .head(_, n, w): norm(n) + pw(w)
            case let .int8(.pointwiseGELU(_, c, _)), let .int8(.pointwise(_, c)): [c.weights.panels, c.weights.bias]
            case let .int8(.downsample(_, n, c)): norm(n) + [c.weights.panels, c.weights.bias]
            case let .int8(.foldedPointwise(_, f)): [f.codes.panels, f.weightScale, f.bias, f.gamma]
            }
        }.map { UnsafeRawPointer($0.base) }
    }

    /// - Parameter options: threads for the kernels; a pool of `options.threads` workers is
    ///   created here when it is above 1 and destroyed with the backend.
    public init(options: ExecutionOptions = .init()) {
        cnx_kernels_init()
        (isa, isaOverride) = Self.isa(environment: ProcessInfo.processInfo.environment)
        threads = max(1, options.threads)
        pool = threads > 1 ? pthreadpool_create(threads) : nil
    }

    deinit { if let pool { pthreadpool_destroy(pool) } }

    /// Every op has a C kernel (or the shared Swift step noted in ``kernelName(for:)``).
    public func supports(_ op: FusedOp) -> Bool { true }

    /// The C kernels `op` runs on this CPU, in order, e.g. `f32-pwconv-gelu__avx512 + f32-sumsq__avx512`.
    public func kernelName(for op: FusedOp) -> String {
        func k(_ kernel: cnx_kernel) -> String { String(cString: cnx_kernel_name(kernel, isa)) }
        func q(_ kernel: cnx_qkernel) -> String { String(cString: cnx_qkernel_name(kernel, isa)) }
        /// The float GEMM's name, `-w8` before the ISA for weight-only int8 weights.
        func pw(_ kernel: cnx_kernel, _ weightOnly: WeightOnlyInt8?) -> String {
            weightOnly == nil ? k(kernel) : k(kernel).replacing("__", with: "-w8__")
        }
        switch op {
        case let .depthwiseConvLN(p) where graph?[p.output].dataType == .uint8:
            return k(p.norm.constants.isEmpty ? cnx_kernel_f32_dwconv7x7_ln_noaffine : cnx_kernel_f32_dwconv7x7_ln)
                + " + " + q(cnx_qkernel_f32_quantize_u8)
        case let .pointwiseGELU(p) where p.int8 != nil:
            return "\(q(cnx_qkernel_qu8_pwconv_u8_table)) + \(q(cnx_qkernel_u8_sumsq))"
        case let .grn(p) where graph?[p.input].dataType == .uint8:
            return "u8-grn-affine__swift + \(q(cnx_qkernel_u8_channel_affine))"
        case let .pointwise(p) where p.int8 != nil:
            return (p.inputScale == nil ? "" : "f32-grn-scale__swift + qs8-grn-requantize__swift + ")
                + q(p.residual == nil ? cnx_qkernel_qu8_pwconv_f32 : cnx_qkernel_qu8_pwconv_f32_residual)
        case let .downsample(p) where p.int8 != nil:
            return "\(k(cnx_kernel_f32_layernorm)) + \(q(cnx_qkernel_f32_quantize_u8)) + u8-patchify2x2__swift + \(q(cnx_qkernel_qu8_pwconv_f32))"
        default: break
        }
        switch op {
        case .stem:
            return "f32-patchify4x4__swift + \(k(cnx_kernel_f32_pwconv_none)) + \(k(cnx_kernel_f32_layernorm))"
        case let .depthwiseConvLN(p):
            return k(p.norm.constants.isEmpty ? cnx_kernel_f32_dwconv7x7_ln_noaffine : cnx_kernel_f32_dwconv7x7_ln)
        case let .pointwiseGELU(p):
            return "\(pw(cnx_kernel_f32_pwconv_gelu, p.weightOnly)) + \(k(cnx_kernel_f32_sumsq))"
        case .grn:
            return "f32-grn-scale__swift + \(k(cnx_kernel_f32_scalebias))"
        case let .pointwise(p):
            return (p.inputScale == nil ? "" : "f32-grn-scale-weights__swift + ")
                + pw(p.residual == nil ? cnx_kernel_f32_pwconv_none : cnx_kernel_f32_pwconv_residual, p.weightOnly)
        case let .downsample(p):
            return "\(k(cnx_kernel_f32_layernorm)) + f32-patchify2x2__swift + \(pw(cnx_kernel_f32_pwconv_none, p.weightOnly))"
        case let .head(p):
            return "f32-avgpool__swift + \(k(cnx_kernel_f32_layernorm)) + \(pw(cnx_kernel_f32_pwconv_none, p.weightOnly))"
                + (p.weightOnly?.residualWeight == nil ? "" : " + \(pw(cnx_kernel_f32_pwconv_residual, p.weightOnly)) (second plane)")
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
            // Honoured ("set by ..."): the ISA it picked; ignored: the best one, with the reason.
            found = isaOverride.hasPrefix("set by") ? "\(name(isa)) \(isaOverride)" : found + " (\(isaOverride))"
        }
        return kernelName(for: op).contains("__swift") ? found + "; __swift steps: Swift code shared with the swift backend" : found
    }

    /// The stem's patches, the downsample's normalised input and patches, GRN's scale vector, the
    /// per-block partial sums of squares after a 1x1+GELU and the head's pooled vector.
    public func scratchBytes(for op: FusedOp, in graph: Graph) -> Int {
        if let bytes = FoldedInt8Conv.scratchBytes(for: op, in: graph, int16Pairs: false) { return bytes }
        if let bytes = Int8Math.scratchBytes(for: op, in: graph) { return bytes }
        return switch op {
        case let .stem(p): graph[p.output].shape[1] * graph[p.output].shape[2] * 48 * 4
        case let .downsample(p): 2 * MemoryPlanner.align(graph[p.input].elementCount * 4)
        case let .grn(p): graph[p.input].shape[3] * 4
        case let .head(p): graph[p.input].shape[3] * 4
        case let .pointwise(p): p.inputScale == nil ? 0 : graph[p.input].shape[3] * 4
        case let .pointwiseGELU(p):
            FusedOpMath.sumOfSquaresBlocks(pixels: graph[p.output].shape[1] * graph[p.output].shape[2]) * graph[p.output].shape[3] * 8
        case .depthwiseConvLN: 0
        }
    }
}
#endif
