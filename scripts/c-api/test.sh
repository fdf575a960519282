#!/usr/bin/env bash
# The C API from an installed prefix (make install PREFIX=...), as a C or C++ user builds it:
#  1. an int8 Atto .cnx (the trained Atto, calibrated on ../shared/images) and the CLI's logits for
#     the eval images (`cnx-edge run --dump-logits`), both from PREFIX/bin/cnx-edge;
#  2. Tests/C/cnx_api_test.c built with `pkg-config --cflags --libs cnx-edge` and run on them
#     (errors, the CLI's logits from tensors, top-1 from decoded RGB frames, no allocation per
#     frame, two threads);
#  3. examples/c/classify.c against the shared and against the static library, and
#     examples/cpp/classify.cpp, built and run on two images;
#  4. examples/swift (a package depending on this one by path), built and run on the same images.
# CNX_EDGE_TEST_EVAL_LIMIT: use only the first N eval images.
set -euo pipefail
prefix=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$root/.build-c
mkdir -p "$work"
cd "$root"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
CC=${CC:-cc}
CXX=${CXX:-c++}
bin=$prefix/bin/cnx-edge

model=$work/atto-int8.cnx
if [ ! -f "$model" ]; then
    "$bin" compile --weights ../shared/reference/trained/convnextv2_atto_exemplar.safetensors --precision int8 \
        --calibration ../shared/images --calibration-limit 50 -o "$model"
fi
mapfile -t images < <(ls ../shared/eval-images/*.JPEG | sort | head -n "${CNX_EDGE_TEST_EVAL_LIMIT:-100000}")
"$bin" run --compiled "$model" --dump-logits "$work/cli-logits.npy" "${images[@]}" > /dev/null

# shellcheck disable=SC2046
$CC -std=c11 -O2 -Wall -Wextra -Werror Tests/C/cnx_api_test.c -o "$work/cnx_api_test" \
    $(pkg-config --cflags --libs cnx-edge) $(pkg-config --libs libturbojpeg) -lm -lpthread
"$work/cnx_api_test" "$model" "$work/cli-logits.npy" "${images[@]}"

# shellcheck disable=SC2046
$CC -std=c11 -O2 -Wall -Wextra -Werror examples/c/classify.c -o "$work/classify" $(pkg-config --cflags --libs cnx-edge)
# shellcheck disable=SC2046
$CC -std=c11 -O2 -Wall -Wextra -Werror examples/c/classify.c -o "$work/classify-static" $(pkg-config --cflags --libs cnx-edge-static)
# shellcheck disable=SC2046
$CXX -std=c++17 -O2 -Wall -Wextra -Werror examples/cpp/classify.cpp -o "$work/classify-cpp" $(pkg-config --cflags --libs cnx-edge)
if ldd "$work/classify-static" | grep -q cnxedge; then echo "FAIL: classify-static links libcnxedge.so" >&2; exit 1; fi
for program in classify classify-static; do
    out=$("$work/$program" "$model" "${images[0]}" "${images[1]}")
    echo "$out" | head -4
    echo "$out" | grep -q "int8 model, 224x224 input, 1000 classes" || { echo "FAIL: $program" >&2; exit 1; }
done
"$work/classify-cpp" "$model" "${images[0]}"
if "$work/classify-cpp" "$model" /nonexistent.jpg 2> "$work/cpp-error.txt"; then echo "FAIL: no error for a missing image" >&2; exit 1; fi
grep -q "CNX_ERROR_IO" "$work/cpp-error.txt" || { echo "FAIL: C++ error: $(cat "$work/cpp-error.txt")" >&2; exit 1; }

# The Swift example: a separate package, built as a user's application would be (its own .build).
swift build -c release --package-path examples/swift > "$work/swift-example-build.txt" 2>&1 ||
    { tail -20 "$work/swift-example-build.txt" >&2; echo "FAIL: examples/swift does not build" >&2; exit 1; }
out=$(examples/swift/.build/release/classify "$model" "${images[0]}")
echo "$out"
echo "$out" | grep -q "int8 model, 224x224 input, 1000 classes" || { echo "FAIL: examples/swift" >&2; exit 1; }
echo "$out" | grep -q "^frame: " || { echo "FAIL: examples/swift frame" >&2; exit 1; }
echo "$out" | grep -q "JPEG hammerhead" || { echo "FAIL: examples/swift: hammerhead not first" >&2; exit 1; }
echo "C API: all checks passed ($(du -h "$prefix/lib/libcnxedge.so" | cut -f1) shared library, $(du -h "$prefix/lib/libcnxedge.a" | cut -f1) static)"
