#!/usr/bin/env bash
# `make test-sanitize`: the tests again under sanitizers, each build in its own scratch directory.
#   1. AddressSanitizer (LeakSanitizer included) over the Swift code and the C kernels, and
#      UndefinedBehaviorSanitizer over the C kernels (Swift has no UBSan: its release build keeps
#      overflow and bounds checks, and the few -Ounchecked kernels are bounds-tested), with
#      -fno-sanitize-recover: the first report fails the run. Kernel, op, loader, file-format,
#      preprocessing and parity tests (.build-asan).
#   2. ThreadSanitizer over the threading tests: the parallel runner, one Classifier shared by
#      several threads, the stress test (.build-tsan).
# SANITIZE=asan or SANITIZE=tsan runs one of them. Suppressions (leaks of the toolchain's own test
# harness and Foundation, none of ours) are in scripts/sanitize/lsan.supp.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
swift=${SWIFT:-swift}
flags=(-c release -Xswiftc -enable-testing $(scripts/swift-cpu-flags.sh))
which=${SANITIZE:-asan tsan}

# Builds quietly; on failure prints the errors (or the log's end) and stops.
build() {
    local log
    log=$(mktemp)
    if ! "$swift" build "$@" > "$log" 2>&1; then
        grep -E "error:" "$log" | head -40 || tail -40 "$log"
        echo "build failed: swift build $*" >&2
        exit 1
    fi
    grep -E "Build complete" "$log" || true
    rm -f "$log"
}

asan_tests='KernelTests|NativeKernelTests|QuantizedKernelTests|QU8PWConvSwiftTests|QS8GRNRequantizeTests|OpHarnessTests|MemoryPlanTests|CompilerTests|ModelFile|FuzzFindingTests|WeightLoadingTests|PyTorchCheckpointTests|NumpyArrayTests|ImagePreprocessing|FramePreprocessorTests|ReferenceModelTests|CompiledModelTests|NativeBackendTests|ProviderTests|Int8SyntheticFidelityTests'
tsan_tests='ParallelRunnerTests|ClassifierTests'

for s in $which; do
    case $s in
    asan)
        asan=(--sanitize=address -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined --scratch-path .build-asan)
        echo "== AddressSanitizer + UndefinedBehaviorSanitizer (C): build"
        build "${flags[@]}" "${asan[@]}" --build-tests
        echo "== AddressSanitizer + UndefinedBehaviorSanitizer (C): $asan_tests"
        ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1 \
        LSAN_OPTIONS=suppressions=$root/scripts/sanitize/lsan.supp:print_suppressions=0 \
        UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
            "$swift" test "${flags[@]}" "${asan[@]}" --skip-build --filter "$asan_tests"
        ;;
    tsan)
        tsan=(--sanitize=thread --scratch-path .build-tsan)
        echo "== ThreadSanitizer: build"
        build "${flags[@]}" "${tsan[@]}" --build-tests
        echo "== ThreadSanitizer: $tsan_tests"
        # TSan runs the stress test about 10x slower: 100 inferences per thread instead of 500.
        CNX_EDGE_TEST_STRESS_RUNS=${CNX_EDGE_TEST_STRESS_RUNS:-100} \
        TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
            "$swift" test "${flags[@]}" "${tsan[@]}" --skip-build --filter "$tsan_tests"
        ;;
    *) echo "unknown sanitizer $s (asan or tsan)" >&2; exit 2 ;;
    esac
done
echo "== sanitizers clean: $which"
