#!/usr/bin/env bash
# Makes the C API's libraries from SwiftPM's static archive of the CNXEdgeC target (product
# cnxedge-static: every object of cnx-edge, ZIPFoundation and the C API), in STAGE:
#   include/cnx_edge.h
#   lib/libcnxedge.so   the Swift runtime, libstdc++ and libgcc linked in statically and hidden; only
#                       the cnx_* functions of the header exported (a version script made from it).
#                       TurboJPEG and libpng stay shared: Debian's archives of them are not
#                       position-independent, so they cannot go into a shared library
#   lib/libcnxedge.a    one relocatable object (our objects + swiftrt.o, which registers Swift
#                       metadata) and the Swift runtime's static archives, merged: a C program links
#                       it with the system libraries cnx-edge-static.pc lists, no Swift needed
#   lib/pkgconfig/cnx-edge.pc, cnx-edge-static.pc   (prefix = PREFIX)
# Usage: build.sh ARCHIVE STAGE PREFIX
set -euo pipefail
archive=$1 stage=$2 prefix=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
swift_bin=$(readlink -f "$(command -v swiftc)")
static=$(dirname "$(dirname "$swift_bin")")/lib/swift_static/linux
version=$(sed -n 's/^#define CNX_EDGE_VERSION "\(.*\)"/\1/p' "$root/Sources/CCNXEdgeAPI/include/cnx_edge_internal.h")
[ -f "$archive" ] || { echo "no $archive: build the cnxedge-static product first" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$stage"
mkdir -p "$stage/include" "$stage/lib/pkgconfig"
cp "$root/include/cnx_edge.h" "$stage/include/"

# The exported functions: every cnx_ name declared with a parameter list in the header.
{ echo "{ global:"; grep -oE '\bcnx_[a-z0-9_]+\(' "$root/include/cnx_edge.h" | tr -d '(' | sort -u | sed 's/$/;/'; echo "local: *; };"; } > "$work/cnx_edge.map"

(cd "$work" && mkdir objs && cd objs && ar x "$archive")
swift_libs=(-lFoundation -lFoundationEssentials -lFoundationInternationalization -l_FoundationICU -lCoreFoundation
            -l_FoundationCShims -l_FoundationCollections -lswiftDispatch -lswiftSynchronization -lswift_Concurrency
            -lswift_StringProcessing -lswift_RegexParser -lswiftGlibc -lswift_Builtin_float)
c_libs=(-lXNNPACK -lpthreadpool -lcpuinfo -lturbojpeg -lpng16 -lz)
# libstdc++ from its archive: a directory searched first that holds only that.
mkdir "$work/static"
ln -s "$(clang -print-file-name=libstdc++.a)" "$work/static/libstdc++.a"
swiftc -emit-library -static-stdlib -o "$stage/lib/libcnxedge.so" -Xlinker -soname=libcnxedge.so \
    -Xlinker --version-script="$work/cnx_edge.map" "$work"/objs/*.o -L"$work/static" -L"$static" \
    "${swift_libs[@]}" "${c_libs[@]}" -Xclang-linker -static-libgcc \
    2>&1 | grep -v "use of \`mktemp' is dangerous" || true
[ -f "$stage/lib/libcnxedge.so" ] || { echo "linking libcnxedge.so failed" >&2; exit 1; }
strip --strip-unneeded "$stage/lib/libcnxedge.so"

ld -r -o "$work/cnxedge.o" "$work"/objs/*.o "$static/$(uname -m)/swiftrt.o"
{
    echo "CREATE $stage/lib/libcnxedge.a"
    echo "ADDMOD $work/cnxedge.o"
    for l in Foundation FoundationEssentials FoundationInternationalization _FoundationICU CoreFoundation _FoundationCShims \
             _FoundationCollections swiftDispatch dispatch BlocksRuntime swiftSynchronization swift_Concurrency \
             swift_StringProcessing swift_RegexParser swiftGlibc swift_Builtin_float swiftCore; do
        echo "ADDLIB $static/lib$l.a"
    done
    echo "SAVE"
    echo "END"
} | ar -M
ranlib "$stage/lib/libcnxedge.a"

for pc in cnx-edge cnx-edge-static; do
    sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" "$root/scripts/c-api/$pc.pc.in" > "$stage/lib/pkgconfig/$pc.pc"
done
echo "C API $version: $(du -h "$stage/lib/libcnxedge.so" | cut -f1) shared, $(du -h "$stage/lib/libcnxedge.a" | cut -f1) static -> $stage"
