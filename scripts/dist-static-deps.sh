#!/usr/bin/env bash
# The distribution build links the C libraries for which Debian ships a static archive statically:
# TurboJPEG, libpng, zlib and libstdc++ (libgcc through -static-libgcc, see the Makefile). Writes
#   DIR/lib/        libturbojpeg.a, libpng16.a, libz.a, libstdc++.a (links to the system's)
#   DIR/pkgconfig/  libturbojpeg.pc, libpng.pc, zlib.pc whose Libs start with -LDIR/lib
# With PKG_CONFIG_PATH=DIR/pkgconfig, SwiftPM puts -LDIR/lib ahead of every other library
# directory on the link line (it takes its -L from the system library targets' pkg-config files),
# and ld, finding only an archive there, links each of these archives instead of the shared library.
# XNNPACK, pthreadpool and cpuinfo stay shared: Debian ships no archive for them.
# Usage: dist-static-deps.sh DIR
set -euo pipefail
dir=$1
cc=$(command -v clang || command -v cc)
rm -rf "$dir"
mkdir -p "$dir/lib" "$dir/pkgconfig"
for archive in libturbojpeg.a libpng16.a libz.a libstdc++.a; do
    path=$("$cc" -print-file-name="$archive")
    [ -f "$path" ] || { echo "no $archive (install libturbojpeg0-dev, libpng-dev, zlib1g-dev, libstdc++-12-dev)" >&2; exit 1; }
    ln -s "$path" "$dir/lib/$archive"
done
pc() {  # name cflags libs
    printf 'Name: %s\nDescription: %s linked statically (cnx-edge distribution build)\nVersion: 0\nCflags: %s\nLibs: -L%s %s\n' \
        "$1" "$1" "$2" "$dir/lib" "$3" > "$dir/pkgconfig/$1.pc"
}
pc libturbojpeg "" "-lturbojpeg"
pc libpng "-I/usr/include/libpng16" "-lpng16 -lz"
pc zlib "" "-lz"
