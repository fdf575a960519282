#!/usr/bin/env python3
"""Atto 224 latency on one Cortex-A76 and one Cortex-A55 core, on paper, from the aarch64 kernels'
disassembly (emulated time means nothing).

For each kernel: the innermost loop holding its arithmetic is found in the object file that
`scripts/arm64/build.sh` compiled (llvm-objdump), its instructions are counted by class, and one
iteration's cycles are the largest of what each core's resources allow (the throughputs below; sources
in the README's table). Work per iteration comes from the instructions themselves (multiply-accumulates:
sdot 16, usmmla 32, smlal 4h->4s 4, fmla .4s 4) or, for the element-wise kernels, from their source
(elements per iteration, given below). The per-op work of Atto 224 (MACs, elements) is fixed here.
Ignored: cache misses, dependency stalls, threading, and the Swift glue between kernels; so these are
lower bounds, and the ratio between the two int8 GEMM paths is the robust part.

usage: estimate.py [OBJECT_DIR]   (default .build-arm64/aarch64-unknown-linux-gnu/release/CCNXKernels.build)
"""
import os, re, subprocess, sys
from collections import Counter

OBJ = sys.argv[1] if len(sys.argv) > 1 else ".build-arm64/aarch64-unknown-linux-gnu/release/CCNXKernels.build"
OBJDUMP = next(p for p in ["/opt/swift/usr/bin/llvm-objdump", "llvm-objdump"] if os.path.exists(p) or p == "llvm-objdump")
CLANG = "/opt/swift/usr/bin/clang"

# Core models. A76 (Neoverse N1's core): 4-wide decode, two 128-bit ASIMD pipes (fmla, sdot 2/cycle;
# smlal only on V0, 1/cycle), two load pipes (16 B each), one store pipe. A55: in order, dual issue,
# a Q-form instruction only as the first of a pair (at most 1 per cycle), a Q-form load holds the load
# pipe 2 cycles.
CORES = {"Cortex-A76 @ 2.4 GHz": 2.4e9, "Cortex-A55 @ 1.8 GHz": 1.8e9}


def classify(mnemonic, operands):
    q = ".4s" in operands or ".16b" in operands or ".8h" in operands or ".2d" in operands or re.search(r"\bq\d+", operands)
    if mnemonic in ("sdot", "udot", "usdot"): return "dot", 16 if ".4s" in operands else 8
    if mnemonic in ("smmla", "ummla", "usmmla"): return "mmla", 32
    if mnemonic in ("smlal", "umlal", "smlal2", "umlal2"):
        return "mlal", 4 if ".4s" in operands else 8
    if mnemonic in ("fmla", "fmls"): return "fma", 4 if ".4s" in operands else 2
    if mnemonic.startswith(("ld1", "ldr", "ldp", "ldur", "ld1r")):
        regs = 2 if mnemonic == "ldp" else 1
        return ("vload" if q or re.search(r"\b[qd]\d+|v\d+\.", operands) else "load"), regs
    if mnemonic.startswith(("st1", "str", "stp", "stur")):
        return ("vstore" if re.search(r"\b[qd]\d+|v\d+\.", operands) else "store"), 2 if mnemonic == "stp" else 1
    if mnemonic.startswith("b") or mnemonic in ("cbz", "cbnz", "tbz", "tbnz", "ret"): return "branch", 1
    if re.search(r"v\d+\.", operands) or re.match(r"^[qsd]\d+", operands.strip()): return "vec", 1
    return "int", 1


def disassemble(obj, function):
    out = subprocess.run([OBJDUMP, "-d", "--no-show-raw-insn", f"--disassemble-symbols={function}", obj],
                         capture_output=True, text=True, check=True).stdout
    insns = []
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)", line)
        if m: insns.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return insns


def innermost_loops(insns):
    """The bodies of the backward-branch loops with no loop inside them."""
    loops = []
    for addr, mn, ops in insns:
        if mn.startswith("b") and mn not in ("bl", "blr", "br"):
            m = re.search(r"0x([0-9a-f]+)", ops)
            if m and int(m.group(1), 16) <= addr:
                loops.append((int(m.group(1), 16), addr))
    return [[(mn, ops) for a, mn, ops in insns if lo <= a <= hi] for lo, hi in loops
            if not any(lo <= l2 and h2 <= hi and (l2, h2) != (lo, hi) for l2, h2 in loops)]


def innermost_loop(insns, key, require=None, exclude=None):
    """The innermost loop holding the most `key`-class instructions (and the mnemonic `require`,
    and not `exclude`, when given)."""
    best = None
    for body in innermost_loops(insns):
        names = {mn for mn, _ in body}
        if require and require not in names: continue
        if exclude and exclude in names: continue
        count = sum(1 for mn, ops in body if classify(mn, ops)[0] in key)
        if count and (best is None or count > best[0]): best = (count, body)
    if best is None: raise SystemExit(f"no loop with {key}")
    return best[1]


def cycles(body):
    c = Counter()
    macs = 0
    for mn, ops in body:
        kind, n = classify(mn, ops)
        c[kind] += n if kind in ("vload", "load", "vstore", "store") else 1
        if kind in ("dot", "mmla", "mlal", "fma"): macs += n
        c["total"] += 1
        if kind in ("dot", "mmla", "mlal", "fma", "vec", "vload", "vstore"): c["qform"] += 1
    vec = c["dot"] + c["mmla"] + c["fma"] + c["vec"] + c["mlal"]
    a76 = max(c["total"] / 4, vec / 2, c["mlal"], (c["vload"] + c["load"]) / 2, c["vstore"] + c["store"])
    a55 = max(c["total"] / 2, c["qform"], 2 * c["vload"] + c["load"] / 2 + c["vstore"])
    return {"Cortex-A76 @ 2.4 GHz": a76, "Cortex-A55 @ 1.8 GHz": a55}, macs, c


def kernel(obj, function, key, units=None, require=None, exclude=None):
    body = innermost_loop(disassemble(os.path.join(OBJ, obj), function), key, require, exclude)
    cyc, macs, counts = cycles(body)
    per = units if units is not None else macs
    return {core: v / per for core, v in cyc.items()}, counts, per


def epilogues():
    """Cycles per output of the NEON int8 GEMM epilogue (qepilogue_neon.h) for 16 full columns, per
    epilogue: each compiled alone with the epilogue constant, straight-line code."""
    src = os.path.normpath(os.path.join(os.getcwd(), "Sources/CCNXKernels"))
    probe = "/tmp/cnx_epilogue_probe.c"
    cases = ["f32", "f32_residual", "u8", "u8_table"]
    with open(probe, "w") as f:
        f.write('#include "qepilogue_neon.h"\n')
        for c in cases:
            f.write(f"void probe_{c}(const int32x4_t* a, const float* scale, float* of, uint8_t* ou, const float* res,"
                    f" const uint8_t* table, int32_t zp, size_t r, size_t col, size_t os) {{"
                    f" const cnx_qu8_pwconv_params q = {{.scale = scale, .residual = res, .output_f32 = of, .output_u8 = ou,"
                    f" .output_zero_point = zp, .table = table, .epilogue = cnx_qu8_epilogue_{c}}};"
                    f" cnx_qneon_epilogue16(&q, a, r, col, os); }}\n")
    sysroot = subprocess.run(["scripts/arm64/env.sh", "sysroot"], capture_output=True, text=True).stdout.strip()
    subprocess.run([CLANG, "--target=aarch64-linux-gnu", f"--sysroot={sysroot}", "-O2", "-c", "-I", src, "-I",
                    os.path.join(src, "include"), probe, "-o", "/tmp/cnx_epilogue_probe.o"], check=True)
    out = {}
    for c in cases:
        body = [(mn, ops) for _, mn, ops in disassemble("/tmp/cnx_epilogue_probe.o", f"probe_{c}")]
        cyc, _, counts = cycles(body)
        out[c] = ({core: v / 16 for core, v in cyc.items()}, counts)
    return out


def main():
    est = {}
    k = {}
    k["qu8 GEMM, sdot (neondot)"] = kernel("qu8_pwconv_neondot.c.o", "cnx_qu8_pwconv_neondot", {"dot"})
    k["qu8 GEMM, usmmla (neoni8mm)"] = kernel("qu8_pwconv_neoni8mm.c.o", "cnx_qu8_pwconv_neoni8mm", {"mmla"})
    k["qu8 GEMM, smlal (neon)"] = kernel("qu8_pwconv_neon.c.o", "cnx_qu8_pwconv_neon", {"mlal"})
    k["f32 GEMM (neon)"] = kernel("f32_pwconv_neon.c.o", "cnx_f32_pwconv_neon", {"fma"}, exclude="scvtf")
    k["f32 GEMM, int8 weights (neon)"] = kernel("f32_pwconv_neon.c.o", "cnx_f32_pwconv_neon", {"fma"}, require="scvtf")
    k["f32 dwconv 7x7 (neon)"] = kernel("f32_dwconv7x7_ln_neon.c.o", "cnx_f32_dwconv7x7_ln_neon", {"fma"})
    k["f32->u8 quantize, per element"] = kernel("f32_quantize_u8_neon.c.o", "cnx_f32_quantize_u8_neon", {"vec"}, units=8, require="fcvtns")
    k["u8 sum of squares, per element"] = kernel("u8_sumsq_neon.c.o", "cnx_u8_sumsq_neon", {"mlal"}, units=8)
    k["u8 requantize (GRN), per element"] = kernel("u8_channel_affine_neon.c.o", "cnx_u8_channel_affine_neon", {"vec"}, units=8, require="fcvtns")
    print("| kernel (inner loop) | instructions per iteration | work per iteration | A76 cycles per unit | A55 cycles per unit |")
    print("| --- | --- | --- | --- | --- |")
    for name, (per_unit, counts, per) in k.items():
        shown = ", ".join(f"{v} {n}" for n, v in counts.most_common() if n not in ("total", "qform"))
        unit = "MACs" if "GEMM" in name or "dwconv" in name else "elements"
        print(f"| {name} | {counts['total']} ({shown}) | {per} {unit} | {per_unit['Cortex-A76 @ 2.4 GHz']:.4f} | {per_unit['Cortex-A55 @ 1.8 GHz']:.4f} |")

    # LayerNorm: three passes over each row (sum, squared deviations, normalise), 4 floats per
    # iteration each; the per-element cost is their sum. Counted from its three loops.
    ln = disassemble(os.path.join(OBJ, "f32_layernorm_neon.c.o"), "cnx_f32_layernorm_neon")
    ln_cost = {c: 0.0 for c in CORES}
    vector_loops = [body for body in innermost_loops(ln) if len(body) < 20 and any(
        re.search(r"v\d+\.4s", ops) and classify(mn, ops)[0] in ("vec", "fma") for mn, ops in body)]
    for body in vector_loops[:4]:
        cyc, _, _ = cycles(body)
        for core in CORES: ln_cost[core] += cyc[core] / 4
    print(f"| f32 LayerNorm, per element ({len(vector_loops[:4])} vector loops) | | 4 elements | {ln_cost['Cortex-A76 @ 2.4 GHz']:.4f} | {ln_cost['Cortex-A55 @ 1.8 GHz']:.4f} |")

    epi_cases = epilogues()
    for c, (per_out, counts) in epi_cases.items():
        shown = ", ".join(f"{v} {n}" for n, v in counts.most_common() if n not in ("total", "qform"))
        print(f"| int8 GEMM epilogue {c}, per output | {counts['total']} for 16 outputs ({shown}) | 16 outputs | {per_out['Cortex-A76 @ 2.4 GHz']:.4f} | {per_out['Cortex-A55 @ 1.8 GHz']:.4f} |")

    # Atto 224, int8 as `cnx-edge compile --precision int8` makes it (stage 3's first block float).
    stages = [(56, 40, 2), (28, 80, 2), (14, 160, 6), (7, 320, 2)]
    work = Counter()
    for s, (hw, c, depth) in enumerate(stages):
        rows = hw * hw
        for b in range(depth):
            fp = (s == 3 and b == 0)
            work["dwconv MACs"] += rows * c * 49
            work["LN elements"] += rows * c
            if fp:
                work["f32 GEMM MACs, int8 weights"] += 2 * rows * c * 4 * c
                continue
            work["quantize elements"] += rows * c
            work["int8 GEMM MACs"] += 2 * rows * c * 4 * c
            work["u8-table outputs"] += rows * 4 * c
            work["f32-residual outputs"] += rows * c
            work["sumsq elements"] += rows * 4 * c
            work["requantize elements"] += rows * 4 * c
        if s < 3:
            work["LN elements"] += rows * c
            work["quantize elements"] += rows * c
            work["int8 GEMM MACs"] += (rows // 4) * (4 * c) * (2 * c)
            work["f32 outputs"] += (rows // 4) * 2 * c
    work["f32 GEMM MACs"] += 56 * 56 * 48 * 40  # the stem as a 48-deep GEMM
    work["f32 GEMM MACs, int8 weights"] += 320 * 1000  # the head
    work["LN elements"] += 56 * 56 * 40 + 320

    def ms(core, gemm):
        per = {c: v[0][core] for c, v in k.items()}
        parts = {
            "1x1 and downsample GEMMs (int8)": work["int8 GEMM MACs"] * per[gemm],
            "GEMM epilogues (int8)": work["u8-table outputs"] * epi_cases["u8_table"][0][core]
                + work["f32-residual outputs"] * epi_cases["f32_residual"][0][core] + work["f32 outputs"] * epi_cases["f32"][0][core],
            "depthwise 7x7 (fp32)": work["dwconv MACs"] * per["f32 dwconv 7x7 (neon)"],
            "LayerNorm": work["LN elements"] * ln_cost[core],
            "quantize, sum of squares, GRN requantize": work["quantize elements"] * per["f32->u8 quantize, per element"]
                + work["sumsq elements"] * per["u8 sum of squares, per element"]
                + work["requantize elements"] * per["u8 requantize (GRN), per element"],
            "fp32 GEMMs (float block and head with int8 weights, stem)": work["f32 GEMM MACs"] * per["f32 GEMM (neon)"]
                + work["f32 GEMM MACs, int8 weights"] * per["f32 GEMM, int8 weights (neon)"],
        }
        return {p: v / CORES[core] * 1e3 for p, v in parts.items()}

    print()
    print("Atto 224 work: " + ", ".join(f"{v / 1e6:.1f}M {n}" for n, v in work.items()))
    print()
    # Neither core has i8mm: the usmmla kernel's line above is for comparison (Neoverse V1/N2-class
    # cores issue it like sdot, with twice the multiply-accumulates).
    paths = [("int8, sdot (neondot)", "qu8 GEMM, sdot (neondot)"), ("int8, no dot product (neon)", "qu8 GEMM, smlal (neon)")]
    header = "| part of the int8 model | " + " | ".join(f"{core}: {name}" for core in CORES for name, _ in paths) + " |"
    print(header)
    print("|" + " --- |" * (1 + len(CORES) * len(paths)))
    tables = {(core, name): ms(core, gemm) for core in CORES for name, gemm in paths}
    for part in next(iter(tables.values())):
        print(f"| {part} | " + " | ".join(f"{tables[(core, name)][part]:.2f}" for core in CORES for name, _ in paths) + " |")
    print("| **total, ms** | " + " | ".join(f"**{sum(tables[(core, name)].values()):.1f}**" for core in CORES for name, _ in paths) + " |")
    for core in CORES:
        dot = sum(tables[(core, 'int8, sdot (neondot)')].values())
        nodot = sum(tables[(core, 'int8, no dot product (neon)')].values())
        print(f"{core}: with dot product {dot:.1f} ms, without {nodot:.1f} ms: ratio {dot / nodot:.2f}")
    # fp32 model: every GEMM in fp32 (0.547 GMAC minus the depthwise).
    for core in CORES:
        per = {c: v[0][core] for c, v in k.items()}
        f32 = ((work["int8 GEMM MACs"] + work["f32 GEMM MACs"] + work["f32 GEMM MACs, int8 weights"]) * per["f32 GEMM (neon)"] + work["dwconv MACs"] * per["f32 dwconv 7x7 (neon)"]
               + work["LN elements"] * ln_cost[core]) / CORES[core] * 1e3
        print(f"{core}: fp32 Atto {f32:.1f} ms")


if __name__ == "__main__":
    main()
