#!/usr/bin/env bash
# Prints the swiftc flags that let the Swift kernels use this CPU's vector units.
# Swift's default x86-64 target is the SSE2 baseline; on a CPU with AVX2 and FMA we build for
# haswell (8-wide AVX2 + FMA; swiftc has no x86-64-v3 name). ARM64's baseline already has NEON, so nothing is added there.
# Override with `make SWIFT_CPU_FLAGS=` (e.g. when building for another machine).
if [ "$(uname -m)" = "x86_64" ] && grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  echo "-Xswiftc -target-cpu -Xswiftc haswell -Xcc -march=haswell"
fi
