import Foundation

/// `report.md` and the two hand-written SVG charts of a ``QuantizationReport``.
public enum ReportRendering {
    public static let perOpChart = "per-op-sqnr.svg"
    public static let methodsChart = "methods.svg"

    static func f(_ x: Double, _ digits: Int = 1) -> String {
        x.isFinite ? String(format: "%.\(digits)f", x) : (x > 0 ? "∞" : "n/a")
    }

    static func percent(_ x: Double?) -> String { x.map { f($0 * 100) + "%" } ?? "n/a" }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func mib(_ bytes: Int) -> String { String(format: "%.2f MiB", Double(bytes) / 1_048_576) }

    // MARK: Markdown

    public static func markdown(_ r: QuantizationReport) -> String {
        var s = "# int8 report: \(r.model) at \(r.inputSize)\n\n"
        s += "- weights: `\(r.weights ?? "synthetic")`\n"
        s += "- calibration: `\(r.calibration.directory)`, \(r.calibration.count) images\n"
        s += "- evaluation: `\(r.eval.directory)`, \(r.eval.count) images (\(r.eval.labeled) labeled)\n\n"
        s += "## Methods\n\n"
        s += "| method | top-1 agreement | top-5 overlap | logits SQNR median / min (dB) | cosine median / min | top-1 fp32 / int8 | top-5 fp32 / int8 | ops left float | int8 p50 (ms) |\n"
        s += "|---|---|---|---|---|---|---|---|---|\n"
        for m in r.methods {
            let floats = m.floatOps.isEmpty ? "none" : m.floatOps.map { "\($0.op)" }.joined(separator: ", ")
            s += "| \(m.method)\(m.method == r.defaultMethod ? " (default)" : "") | \(percent(m.top1Agreement)) | \(percent(m.top5Overlap))"
            s += " | \(f(m.logitsSQNR.median)) / \(f(m.logitsSQNR.min)) | \(f(m.cosine.median, 6)) / \(f(m.cosine.min, 6))"
            s += " | \(percent(m.fp32Accuracy?.top1)) / \(percent(m.int8Accuracy?.top1))"
            s += " | \(percent(m.fp32Accuracy?.top5)) / \(percent(m.int8Accuracy?.top5)) | \(floats) | \(f(m.int8P50Ms, 2)) |\n"
        }
        s += "\n![agreement and SQNR per method](\(methodsChart))\n\n"
        s += "## Size and latency\n\n"
        let d = r.defaultEntry
        s += "| | fp32 | int8 (\(r.defaultMethod)) |\n|---|---|---|\n"
        s += "| .cnx file | \(r.fp32Bytes) bytes (\(mib(r.fp32Bytes))) | \(d.map { "\($0.int8Bytes) bytes (\(mib($0.int8Bytes)))" } ?? "n/a") |\n"
        s += "| latency p50 | \(f(r.latency.fp32P50Ms, 2)) ms | \(f(r.latency.int8P50Ms, 2)) ms |\n\n"
        s += "Latency: \(r.latency.backend) backend, \(r.latency.threads) thread\(r.latency.threads == 1 ? "" : "s"), "
        s += "median of \(r.latency.runs) runs after \(r.latency.warmup) warm-up, one eval image"
        if r.latency.int8P50Ms > 0 { s += " (int8 speed-up \(f(r.latency.fp32P50Ms / r.latency.int8P50Ms, 2))x)" }
        s += ".\n\n"
        s += "## Ops left in float32\n\n"
        for m in r.methods {
            s += "- \(m.method): "
            s += m.floatOps.isEmpty ? "none\n"
                : m.floatOps.map { "op \($0.op) \($0.kind) `\($0.tensor)` (+\(f($0.gainDecibels)) dB)" }.joined(separator: ", ") + "\n"
        }
        s += "\n## Images whose top-1 class changed\n\n"
        s += "fp32 margin: fp32's top-1 logit minus its top-2; int8 margin: int8's logit of its class minus its logit of fp32's. "
        s += "A flip on a small fp32 margin is a near tie that any perturbation decides.\n\n"
        for m in r.methods {
            s += "- \(m.method): " + (m.disagreements.isEmpty ? "none\n" : "\(m.disagreements.count)\n")
            for x in m.disagreements {
                let verdict = x.label.map { x.fp32Class == $0 ? "fp32 right" : x.int8Class == $0 ? "int8 right" : "both wrong" }
                s += "  - `\(x.image)`: fp32 \(x.fp32Class) → int8 \(x.int8Class), fp32 margin \(f(x.fp32Margin, 3)), "
                s += "int8 margin \(f(x.int8Margin, 3))\(verdict.map { " (\($0))" } ?? "")\n"
            }
        }
        if let d {
            s += "\n## Per-op SQNR (\(d.method), \(d.perOpImages) eval images)\n\n"
            s += "![per-op SQNR](\(perOpChart))\n\n"
            s += "Each op's output, int8 model (dequantized) against fp32, both run end to end. ∞: identical.\n\n"
            s += "| op | kind | tensor | int8 | SQNR (dB) |\n|---|---|---|---|---|\n"
            for o in d.perOpSQNR {
                s += "| \(o.op) | \(o.kind) | `\(o.tensor)` | \(o.int8 ? "yes" : "no") | \(o.decibels.map { f($0) } ?? "∞") |\n"
            }
        }
        return s
    }

    // MARK: SVG

    /// A "nice" step for about `count` ticks over `0...top`.
    static func tickStep(_ top: Double, count: Int = 5) -> Double {
        let raw = max(top, 1e-9) / Double(count), p = pow(10, floor(log10(raw))), m = raw / p
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p
    }

    /// Per-op SQNR along the network: one `<circle>` per op (filled blue: int8; hollow grey:
    /// float; exact outputs drawn on the top edge) at its op number in the fp32 graph (a folded GRN
    /// has none), joined by a line.
    public static func perOpSVG(_ ops: [QuantizationReport.OpEntry], title: String) -> String {
        let width = 900.0, height = 420.0, left = 60.0, right = 20.0, top = 40.0, bottom = 60.0
        let plotW = width - left - right, plotH = height - top - bottom
        let finite = ops.compactMap(\.decibels)
        let step = tickStep(max(finite.max() ?? 10, 10) * 1.05)
        let yMax = step * (max(finite.max() ?? 10, 10) * 1.05 / step).rounded(.up)
        let yMin = min(0, step * ((finite.min() ?? 0) / step).rounded(.down))
        let last = ops.map(\.op).max() ?? 0
        func x(_ i: Int) -> Double { left + (last > 0 ? plotW * Double(i) / Double(last) : plotW / 2) }
        func y(_ db: Double) -> Double { top + plotH * (1 - (min(db, yMax) - yMin) / (yMax - yMin)) }
        var s = svgHeader(width: width, height: height, title: title)
        s += axes(left: left, top: top, plotW: plotW, plotH: plotH)
        var v = yMin
        while v <= yMax + 1e-9 {
            s += "<line x1=\"\(left)\" y1=\(q(y(v))) x2=\"\(left + plotW)\" y2=\(q(y(v))) stroke=\"#ddd\"/>"
            s += "<text x=\"\(left - 6)\" y=\(q(y(v) + 4)) text-anchor=\"end\" font-size=\"11\">\(f(v, step < 1 ? 1 : 0))</text>\n"
            v += step
        }
        let xStep = max(1, Int(tickStep(Double(max(last, 1)), count: 10)))
        for i in stride(from: 0, through: last, by: xStep) {
            s += "<text x=\(q(x(i))) y=\"\(top + plotH + 16)\" text-anchor=\"middle\" font-size=\"11\">\(i)</text>\n"
        }
        s += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 20)\" text-anchor=\"middle\" font-size=\"13\">op index (stem → head)</text>\n"
        s += "<text x=\"16\" y=\"\(top + plotH / 2)\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 16 \(top + plotH / 2))\">output SQNR (dB)</text>\n"
        let points = ops.map { "\(q0(x($0.op))),\(q0(y($0.decibels ?? yMax)))" }.joined(separator: " ")
        s += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"#9ab\" stroke-width=\"1.2\"/>\n"
        for o in ops {
            let label = "op \(o.op) \(escape(o.kind)) \(escape(o.tensor)): \(o.decibels.map { f($0) + " dB" } ?? "exact")\(o.int8 ? " (int8)" : " (float)")"
            let style = o.int8 ? "fill=\"#1f77b4\" stroke=\"#1f77b4\"" : "fill=\"white\" stroke=\"#777\""
            s += "<circle class=\"op \(o.int8 ? "int8" : "float")\" cx=\(q(x(o.op))) cy=\(q(y(o.decibels ?? yMax))) r=\"4\" \(style)><title>\(label)</title></circle>\n"
        }
        // Legend (no circles, so the circle count is the op count).
        s += "<rect x=\"\(left + plotW - 190)\" y=\"\(top + 6)\" width=\"10\" height=\"10\" fill=\"#1f77b4\"/>"
        s += "<text x=\"\(left + plotW - 175)\" y=\"\(top + 15)\" font-size=\"11\">int8 op</text>"
        s += "<rect x=\"\(left + plotW - 110)\" y=\"\(top + 6)\" width=\"10\" height=\"10\" fill=\"white\" stroke=\"#777\"/>"
        s += "<text x=\"\(left + plotW - 95)\" y=\"\(top + 15)\" font-size=\"11\">float op</text>\n"
        return s + "</svg>\n"
    }

    /// Grouped bars per method: top-1 agreement (%, left axis) and logits SQNR median (dB, right
    /// axis). Each bar is a `<rect class="bar ...">`.
    public static func methodsSVG(_ methods: [QuantizationReport.Method], title: String) -> String {
        let width = max(420.0, 140.0 * Double(methods.count) + 140), height = 380.0
        let left = 60.0, right = 60.0, top = 40.0, bottom = 70.0
        let plotW = width - left - right, plotH = height - top - bottom
        let sqnrs = methods.map { $0.logitsSQNR.median }.filter(\.isFinite)
        let dbStep = tickStep(max(sqnrs.max() ?? 10, 10) * 1.05)
        let dbMax = dbStep * (max(sqnrs.max() ?? 10, 10) * 1.05 / dbStep).rounded(.up)
        func yPct(_ p: Double) -> Double { top + plotH * (1 - min(max(p, 0), 100) / 100) }
        func yDb(_ d: Double) -> Double { top + plotH * (1 - min(max(d.isFinite ? d : dbMax, 0), dbMax) / dbMax) }
        var s = svgHeader(width: width, height: height, title: title)
        s += axes(left: left, top: top, plotW: plotW, plotH: plotH)
        s += "<line x1=\"\(left + plotW)\" y1=\"\(top)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#333\"/>\n"
        for p in stride(from: 0.0, through: 100, by: 20) {
            s += "<line x1=\"\(left)\" y1=\(q(yPct(p))) x2=\"\(left + plotW)\" y2=\(q(yPct(p))) stroke=\"#eee\"/>"
            s += "<text x=\"\(left - 6)\" y=\(q(yPct(p) + 4)) text-anchor=\"end\" font-size=\"11\" fill=\"#1f77b4\">\(Int(p))</text>\n"
        }
        var d = 0.0
        while d <= dbMax + 1e-9 {
            s += "<text x=\"\(left + plotW + 6)\" y=\(q(yDb(d) + 4)) font-size=\"11\" fill=\"#d62728\">\(f(d, 0))</text>\n"
            d += dbStep
        }
        s += "<text x=\"16\" y=\"\(top + plotH / 2)\" text-anchor=\"middle\" font-size=\"13\" fill=\"#1f77b4\" transform=\"rotate(-90 16 \(top + plotH / 2))\">top-1 agreement (%)</text>\n"
        s += "<text x=\"\(width - 14)\" y=\"\(top + plotH / 2)\" text-anchor=\"middle\" font-size=\"13\" fill=\"#d62728\" transform=\"rotate(90 \(width - 14) \(top + plotH / 2))\">logits SQNR median (dB)</text>\n"
        s += "<text x=\"\(left + plotW / 2)\" y=\"\(height - 16)\" text-anchor=\"middle\" font-size=\"13\">calibration method</text>\n"
        let group = plotW / Double(max(methods.count, 1)), bar = min(40, group / 3)
        for (i, m) in methods.enumerated() {
            let cx = left + group * (Double(i) + 0.5)
            let a = m.top1Agreement * 100, ya = yPct(a), yd = yDb(m.logitsSQNR.median)
            s += "<rect class=\"bar agreement\" x=\(q(cx - bar - 2)) y=\(q(ya)) width=\(q(bar)) height=\(q(top + plotH - ya)) fill=\"#1f77b4\"><title>\(escape(m.method)): agreement \(f(a, 1))%</title></rect>"
            s += "<text x=\(q(cx - bar / 2 - 2)) y=\(q(ya - 4)) text-anchor=\"middle\" font-size=\"10\">\(f(a, 1))</text>\n"
            s += "<rect class=\"bar sqnr\" x=\(q(cx + 2)) y=\(q(yd)) width=\(q(bar)) height=\(q(top + plotH - yd)) fill=\"#d62728\"><title>\(escape(m.method)): SQNR median \(f(m.logitsSQNR.median)) dB</title></rect>"
            s += "<text x=\(q(cx + bar / 2 + 2)) y=\(q(yd - 4)) text-anchor=\"middle\" font-size=\"10\">\(f(m.logitsSQNR.median))</text>\n"
            s += "<text x=\(q(cx)) y=\"\(top + plotH + 18)\" text-anchor=\"middle\" font-size=\"12\">\(escape(m.method))</text>\n"
        }
        return s + "</svg>\n"
    }

    static func q(_ v: Double) -> String { "\"\(q0(v))\"" }
    static func q0(_ v: Double) -> String { String(format: "%.1f", v) }

    static func svgHeader(width: Double, height: Double, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" font-family=\"sans-serif\">\n"
            + "<title>\(escape(title))</title>\n<rect x=\"0\" y=\"0\" width=\"\(Int(width))\" height=\"\(Int(height))\" fill=\"white\"/>\n"
            + "<text x=\"\(width / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">\(escape(title))</text>\n"
    }

    static func axes(left: Double, top: Double, plotW: Double, plotH: Double) -> String {
        "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotH)\" stroke=\"#333\"/>"
            + "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(left + plotW)\" y2=\"\(top + plotH)\" stroke=\"#333\"/>\n"
    }
}
