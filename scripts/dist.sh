#!/usr/bin/env bash
# dist/cnx-edge-<arch>-linux.tar.gz from the distribution build (make dist-build):
#   cnx-edge-<arch>-linux/bin/cnx-edge     Swift runtime inside (--static-swift-stdlib), rpath $ORIGIN/../lib
#   cnx-edge-<arch>-linux/lib/             libcnxedge.so, libcnxedge.a, pkgconfig/, and every shared
#                                          library the binary needs that is not glibc's (ldd)
#   cnx-edge-<arch>-linux/include/cnx_edge.h
# Then the check: a root holding only that folder, glibc's pieces and a .cnx runs
# `cnx-edge bench --compiled` under chroot: no Swift, no Debian packages, empty LD_LIBRARY_PATH.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
arch=$(uname -m)
name=cnx-edge-$arch-linux
out=dist/$name
rm -rf "$out" "dist/$name.tar.gz"
make -s install PREFIX="$root/$out" > /dev/null
strip "$out/bin/cnx-edge"
# The binary's rpath is $ORIGIN/lib; in the tarball it sits in bin/, so link lib/ there too.
ln -s ../lib "$out/bin/lib"
glibc='^(linux-vdso|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|ld-linux)'
for so in $(ldd "$out/bin/cnx-edge" "$out/lib/libcnxedge.so" | awk '/=>/ {print $1 " " $3}' | grep -vE "$glibc" | awk '{print $2}' | sort -u); do
    cp -L "$so" "$out/lib/"
done
tar -C dist -czf "dist/$name.tar.gz" "$name"
echo "dist/$name.tar.gz: $(du -h "dist/$name.tar.gz" | cut -f1); bin/cnx-edge $(du -h "$out/bin/cnx-edge" | cut -f1)"
echo "bin/cnx-edge needs (ldd):"
ldd "$out/bin/cnx-edge" | sed 's/^/  /'

# The empty-root check.
jail=$(mktemp -d)
mkdir -p "$jail/opt" "$jail/tmp" "$jail/proc"
# The dynamic loader finds $ORIGIN through /proc/self/exe.
mount -t proc proc "$jail/proc"
trap 'umount "$jail/proc"; rm -rf "$jail"' EXIT
cp -a "$out" "$jail/opt/"
for so in $(ldd "$out/bin/cnx-edge" | grep -oE '/[^ ]+' | grep -E "/(libc|libm|libpthread|libdl|librt|ld-linux)[^/]*$"); do
    mkdir -p "$jail$(dirname "$so")"
    cp -L "$so" "$jail$so"
done
"$out/bin/cnx-edge" compile -o "$jail/tmp/atto.cnx" > /dev/null
echo "chroot $jail (only the folder, glibc and a .cnx; $(find "$jail" -path "$jail/proc" -prune -o -type f -print | wc -l) files):"
chroot_bin=$(command -v chroot || echo /usr/sbin/chroot)
env -i LD_LIBRARY_PATH= PATH=/opt/$name/bin "$chroot_bin" "$jail" /opt/$name/bin/cnx-edge bench --compiled /tmp/atto.cnx --iterations 5 --warmup 1 | sed 's/^/  /'
