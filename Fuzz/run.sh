#!/usr/bin/env bash
# Builds the fuzz targets (once; release + libFuzzer + AddressSanitizer, LeakSanitizer included)
# and runs one for SECONDS on its corpus (.build-fuzz/corpus/TARGET, seeded by make-seeds.py and
# cnx-edge compile), one process (FUZZ_JOBS=N: N in parallel). Findings go to .build-fuzz/findings/TARGET/;
# the last line is the summary: executions, coverage (edges), corpus size, findings.
#   Fuzz/run.sh TARGET SECONDS       TARGET: safetensors pytorch cnx numpy jpeg png, or all
# FUZZ_RUNS=N also stops after N executions (whichever comes first: the campaign is
# `FUZZ_RUNS=1000000 Fuzz/run.sh all 1800`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${1:?usage: run.sh TARGET SECONDS}
seconds=${2:-60}
jobs=${FUZZ_JOBS:-1}
work=$root/.build-fuzz
all="safetensors pytorch cnx numpy jpeg png"
if [ "$target" = all ]; then
    failed=0
    for t in $all; do "$0" "$t" "$seconds" || failed=1; done
    exit $failed
fi
case $target in
    safetensors) exe=FuzzSafetensors max=65536 ;;
    pytorch) exe=FuzzPyTorch max=65536 ;;
    cnx) exe=FuzzCNX max=65536 ;;
    numpy) exe=FuzzNumpy max=4096 ;;
    jpeg) exe=FuzzJPEG max=32768 ;;
    png) exe=FuzzPNG max=32768 ;;
    *) echo "unknown target $target (one of: $all)" >&2; exit 2 ;;
esac

bin=$work/build/release/$exe
# FUZZ_REBUILD=1 builds from clean.
[ -n "${FUZZ_REBUILD:-}" ] && rm -rf "$work/build"
if [ ! -x "$bin" ]; then
    # swiftc keeps only its last -sanitize= flag, and SwiftPM passes one per --sanitize in a Set's
    # order, which changes from run to run: some builds had no coverage in the Swift code (only
    # the C kernels' 10,966 counters), others no AddressSanitizer in it. The combined flag last
    # gives the Swift code both; clang and the link take SwiftPM's two flags as they are.
    swift build -c release --package-path Fuzz --scratch-path "$work/build" --sanitize=fuzzer --sanitize=address \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library $(scripts/swift-cpu-flags.sh) 2>&1 | grep -vE "warning: Cannot export local symbol|^\[" || true
    [ -x "$bin" ] || { echo "fuzz build failed" >&2; exit 1; }
    o=$(ls "$work"/build/*/release/CNXEdgeRuntime.build/*.o | head -1)
    if ! readelf -S "$o" | grep -c __sancov_cntrs > /dev/null || ! nm "$o" | grep -c __asan > /dev/null; then
        echo "fuzz build: $o lacks coverage counters or AddressSanitizer" >&2; exit 1
    fi
fi

corpus=$work/corpus/$target
if [ ! -d "$corpus" ]; then
    seeds=$work/seeds
    if [ ! -d "$seeds" ]; then
        # The first python3 with numpy: the one on PATH (a pyenv one may lack Debian's python3-numpy),
        # else Debian's.
        py=python3
        for p in python3 /usr/bin/python3; do "$p" -c 'import numpy' 2> /dev/null && { py=$p; break; }; done
        "$py" Fuzz/make-seeds.py "$seeds"
        # .cnx seeds from the tiny checkpoint: fp32, int8, labels, a 64x32 input.
        cli=$(swift build -c release $(scripts/swift-cpu-flags.sh) --show-bin-path)/cnx-edge
        [ -x "$cli" ] || swift build -c release $(scripts/swift-cpu-flags.sh) --product cnx-edge > /dev/null
        mkdir -p "$seeds/cnx"
        tiny=$seeds/safetensors/tiny-f32.safetensors
        "$cli" compile --weights "$tiny" --size 32 -o "$seeds/cnx/fp32.cnx" > /dev/null
        "$cli" compile --weights "$tiny" --size 32 --precision int8 --calibration Tests/CNXEdgeTests/Fixtures \
            --calibration-limit 4 -o "$seeds/cnx/int8.cnx" > /dev/null 2>&1
        printf 'a\nb\nc\n' > "$seeds/labels.txt"
        "$cli" compile --weights "$seeds/safetensors/tiny-2blocks.safetensors" --size 64x32 --labels "$seeds/labels.txt" \
            -o "$seeds/cnx/labels.cnx" > /dev/null
    fi
    mkdir -p "$corpus"
    cp "$seeds/$target"/* "$corpus/"
fi
findings=$work/findings/$target
mkdir -p "$findings"
extra=()
[ -f "Fuzz/dict/$target.dict" ] && extra+=(-dict="Fuzz/dict/$target.dict")
[ "$jobs" -gt 1 ] && extra+=(-jobs="$jobs" -workers="$jobs")
[ -n "${FUZZ_RUNS:-}" ] && extra+=(-runs="$FUZZ_RUNS")
log=$work/$target.log
start=$(date +%s)
set +e
"$bin" "$corpus" "${extra[@]}" -max_len=$max -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$findings/" > "$log" 2>&1
status=$?
set -e
[ "$jobs" -gt 1 ] && cat fuzz-*.log >> "$log" 2>/dev/null && rm -f fuzz-*.log
runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
cov=$(grep -oE 'cov: [0-9]+' "$log" | awk '{print $2}' | sort -n | tail -1)
found=$(find "$findings" -type f | wc -l)
elapsed=$(( $(date +%s) - start ))
echo "$target: $runs executions in ${elapsed}s (limit ${seconds}s), coverage ${cov:-0} edges, corpus $(ls "$corpus" | wc -l) inputs, findings $found (exit $status; log $log)"
if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
    grep -E 'ERROR|Fatal error|SUMMARY|==[0-9]+==' "$log" | head -20 >&2
    exit 1
fi
