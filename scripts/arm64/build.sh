#!/usr/bin/env bash
# Cross-compiles the package for aarch64 Linux in the sid chroot (scripts/arm64/env.sh), release.
#
#   scripts/arm64/build.sh tests   # the test bundle and cnx-edge, into .build-arm64/
#   scripts/arm64/build.sh dist    # cnx-edge with the Swift runtime linked statically, against the
#                                  # trixie sysroot (env.sh setup-dist), into .build-arm64-dist/
set -euo pipefail
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
ENV="$REPO/scripts/arm64/env.sh"
mode="${1:-tests}"
sysroot=/sysroot
if [ "$mode" = dist ]; then "$ENV" setup-dist; sysroot=/sysroot-dist; else "$ENV" setup; fi
CHROOT="$("$ENV" chroot-dir)"
trap '"$ENV" umount' EXIT
"$ENV" mount

common=(-c release --triple aarch64-unknown-linux-gnu --sdk "$sysroot"
        -Xswiftc -sdk -Xswiftc "$sysroot" -Xswiftc -use-ld=lld)
case "$mode" in
    tests)
        # The runtime is found on the board (or under qemu -L) where Debian puts it.
        args=("${common[@]}" -Xswiftc -resource-dir -Xswiftc /sysroot/usr/libexec/swift/lib/swift
              -Xlinker -rpath -Xlinker /usr/libexec/swift/lib/swift/linux
              -Xswiftc -enable-testing --build-tests --scratch-path .build-arm64) ;;
    dist)
        # Swift runtime and Foundation linked in; XNNPACK, cpuinfo and pthreadpool found beside the
        # binary first (dist ships bookworm's), then where the board's Debian puts them.
        # (the static runtime's resource folder holds static-stdlib-args.lnk, the link line's tail)
        args=("${common[@]}" -Xswiftc -resource-dir -Xswiftc /sysroot-dist/usr/libexec/swift/lib/swift_static
              --static-swift-stdlib -Xlinker -rpath -Xlinker '$ORIGIN/lib'
              --product cnx-edge --scratch-path .build-arm64-dist) ;;
    *) echo "usage: $0 tests|dist" >&2; exit 2 ;;
esac

pc=$sysroot/usr/lib/aarch64-linux-gnu/pkgconfig:$sysroot/usr/share/pkgconfig
chroot "$CHROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
    PKG_CONFIG_SYSROOT_DIR="$sysroot" PKG_CONFIG_PATH="$pc" PKG_CONFIG_LIBDIR="$pc" \
    sh -c 'cd "$1" && shift && swift build "$@"' sh "$REPO" "${args[@]}"
