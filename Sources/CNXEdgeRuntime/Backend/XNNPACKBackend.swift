#if Native
import CCNXKernels
import CXNNPACK

/// The `xnnpack` execution provider: the convolutions and the classifier of the ops XNNPACK has
/// operators for, on the system's XNNPACK (Debian's `libxnnpack-dev`, the 2022-02-16 snapshot),
/// with the steps around them that XNNPACK has no operator for (LayerNorm, GELU, GRN's sums, the
/// int8 GELU table) on cnx-edge's C kernels, through the ``NativeBackend`` it shares a pthreadpool
/// with.
///
/// What it runs (``unsupportedReason(for:)`` says why not, op by op):
/// - `pointwiseGELU`: `xnn_create_convolution2d_nhwc_f32` 1x1, then `f32-gelu` and `f32-sumsq`;
/// - `pointwise`: the same 1x1, then `xnn_create_add_nd_f32` onto the residual;
/// - `downsample`: `f32-layernorm`, then a 2x2 stride-2 `xnn_create_convolution2d_nhwc_f32`;
/// - `head`: average pool and `f32-layernorm`, then `xnn_create_fully_connected_nc_f32`;
/// - `qu8PointwiseGELU`: `xnn_create_convolution2d_nhwc_qc8` 1x1 to the pre-activation's codes,
///   then the GELU table and `u8-sumsq`. qc8 reads and writes signed codes: a uint8 code `u` with
///   zero point `z` is the int8 code `u − 128` with zero point `z − 128`, its top bit flipped.
/// - `qu8Downsample` where the quantizer stored the output's per-channel steps
///   (``QU8DownsampleParameters/outputSteps``): `f32-layernorm` and `f32-quantize-u8`, then a 2x2
///   stride-2 qc8 convolution to int8 codes of those steps, read back as float32.
///
/// Every operator is created once, in ``prepare(_:)``, from the graph's weights (XNNPACK copies
/// and packs them); `execute` sets an operator up again only when its buffers moved, and never
/// allocates.
///
/// Not safe to run from two threads at once; one instance per ``CompiledModel``.
public final class XNNPACKBackend: Backend, PreparedGraphBackend, @unchecked Sendable {
    /// `xnnpack`.
    public let name = "xnnpack"
    /// Runs the steps XNNPACK has no operator for; its pool runs XNNPACK's operators.
    public let native: NativeBackend
    var graph: Graph?
    /// The ops XNNPACK runs, by op index (`nil` for the others).
    var prepared: [PreparedOp?] = []

    /// An XNNPACK operator, deleted with this object; remembers the buffers it was last set up for.
    final class Operator {
        let op: xnn_operator_t
        private var bound: (UnsafeRawPointer?, UnsafeRawPointer?, UnsafeRawPointer?) = (nil, nil, nil)

        /// Calls `create`; throws its status when it fails.
        init(_ what: String, _ create: (UnsafeMutablePointer<xnn_operator_t?>) -> xnn_status) throws {
            var op: xnn_operator_t?
            let status = create(&op)
            guard status == xnn_status_success, let op else { throw XNNPACKBackend.Failure(reason: "\(what) returned xnn_status \(status.rawValue)") }
            self.op = op
        }

        deinit { xnn_delete_operator(op) }

        /// Runs the operator on `pool`, calling `setup` first when `a`, `b`, `c` differ from the
        /// last run's (the arena's buffers do not move, so that is the first run).
        func run(_ pool: pthreadpool_t?, _ a: UnsafeRawPointer?, _ b: UnsafeRawPointer?, _ c: UnsafeRawPointer? = nil,
                 setup: () -> xnn_status) {
            if bound != (a, b, c) {
                let status = setup()
                precondition(status == xnn_status_success, "xnnpack setup failed with status \(status.rawValue) after a successful create")
                bound = (a, b, c)
            }
            let status = xnn_run_operator(op, pool)
            precondition(status == xnn_status_success, "xnn_run_operator failed with status \(status.rawValue)")
        }
    }

    /// Why an operator could not be created.
    struct Failure: Error {
        let reason: String
    }

    /// Each op XNNPACK runs, with its operators.
    enum PreparedOp {
        case pointwiseGELU(PointwiseGELUParameters, Operator)
        case pointwise(PointwiseParameters, Operator, add: Operator?)
        case downsample(DownsampleParameters, NativeBackend.Norm, Operator)
        case head(HeadParameters, NativeBackend.Norm, Operator)
        /// The table is indexed by the int8 pre-activation code's bits; the flipped input codes
        /// lie at `codesOffset` in scratch, after the native sums' partials.
        case qu8PointwiseGELU(QU8PointwiseGELUParameters, Operator, table: [UInt8], codesOffset: Int)
        case qu8Downsample(QU8DownsampleParameters, NativeBackend.Norm, Operator, steps: AlignedFloatBuffer)
    }

    /// `xnn_initialize`, once per process.
    static let initialized: xnn_status = xnn_initialize(nil)

    /// Whether XNNPACK initialises on this CPU (it refuses CPUs below its baseline).
    public static var isAvailable: Bool { initialized == xnn_status_success }

    /// - Parameter native: runs the steps around XNNPACK's operators; its pool runs them.
    public init(native: NativeBackend) {
        self.native = native
    }

    /// A provider with its own ``NativeBackend`` of `options`.
    public convenience init(options: ExecutionOptions = .init()) {
        self.init(native: NativeBackend(options: options))
    }

    public func supports(_ op: FusedOp) -> Bool { unsupportedReason(for: op) == nil }

    /// Why XNNPACK cannot run `op`, or `nil` where it can.
    public func unsupportedReason(for op: FusedOp) -> String? { Self.reason(op) }

    /// Why XNNPACK cannot run `op` in this build on this CPU, or `nil` where it can.
    public static func reason(_ op: FusedOp) -> String? {
        guard isAvailable else { return "XNNPACK does not initialise on this CPU (status \(initialized.rawValue))" }
        let weightOnly = "weight-only int8 weights: XNNPACK 2022 has no GEMM on int8 weights with float activations"
        func float(_ storage: WeightStorage) -> String? {
            switch storage {
            case .float32: nil
            case .int8: weightOnly
            }
        }
        switch op {
        case .stem: return "the stem reads the NCHW image, XNNPACK's convolutions read NHWC (and its LayerNorm has no operator)"
        case .depthwiseConvLN, .qu8DepthwiseConvLN:
            return "XNNPACK 2022 has no LayerNorm operator and no 7x7 depthwise microkernel (a 7x7 runs as a grouped GEMM)"
        case .grn, .qu8GRN: return "XNNPACK has no GRN (global response normalisation) operator"
        case .grnPointwise, .qu8GRNPointwise:
            return "weights rescaled by GRN for every image: XNNPACK packs an operator's weights once, when it is created"
        case let .pointwiseGELU(p): return float(p.weightStorage)
        case let .pointwise(p): return float(p.weightStorage)
        case let .downsample(p): return float(p.weightStorage)
        case let .head(p): return float(p.weightStorage)
        case .qu8PointwiseGELU: return nil
        case .qu8Pointwise:
            return "float32 output added onto the residual: XNNPACK's qc8 convolution writes int8 codes only"
        case let .qu8Downsample(p):
            return p.outputSteps == nil
                ? "its output is float32 and the graph stores no per-channel output steps for int8 codes (the quantizer adds them)" : nil
        }
    }

    /// XNNPACK's operator, then the C kernels around it, e.g.
    /// `xnn-convolution2d-nhwc-f32 1x1 + f32-gelu__avx2 + f32-sumsq__avx2`.
    public func kernelName(for op: FusedOp) -> String {
        func k(_ kernel: cnx_kernel) -> String { String(cString: cnx_kernel_name(kernel, native.isa)) }
        func q(_ kernel: cnx_qkernel) -> String { String(cString: cnx_qkernel_name(kernel, native.isa)) }
        switch op {
        case .pointwiseGELU: return "xnn-convolution2d-nhwc-f32 1x1 + \(k(cnx_kernel_f32_gelu)) + \(k(cnx_kernel_f32_sumsq))"
        case let .pointwise(p): return "xnn-convolution2d-nhwc-f32 1x1" + (p.residual == nil ? "" : " + xnn-add-nd-f32")
        case .downsample: return "\(k(cnx_kernel_f32_layernorm)) + xnn-convolution2d-nhwc-f32 2x2/2"
        case .head: return "f32-avgpool__swift + \(k(cnx_kernel_f32_layernorm)) + xnn-fully-connected-nc-f32"
        case .qu8PointwiseGELU:
            return "u8-flip-s8__swift + xnn-convolution2d-nhwc-qc8 1x1 + s8-gelu-table__swift + \(q(cnx_qkernel_u8_sumsq))"
        case .qu8Downsample:
            return "\(k(cnx_kernel_f32_layernorm)) + \(q(cnx_qkernel_f32_quantize_u8)) + u8-flip-s8__swift + "
                + "xnn-convolution2d-nhwc-qc8 2x2/2 + s8-dequantize-channels__swift"
        case .stem, .depthwiseConvLN, .grn, .grnPointwise, .qu8DepthwiseConvLN, .qu8GRN, .qu8Pointwise, .qu8GRNPointwise:
            return "none (\(unsupportedReason(for: op) ?? ""))"
        }
    }

    public func selectionReason(for op: FusedOp) -> String {
        "XNNPACK 2022-02-16 (libxnnpack-dev), microkernels chosen by XNNPACK from cpuinfo; our steps: \(native.selectionReason(for: op))"
    }

    /// The native steps' scratch, plus where XNNPACK writes before a step of ours reads: the
    /// 1x1's result before the residual add, the flipped int8 input codes, the int8 output codes.
    public func scratchBytes(for op: FusedOp, in graph: Graph) -> Int {
        let a = MemoryPlanner.align
        switch op {
        case let .pointwise(p): return p.residual == nil ? 0 : a(graph[p.output].elementCount * 4)
        case let .downsample(p): return a(graph[p.input].elementCount * 4)
        case let .qu8PointwiseGELU(p): return a(native.scratchBytes(for: op, in: graph)) + a(graph[p.input].elementCount)
        case let .qu8Downsample(p):
            let n = graph[p.input].elementCount
            return a(n * 4) + a(n) + a(graph[p.output].elementCount)
        case .stem, .depthwiseConvLN, .pointwiseGELU, .grn, .grnPointwise, .head, .qu8DepthwiseConvLN, .qu8GRN, .qu8Pointwise,
             .qu8GRNPointwise:
            return native.scratchBytes(for: op, in: graph)
        }
    }
}
#endif
