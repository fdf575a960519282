#!/usr/bin/env bash
# Prints the swift build flags that let the Swift kernels use this CPU's vector units.
#
# Swift's default x86-64 target is the SSE2 baseline (4-wide, no FMA). On a CPU with AVX2 and FMA
# we build for `haswell` (swiftc has no `x86-64-v3` name) and define CNX_FMA, which switches the
# kernels to fused multiply-add (`addingProduct`) and the 6x16 GEMM tile. Never define CNX_FMA
# without an FMA target: `addingProduct` then becomes a libm `fmaf` call per lane (correct, slow).
# ARM64's baseline already has NEON with FMA, so nothing is added there.
# Override with `make SWIFT_CPU_FLAGS=` when building for another machine.
if [ "$(uname -m)" = "x86_64" ] && grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  echo "-Xswiftc -target-cpu -Xswiftc haswell -Xswiftc -DCNX_FMA -Xcc -march=haswell"
fi
