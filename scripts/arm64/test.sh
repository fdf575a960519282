#!/usr/bin/env bash
# Runs the aarch64 test bundle (scripts/arm64/build.sh tests) under qemu-aarch64, once per CPU model.
#
#   scripts/arm64/test.sh                   # the full leg: every model, every group below
#   ARM64_MODELS="neoverse-n1" ARM64_GROUPS="kernels parity" scripts/arm64/test.sh
#
# Groups (Swift Testing filters; emulation runs ~20-50x slower than the host, so the whole suite is
# not run: the calibration-heavy suites would take hours):
#   kernels   every C kernel against its integer or float64 reference, the Swift kernels
#   ops       each fused op on every provider (swift, native, xnnpack) against the references
#   embed     the camera-frame kernels against their float64 definition and across pixel formats,
#             bad pixel buffers, and Classifier (labels, one model from 2 and 4 threads bit-identical),
#             on the models in ARM64_EMBED_MODELS (default neoverse-n1; the frame kernels are plain C
#             with no run-time dispatch, and the kernels under Classifier are the kernels group's)
#   native    fp32 on the native and xnnpack providers against timm's logits and intermediates
#             (../shared/reference), .cnx files, placement and tuning: Atto, Femto and Pico on the
#             models in ARM64_ALL_SIZES_MODELS (default neoverse-n1), Atto alone on the others
#             (CNX_EDGE_TEST_SIZES=atto; the fp32 kernels are the same NEON code on every model)
#   swift     fp32 on the swift provider against timm's (1 and 2 threads). Its code has no run-time
#             dispatch, so it is the same code on every CPU model: run on the models in
#             ARM64_SWIFT_MODELS only (default neoverse-n1), on ARM64_SWIFT_SIZES (default atto;
#             all three take about 20 minutes)
#   int8      int8 fidelity of the trained Atto, reduced protocol: CNX_EDGE_TEST_CALIBRATION_LIMIT
#             calibration images (default 10), CNX_EDGE_TEST_EVAL_LIMIT eval images (default 30)
#   cli       the aarch64 cnx-edge run through qemu by the CLI tests (CNX_EDGE_TEST_RUNNER), on the
#             models in ARM64_CLI_MODELS (default neoverse-n1; about 10 minutes each)
# Writes a summary (per model: features seen, kernels chosen, tests passed, seconds) to
# .build-arm64/test-summary.txt.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$REPO"
SYSROOT="$(scripts/arm64/env.sh sysroot)"
BIN=.build-arm64/aarch64-unknown-linux-gnu/release
BUNDLE="$BIN/cnx-edgePackageTests.xctest"
QEMU="$(command -v qemu-aarch64-static)"
[ -x "$BUNDLE" ] || { echo "no $BUNDLE: run scripts/arm64/build.sh tests first" >&2; exit 1; }

MODELS="${ARM64_MODELS:-cortex-a53 neoverse-n1 max}"
GROUPS_="${ARM64_GROUPS:-kernels ops embed native swift int8 cli}"
SWIFT_MODELS="${ARM64_SWIFT_MODELS:-neoverse-n1}"
ALL_SIZES_MODELS="${ARM64_ALL_SIZES_MODELS:-neoverse-n1}"
SWIFT_SIZES="${ARM64_SWIFT_SIZES:-atto}"
CLI_MODELS="${ARM64_CLI_MODELS:-neoverse-n1}"
EMBED_MODELS="${ARM64_EMBED_MODELS:-neoverse-n1}"
export CNX_EDGE_TEST_EVAL_LIMIT="${CNX_EDGE_TEST_EVAL_LIMIT:-30}"
# ClassifierTests/stress: 4 threads x this many inferences (500 on the host).
export CNX_EDGE_TEST_STRESS_RUNS="${CNX_EDGE_TEST_STRESS_RUNS:-20}"

filter() {
    case "$1" in
        kernels) echo 'KernelTests|NativeKernelTests|QuantizedKernelTests|QU8PWConvSwiftTests|QS8GRNRequantizeTests' ;;
        ops) echo 'OpHarnessTests' ;;
        native) echo 'NativeBackendTests|ProviderTests' ;;
        swift) echo 'ReferenceModelTests|CompiledModelTests' ;;
        int8) echo 'Int8FidelityTests/reducedProtocol' ;;
        cli) echo 'CLITests' ;;
        embed) echo 'FramePreprocessorTests/(matchesDefinition|formats|badBuffers|smallFrames)|ClassifierTests' ;;
        *) echo "unknown group $1" >&2; exit 2 ;;
    esac
}

summary=.build-arm64/test-summary.txt
: > "$summary"
status=0
for model in $MODELS; do
    run=("$QEMU" -L "$SYSROOT" -cpu "$model")
    {
        echo "== $model"
        echo "cpu: $("${run[@]}" "$BIN/cnx-edge" inspect --cpu 2>&1 | tr '\n' ' ')"
    } | tee -a "$summary"
    for group in $GROUPS_; do
        if [ "$group" = swift ] && [[ " $SWIFT_MODELS " != *" $model "* ]]; then
            printf '%-12s skipped (the same code as on %s: ARM64_SWIFT_MODELS)\n' "$group" "$SWIFT_MODELS" | tee -a "$summary"
            continue
        fi
        if [ "$group" = cli ] && [[ " $CLI_MODELS " != *" $model "* ]]; then
            printf '%-12s skipped (run on %s: ARM64_CLI_MODELS)\n' "$group" "$CLI_MODELS" | tee -a "$summary"
            continue
        fi
        if [ "$group" = embed ] && [[ " $EMBED_MODELS " != *" $model "* ]]; then
            printf '%-12s skipped (run on %s: ARM64_EMBED_MODELS)\n' "$group" "$EMBED_MODELS" | tee -a "$summary"
            continue
        fi
        start=$(date +%s)
        log=".build-arm64/test-$model-$group.log"
        sizes=atto
        [[ " $ALL_SIZES_MODELS " == *" $model "* ]] && sizes=atto,femto,pico
        [ "$group" = swift ] && sizes="$SWIFT_SIZES"
        if CNX_EDGE_TEST_SIZES="$sizes" CNX_EDGE_TEST_RUNNER="${run[*]}" "${run[@]}" "$BUNDLE" --testing-library swift-testing \
            --filter "$(filter "$group")" > "$log" 2>&1; then result=passed; else result=FAILED; status=1; fi
        line="$(grep -E 'Test run with [0-9]+ tests? (in [0-9]+ suites? )?(passed|failed)' "$log" | tail -1 || true)"
        case "$group" in native|swift) group="$group($sizes)" ;; esac
        printf '%-12s %-7s %4ss  %s\n' "$group" "$result" "$(( $(date +%s) - start ))" "${line:-(no summary line: see $log)}" |
            tee -a "$summary"
        [ "$result" = passed ] || grep -E '✘|error|failed' "$log" | head -20 >&2 || true
    done
done
exit $status
