#!/usr/bin/env bash
# The aarch64 cnx-edge against the x86-64 one on the same .cnx files and eval images.
#
# The host binary (.build/release/cnx-edge, `make build`) compiles the trained Atto to an fp32 and
# an int8 .cnx (int8 calibrated on ../shared/images, never the eval images), classifies the first
# ARM64_CROSS_IMAGES eval images (default 30) with `run --dump-logits`, then the aarch64 binary does
# the same under qemu for each CPU model (the int8 model on all 300 eval images on the models in
# ARM64_CROSS_FULL_MODELS, default neoverse-n1), runs `bench --compiled` once, and writes what
# `inspect` shows per op (provider, kernel) to .build-arm64/cross/inspect-MODEL-PRECISION.txt. Checks:
#   fp32: top-5 identical on every image, logits within 1e-4 relative L2 error;
#   int8: top-5 identical on every image (the int8 GEMMs are bit-identical across ISAs; the float
#         steps between them, depthwise 7x7 + LayerNorm, GELU's float parts, differ by rounding).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO"
SYSROOT="$(scripts/arm64/env.sh sysroot)"
HOST=.build/release/cnx-edge
ARM=.build-arm64/aarch64-unknown-linux-gnu/release/cnx-edge
OUT=.build-arm64/cross
MODELS="${ARM64_MODELS:-cortex-a53 neoverse-n1 max}"
COUNT="${ARM64_CROSS_IMAGES:-30}"
FULL_MODELS="${ARM64_CROSS_FULL_MODELS:-neoverse-n1}"
[ -x "$HOST" ] || { echo "no $HOST: run make build first" >&2; exit 1; }
[ -x "$ARM" ] || { echo "no $ARM: run scripts/arm64/build.sh tests first" >&2; exit 1; }
mkdir -p "$OUT"
weights=../shared/reference/trained/convnextv2_atto_exemplar.safetensors
[ -s "$OUT/atto-fp32.cnx" ] || "$HOST" compile --weights "$weights" --output "$OUT/atto-fp32.cnx"
[ -s "$OUT/atto-int8.cnx" ] || "$HOST" compile --weights "$weights" --precision int8 \
    --calibration ../shared/images --output "$OUT/atto-int8.cnx"
find ../shared/eval-images -maxdepth 1 -type f | sort > "$OUT/all-images.txt"
head -n "$COUNT" "$OUT/all-images.txt" > "$OUT/images.txt"

status=0
for precision in fp32 int8; do
    model="$OUT/atto-$precision.cnx"
    "$HOST" run --compiled "$model" --backend native --dump-logits "$OUT/x86-$precision.npy" \
        $([ "$precision" = int8 ] && cat "$OUT/all-images.txt" || cat "$OUT/images.txt") > /dev/null
    for cpu in $MODELS; do
        list="$OUT/images.txt"
        [ "$precision" = int8 ] && [[ " $FULL_MODELS " == *" $cpu "* ]] && list="$OUT/all-images.txt"
        mapfile -t images < "$list"
        start=$(date +%s)
        qemu-aarch64-static -L "$SYSROOT" -cpu "$cpu" "$ARM" run --compiled "$model" --backend native \
            --dump-logits "$OUT/$cpu-$precision.npy" "${images[@]}" > /dev/null
        tolerance=(); [ "$precision" = fp32 ] && tolerance=(--tolerance 1e-4)
        printf '%s %s, %d images, %ss: ' "$cpu" "$precision" "${#images[@]}" "$(( $(date +%s) - start ))"
        scripts/arm64/compare-logits.py "$OUT/x86-$precision.npy" "$OUT/$cpu-$precision.npy" \
            "${tolerance[@]}" --names "$list" || status=1
        qemu-aarch64-static -L "$SYSROOT" -cpu "$cpu" "$ARM" inspect "$model" --backend native \
            > "$OUT/inspect-$cpu-$precision.txt" 2>&1 || status=1
        qemu-aarch64-static -L "$SYSROOT" -cpu "$cpu" "$ARM" bench --compiled "$model" --backend native \
            --iterations 1 --warmup 0 > "$OUT/$cpu-$precision-bench.txt" 2>&1 || { echo "bench failed"; status=1; }
    done
done
exit $status
