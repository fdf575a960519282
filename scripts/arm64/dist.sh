#!/usr/bin/env bash
# An aarch64 cnx-edge to copy to a board: dist/cnx-edge-aarch64-linux.tar.gz holding
#   cnx-edge      the Swift runtime and Foundation linked in (--static-swift-stdlib)
#   lib/          Debian bookworm's arm64 libXNNPACK.so.0, libcpuinfo.so.0, libpthreadpool.so.0
#                 (the 2022-02-16 XNNPACK the xnnpack provider is written against), found
#                 through the binary's $ORIGIN/lib run path
#   README.txt    what the board must provide (written below from the binary's own dynamic section)
# Then runs the packed binary under qemu (cortex-a53) from a scratch folder as a smoke test.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO"
scripts/arm64/build.sh dist
SYSROOT="$(scripts/arm64/env.sh dist-sysroot)"
CHROOT="$(scripts/arm64/env.sh chroot-dir)"
BIN=.build-arm64-dist/aarch64-unknown-linux-gnu/release/cnx-edge
STAGE=dist/cnx-edge-aarch64-linux
rm -rf "$STAGE"; mkdir -p "$STAGE/lib"
cp "$BIN" "$STAGE/cnx-edge"
# Host tools (the chroot's need sid's glibc): /opt/swift's llvm-objcopy, binutils' readelf.
objcopy=/opt/swift/usr/bin/llvm-objcopy; [ -x "$objcopy" ] || objcopy=llvm-objcopy
"$objcopy" --strip-all "$STAGE/cnx-edge"
for lib in libXNNPACK.so.0 libcpuinfo.so.0 libpthreadpool.so.0; do
    cp -L "$SYSROOT/usr/lib/aarch64-linux-gnu/$lib" "$STAGE/lib/$lib"
done

readelf=readelf
needed() { "$readelf" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
glibc() { "$readelf" -V "$1" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1; }
from_board=$( (needed "$STAGE/cnx-edge"; for l in "$STAGE"/lib/*; do needed "$l"; done) | sort -u |
    grep -v -E '^(libXNNPACK|libcpuinfo|libpthreadpool)\.so' | tr '\n' ' ')
glibc_min=$( (glibc "$STAGE/cnx-edge"; for l in "$STAGE"/lib/*; do glibc "$l"; done) | sort -V | tail -1)
cat > "$STAGE/README.txt" <<EOF
cnx-edge for aarch64 Linux (built $(date -u +%Y-%m-%d) from $(git rev-parse --short HEAD 2>/dev/null || echo a checkout))

Copy this folder to the board and run ./cnx-edge (keep lib/ beside it). The Swift runtime and
Foundation are linked in; lib/ holds Debian bookworm's arm64 XNNPACK (2022-02-16), cpuinfo and
pthreadpool. From the board's own system it needs only:
  $from_board
i.e. glibc ${glibc_min#GLIBC_} or newer (linked against Debian 13 trixie's), libstdc++6 and libgcc-s1, and
for JPEG/PNG input libturbojpeg0 and libpng16-16 (Debian/Ubuntu: apt install libturbojpeg0
libpng16-16t64, or libpng16-16 on older releases).

  ./cnx-edge inspect --cpu                     # the CPU features seen and the kernels chosen
  ./cnx-edge compile --weights convnextv2_atto.safetensors --precision int8 --calibration DIR --output atto-int8.cnx
  ./cnx-edge bench --compiled atto-int8.cnx --threads 4
  ./cnx-edge run --compiled atto-int8.cnx photo.jpg
EOF
tar -C dist -czf dist/cnx-edge-aarch64-linux.tar.gz cnx-edge-aarch64-linux
echo "dist/cnx-edge-aarch64-linux.tar.gz: $(du -h dist/cnx-edge-aarch64-linux.tar.gz | cut -f1); binary $(du -h "$STAGE/cnx-edge" | cut -f1)"
echo "needs from the board: $from_board(glibc ${glibc_min#GLIBC_})"

# Smoke test: the unpacked folder, elsewhere, under qemu; the sysroot supplies only what the board would.
scratch="$(mktemp -d)"
tar -C "$scratch" -xzf dist/cnx-edge-aarch64-linux.tar.gz
qemu-aarch64-static -L "$SYSROOT" -cpu cortex-a53 "$scratch/cnx-edge-aarch64-linux/cnx-edge" inspect --cpu
qemu-aarch64-static -L "$SYSROOT" -cpu cortex-a53 "$scratch/cnx-edge-aarch64-linux/cnx-edge" bench --model atto \
    --iterations 1 --warmup 0 2>&1 | tail -2
rm -rf "$scratch"
