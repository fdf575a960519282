#!/usr/bin/env bash
# Prints the swift build flags that let the Swift kernels use this CPU's vector units.
#
# Swift's default x86-64 target is the SSE2 baseline (4-wide, no FMA). On a CPU with AVX2 and FMA
# we build for `haswell` (swiftc has no `x86-64-v3` name) and define CNX_FMA, which switches the
# kernels to fused multiply-add (`addingProduct`) and the 6x16 GEMM tile. Never define CNX_FMA
# without an FMA target: `addingProduct` then becomes a libm `fmaf` call per lane (correct, slow).
#
# On an AMD CPU with Zen 4's AVX-512 set (F, CD, BW, DQ, VL, IFMA, VBMI, VBMI2, VNNI, BF16, BITALG,
# VPOPCNTDQ, GFNI, VAES, VPCLMULQDQ: Zen 4 and Zen 5) we build for `znver4` and define CNX_AVX512: 32 vector registers and 512-bit vectors (the 12x16 float
# GEMM tile), VNNI `vpdpwssd` in the int8 GEMM, wider auto-vectorized loops. That tier passes no
# `-Xcc -march`: swiftc takes its vector features from the clang importer's target, so a C
# `-march` would override `-target-cpu` (the C kernels pick their ISA at run time either way).
#
# Intel CPUs stay on the haswell tier: `znver4` may emit AMD-only SSE4A, and LLVM's Intel AVX-512
# targets prefer 256-bit vectors, which splits the 512-bit tile (neither measured here).
#
# ARM64's baseline already has NEON with FMA, so nothing is added there.
# Override with `make SWIFT_CPU_FLAGS=` when building for another machine.
[ "$(uname -m)" = "x86_64" ] || exit 0
flags=$(grep -m1 -w flags /proc/cpuinfo)
has() { for f in "$@"; do [[ " $flags " == *" $f "* ]] || return 1; done; }
if grep -m1 -qw AuthenticAMD /proc/cpuinfo && has avx512f avx512cd avx512bw avx512dq avx512vl avx512ifma avx512vbmi avx512_vbmi2 avx512_vnni \
       avx512_bf16 avx512_bitalg avx512_vpopcntdq gfni vaes vpclmulqdq avx2 fma bmi2; then
  echo "-Xswiftc -target-cpu -Xswiftc znver4 -Xswiftc -DCNX_FMA -Xswiftc -DCNX_AVX512"
elif has avx2 fma; then
  echo "-Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DCNX_FMA -Xcc -march=haswell"
fi
