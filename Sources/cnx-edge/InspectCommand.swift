import ArgumentParser
import CNXEdge
import Foundation

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List a model's ops: shapes, MACs, weight bytes, kernel; totals and arena size.",
        discussion: """
            Give a compiled .cnx file, or --weights to compile in memory and show the graph after \
            any pass (--after lower, fold-depthwise-norm, fold-downsample-norm, fold-head-norm, fold-grn, verify); \
            with --precision int8 (calibrating as compile does) also after the quantizer's passes \
            (fold-grn-int8, int8-blocks, int8-downsamples, weight-only-int8; the last one by default).
            """
    )

    @Argument(help: "A compiled .cnx model.")
    var path: String?

    @Option(help: "Model size; 'auto' infers it from --weights.")
    var model: ModelChoice = .auto

    @Option(help: "Compile this checkpoint instead of reading a .cnx file.")
    var weights: String?

    @Option(help: "Input size when compiling, H or HxW, multiples of 32.")
    var size: InputSize = InputSize(height: 224, width: 224)

    @Option(help: "Show the graph after this pass (with --weights; default: the last that runs).")
    var after: String?

    @OptionGroup var quantization: QuantizeOptions

    @Flag(help: "Keep the LayerNorm affines unfolded (with --weights).")
    var noFold = false

    @Flag(help: "Fold each GRN into the following 1x1 convolution (measured no faster on Atto; off by default).")
    var foldGRN = false

    @Option(help: "Execution providers whose placement and kernels to show: auto (the placement stored by 'cnx-edge tune', else the default table), native, xnnpack or swift.")
    var backend: BackendChoice = .auto

    @Option(help: "The native kernels' instruction set to show (default: the best this CPU runs).")
    var isa: KernelISA?

    @Flag(help: "Show the CPU features cpuinfo reports and the kernels each instruction set runs here, then stop (no model).")
    var cpu = false

    func validate() throws {
        #if !Native
        if backend == .native || backend == .xnnpack {
            throw ValidationError("this cnx-edge was built without the Native trait; use --backend swift or auto")
        }
        #endif
        if cpu { return }
        guard (path == nil) != (weights == nil) else { throw ValidationError("give either MODEL.cnx or --weights FILE") }
        if path != nil, after != nil || quantization.precision == .int8 {
            throw ValidationError("--after and --precision apply to --weights (a .cnx file holds the final graph)")
        }
        if quantization.precision == .int8, foldGRN { throw ValidationError("--fold-grn is fp32 only") }
        try backend.validateOption(isa: isa)
    }

    func run() throws {
        try reportingErrors {
            if cpu {
                #if Native
                NativeBackend.cpuDescription.forEach { print($0) }
                #else
                print("this cnx-edge was built without the Native trait: the swift provider only")
                #endif
                return
            }
            if let path {
                let options = ExecutionOptions(threads: quantization.threads, isa: isa)  // --threads picks the stored placement for that count
                let compiled = try CompiledModel(contentsOf: path, backend: backend.makeBackend(options, stored: backend.noting(storedPlacementBeside: path, options)))
                print("\(path): input \(compiled.graph.inputHeight)x\(compiled.graph.inputWidth), \(compiled.graph.ops.count) ops")
                Self.table(compiled.graph, compiled.backend)
                return
            }
            let w = try WeightLoader.load(path: weights!, expected: model.size)
            var passes: [(name: String, graph: Graph)] = []
            let graph = try Compiler.compile(w, height: size.height, width: size.width,
                                             options: CompilerOptions(foldNormAffines: !noFold, foldGRN: foldGRN, verifyEachPass: true)) { name, g in
                passes.append((name, g))
            }
            if quantization.precision == .int8 {
                _ = try quantization.quantize(graph) { name, g in passes.append((name, g)) }
            }
            let name = after ?? passes.last!.name
            guard let shown = passes.last(where: { $0.name == name })?.graph else {
                throw ValidationError("no pass named '\(name)' ran; these did: \(passes.map(\.name).joined(separator: ", "))")
            }
            print("\(w.config) \(size) after \(name): \(shown.ops.count) ops")
            let shownBackend = backend.makeBackend(ExecutionOptions(threads: quantization.threads, isa: isa))
            try shownBackend.prepare(shown)
            Self.table(shown, shownBackend)
        }
    }

    /// One row per op, with the backend and kernel that run it and why, then the totals and the arena the memory plan needs.
    static func table(_ g: Graph, _ backend: any Backend) {
        func row(_ cells: [String]) -> String {
            let widths = [-4, 18, 16, 16, -11, -10, 0]
            return zip(cells, widths).map { cell, w in
                let pad = String(repeating: " ", count: max(0, abs(w) - cell.count))
                return w < 0 ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        func shape(_ t: TensorID) -> String {
            let dims = g[t].shape.map(String.init).joined(separator: "x")
            return g[t].dataType == .float32 ? dims : "\(dims) \(typeName(g[t].dataType))"
        }
        let placed = backend as? PlacedBackend
        print(row(["#", "op", "input", "output", "MACs", "weight B",
                   placed == nil ? "backend: kernel (why)" : "provider (placed by): kernel (why)"]))
        var bytes = 0
        for (i, op) in g.ops.enumerated() {
            let w = op.weightBytes(in: g)
            bytes += w
            var runs = "\(backend.name): \(backend.kernelName(for: op)) (\(backend.selectionReason(for: op)))"
            if let placed {
                runs = "\(placed.placementDescription(op: i)): \(backend.kernelName(for: op)) (\(backend.selectionReason(for: op)))"
                if Provider.available.contains(.xnnpack), placed.placement?.providers[i] != .xnnpack,
                   let why = PlacedBackend.unsupportedReason(.xnnpack, op) {
                    runs += "; not on xnnpack: \(why)"
                }
            }
            print(row(["\(i)", op.kind, shape(op.inputs[0]), shape(op.outputs[0]), "\(op.macs(in: g))", "\(w)", runs]))
        }
        if let note = placed?.placementNote { print("placement: \(note)") }
        let plan = MemoryPlanner.plan(g) { backend.scratchBytes(for: g.ops[$0], in: g) }
        quantizationTable(g)
        print("total: \(g.macs) MACs (\(String(format: "%.3f", Double(g.macs) / 1e9)) G), \(bytes) weight bytes (unpacked), arena \(plan.arenaBytes) bytes")
    }

    /// Short element type names: f32, f64, u8, i8, i32.
    static func typeName(_ type: TensorDataType) -> String {
        switch type {
        case .float32: "f32"
        case .float64: "f64"
        case .uint8: "u8"
        case .int8: "i8"
        case .int32: "i32"
        }
    }

    /// For an int8 graph: each uint8 tensor's quantization, each int8 op's internal ones, and the
    /// constants by element type. Prints nothing for a float graph.
    static func quantizationTable(_ g: Graph) {
        func q(_ q: TensorQuantization) -> String { "scale \(q.scale), zero point \(q.zeroPoint)" }
        let quantized = g.tensors.filter { $0.dataType == .uint8 }
        var opLines: [String] = []
        for (i, op) in g.ops.enumerated() {
            switch op {
            case let .qu8PointwiseGELU(p): opLines.append("  op \(i) \(op.kind) GELU input: \(q(p.geluInput))")
            case let .qu8Downsample(p): opLines.append("  op \(i) \(op.kind) LayerNorm output: \(q(p.normQuantization))")
            case .stem, .depthwiseConvLN, .pointwiseGELU, .grn, .pointwise, .grnPointwise, .downsample, .head, .qu8DepthwiseConvLN,
                 .qu8GRN, .qu8Pointwise, .qu8GRNPointwise: break
            }
        }
        guard !quantized.isEmpty || !opLines.isEmpty else { return }
        print("uint8 activations (value = scale · (code − zero point)):")
        for t in quantized { print("  \(t.name) [\(t.shape.map(String.init).joined(separator: "x"))] u8: \(q(t.quantization!))") }
        if !opLines.isEmpty { print("int8 ops' internal quantization:") }
        opLines.forEach { print($0) }
        var byType: [String: (count: Int, bytes: Int)] = [:]
        for t in g.usedConstants {
            let name = typeName(g[t].dataType)
            byType[name, default: (0, 0)].count += 1
            byType[name, default: (0, 0)].bytes += g[t].byteCount
        }
        print("constants: " + byType.sorted { $0.key < $1.key }.map { "\($0.value.count) \($0.key) (\($0.value.bytes) bytes)" }.joined(separator: ", "))
    }
}
