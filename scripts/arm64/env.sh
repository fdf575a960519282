#!/usr/bin/env bash
# Builds (once) the ARM64 cross-compilation environment in a build folder of the checkout, and
# mounts what a build in it needs. Idempotent: each step leaves a stamp and is skipped next time.
#
#   scripts/arm64/env.sh setup     # host packages (bookworm only), sid chroot, arm64 sysroot
#   scripts/arm64/env.sh setup-dist  # also the trixie sysroot `make dist-arm64` links against
#   scripts/arm64/env.sh mount     # bind-mounts for a build (the checkout at its own path)
#   scripts/arm64/env.sh umount
#
# Why a chroot: /opt/swift has no aarch64 runtime or SDK, and no Swift SDK can be downloaded here.
# Debian sid's `swiftlang` (6.2) can target aarch64 but needs sid's glibc, so it runs in a sid
# chroot under ARM64_ROOT (default .build-arm64-env/, about 7 GB). Nothing from sid touches the
# host: the host gets bookworm's debootstrap and qemu-user-static only.
#
# The sysroot (ARM64_ROOT/chroot/sysroot) holds sid's arm64 glibc, libstdc++, libturbojpeg, libpng
# and the arm64 Swift runtime, and bookworm's arm64 XNNPACK (2022-02-16), cpuinfo and pthreadpool:
# the same XNNPACK API and kernels as the x86-64 build (sid's 2024 XNNPACK renamed its operators).
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="$(cd "$REPO/.." && pwd)/shared"
ROOT="${ARM64_ROOT:-$REPO/.build-arm64-env}"
CHROOT="$ROOT/chroot"
SYSROOT="$CHROOT/sysroot"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
STAMPS="$ROOT/stamps"

log() { printf 'arm64-env: %s\n' "$*" >&2; }
in_chroot() { chroot "$CHROOT" /usr/bin/env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
done_step() { [ -e "$STAMPS/$1" ]; }
mark() { mkdir -p "$STAMPS"; touch "$STAMPS/$1"; }

bind() {  # bind SRC DEST [ro]
    mkdir -p "$2"
    if ! mountpoint -q "$2"; then
        mount --bind "$1" "$2"
        if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$2"; fi
    fi
}

do_mount() {
    bind /proc "$CHROOT/proc"
    bind /sys "$CHROOT/sys"
    bind /dev "$CHROOT/dev"
    bind /dev/pts "$CHROOT/dev/pts"
    [ -d /opt/swift-packages ] && bind /opt/swift-packages "$CHROOT/opt/swift-packages" ro
    # The checkout and ../shared at their own absolute paths: #filePath in a test binary built in
    # the chroot then names the same files when the binary runs on the host under qemu.
    bind "$REPO" "$CHROOT$REPO"
    [ -d "$SHARED" ] && bind "$SHARED" "$CHROOT$SHARED" ro
    return 0
}

do_umount() {
    [ -d "$CHROOT" ] || return 0
    local m
    for m in "$CHROOT$SHARED" "$CHROOT$REPO" "$CHROOT/opt/swift-packages" "$CHROOT/dev/pts" \
             "$CHROOT/dev" "$CHROOT/sys" "$CHROOT/proc"; do
        if mountpoint -q "$m" 2>/dev/null; then umount "$m" || umount -l "$m"; fi
    done
}

# A merged-/usr layout, and SwiftPM looks for swiftrt.o under SDK/usr/lib/swift.
link_sysroot() {
    [ -e "$1/lib" ] || ln -s usr/lib "$1/lib"
    [ -e "$1/bin" ] || ln -s usr/bin "$1/bin"
    [ -e "$1/usr/lib/swift" ] || ln -s ../libexec/swift/lib/swift "$1/usr/lib/swift"
    [ -e "$1/usr/lib/swift_static" ] || ln -s ../libexec/swift/lib/swift_static "$1/usr/lib/swift_static"
}

setup() {
    if ! done_step host; then
        log "host packages (bookworm): debootstrap qemu-user-static"
        if ! command -v debootstrap >/dev/null || ! command -v qemu-aarch64-static >/dev/null; then
            apt-get update
            DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends debootstrap qemu-user-static
        fi
        mark host
    fi

    if ! done_step debootstrap; then
        log "debootstrap sid (amd64, minbase) into $CHROOT"
        rm -rf "$CHROOT"; mkdir -p "$CHROOT"
        debootstrap --variant=minbase --arch=amd64 sid "$CHROOT" "$MIRROR"
        mark debootstrap
    fi

    if ! done_step toolchain; then
        log "sid toolchain in the chroot: swiftlang, lld, git, pkgconf"
        # sid's Release file can look expired against a machine's clock.
        echo 'Acquire::Check-Valid-Until "false";' > "$CHROOT/etc/apt/apt.conf.d/99no-valid-until"
        echo 'APT::Install-Recommends "false";' > "$CHROOT/etc/apt/apt.conf.d/99no-recommends"
        cat > "$CHROOT/etc/apt/sources.list" <<EOF
deb $MIRROR sid main
deb [arch=arm64] $MIRROR bookworm main
deb [arch=arm64] $MIRROR trixie main
EOF
        in_chroot dpkg --add-architecture arm64
        do_mount
        in_chroot apt-get update
        local gccv
        gccv="$(in_chroot apt-cache depends gcc | sed -n 's/.*Depends: gcc-\([0-9][0-9]*\)$/\1/p' | head -1)"
        [ -n "$gccv" ] || { log "cannot tell sid's gcc version"; exit 1; }
        echo "$gccv" > "$ROOT/gcc-version"
        in_chroot apt-get install -y swiftlang lld git ca-certificates pkgconf libc6-dev "libstdc++-$gccv-dev"
        # The host's rule that reads github.com from the local package mirror.
        git config --system -l 2>/dev/null | sed -n 's/^url\.\(.*\)\.insteadof=\(.*\)$/\1 \2/p' |
            while read -r to from; do in_chroot git config --system --add "url.$to.insteadOf" "$from"; done
        cp "$(command -v qemu-aarch64-static)" "$CHROOT/usr/bin/"
        mark toolchain
    fi

    if ! done_step sysroot; then
        log "arm64 sysroot in $SYSROOT"
        do_mount
        local gccv debs=/var/cache/arm64-debs
        gccv="$(cat "$ROOT/gcc-version")"
        rm -rf "$CHROOT$debs"; mkdir -p "$CHROOT$debs/partial"
        # sid's arm64 runtime and C dependencies, resolved by apt but not installed (download only).
        in_chroot apt-get install -y --download-only -o "Dir::Cache::archives=$debs" \
            libc6-dev:arm64 "libgcc-$gccv-dev:arm64" "libstdc++-$gccv-dev:arm64" \
            libturbojpeg0-dev:arm64 libpng-dev:arm64 zlib1g-dev:arm64 libswiftlang:arm64
        # Packages apt counts as satisfied by the amd64 ones (arch: all), and bookworm's XNNPACK set.
        (cd "$CHROOT$debs" && in_chroot sh -c "cd $debs && apt-get download linux-libc-dev:arm64 \
            libxnnpack-dev:arm64/bookworm libxnnpack0:arm64/bookworm \
            libcpuinfo-dev:arm64/bookworm libcpuinfo0:arm64/bookworm \
            libpthreadpool-dev:arm64/bookworm libpthreadpool0:arm64/bookworm")
        # Only the Swift runtime's libraries from the (large) arm64 compiler package.
        in_chroot sh -c "cd /tmp && rm -f swiftlang_*arm64.deb && apt-get download swiftlang:arm64"
        rm -rf "$SYSROOT"; mkdir -p "$SYSROOT"
        local deb
        for deb in "$CHROOT$debs"/*.deb; do
            case "$(basename "$deb")" in
                # sid's XNNPACK set is never fetched, but be sure bookworm's is what lands.
                libxnnpack*_*0.0~git2024*|libcpuinfo*_*0.0~git2024*|libpthreadpool*_*0.0~git2024*) continue ;;
            esac
            dpkg-deb -x "$deb" "$SYSROOT"
        done
        local tmp="$CHROOT/tmp/swiftlang-arm64"
        rm -rf "$tmp"; mkdir -p "$tmp"
        dpkg-deb --fsys-tarfile "$CHROOT"/tmp/swiftlang_*arm64.deb |
            tar -x -C "$tmp" ./usr/libexec/swift/lib/swift ./usr/libexec/swift/lib/clang ./usr/libexec/swift/lib/swift_static 2>/dev/null ||
            dpkg-deb --fsys-tarfile "$CHROOT"/tmp/swiftlang_*arm64.deb |
            tar -x -C "$tmp" --wildcards './usr/libexec/swift/lib/swift/*' './usr/libexec/swift/lib/clang/*' './usr/libexec/swift/lib/swift_static/*'
        mkdir -p "$SYSROOT/usr/libexec/swift/lib"
        cp -a "$tmp/usr/libexec/swift/lib/." "$SYSROOT/usr/libexec/swift/lib/"
        rm -rf "$tmp" "$CHROOT"/tmp/swiftlang_*arm64.deb
        link_sysroot "$SYSROOT"
        # Debian ships the _Testing_Foundation module but not its library; the test bundle's link
        # line names it. An empty stand-in satisfies it (nothing in it is called).
        local lib="$SYSROOT/usr/libexec/swift/lib/swift/linux"
        if [ ! -e "$lib/lib_Testing_Foundation.so" ]; then
            echo 'void cnx_edge_testing_foundation_stand_in(void) {}' > "$CHROOT/tmp/stub.c"
            in_chroot /usr/libexec/swift/bin/clang --target=aarch64-linux-gnu --sysroot=/sysroot -fuse-ld=lld -shared -nostdlib \
                -o "/sysroot/usr/libexec/swift/lib/swift/linux/lib_Testing_Foundation.so" /tmp/stub.c
        fi
        rm -rf "$CHROOT$debs"
        in_chroot apt-get clean
        mark sysroot
    fi
    log "ready: chroot $CHROOT, sysroot $SYSROOT"
}

# The sysroot a board binary links against: Debian 13 trixie's arm64 glibc (2.41), libstdc++ and
# image libraries instead of sid's, so the binary asks the board for glibc <= 2.41 rather than
# sid's 2.43 (sid's libm gives sqrtf & co. new symbol versions); the Swift runtime (static) and
# bookworm's XNNPACK set as in the test sysroot.
DIST_SYSROOT="$CHROOT/sysroot-dist"
setup_dist() {
    setup
    done_step sysroot-dist && return 0
    log "arm64 dist sysroot (trixie) in $DIST_SYSROOT"
    do_mount
    in_chroot apt-get update
    local debs=/var/cache/arm64-dist-debs
    rm -rf "$CHROOT$debs"; mkdir -p "$CHROOT$debs"
    in_chroot sh -c "cd $debs && apt-get download \
        libc6:arm64/trixie libc6-dev:arm64/trixie linux-libc-dev/trixie libcrypt1:arm64/trixie libcrypt-dev:arm64/trixie \
        libgcc-s1:arm64/trixie libgcc-14-dev:arm64/trixie libstdc++6:arm64/trixie libstdc++-14-dev:arm64/trixie \
        libturbojpeg0:arm64/trixie libturbojpeg0-dev:arm64/trixie libpng16-16t64:arm64/trixie libpng-dev:arm64/trixie \
        zlib1g:arm64/trixie zlib1g-dev:arm64/trixie \
        libxnnpack-dev:arm64/bookworm libxnnpack0:arm64/bookworm libcpuinfo-dev:arm64/bookworm libcpuinfo0:arm64/bookworm \
        libpthreadpool-dev:arm64/bookworm libpthreadpool0:arm64/bookworm"
    rm -rf "$DIST_SYSROOT"; mkdir -p "$DIST_SYSROOT/usr/libexec/swift"
    local deb
    for deb in "$CHROOT$debs"/*.deb; do dpkg-deb -x "$deb" "$DIST_SYSROOT"; done
    # gcc 14's crt files and libgcc live under usr/lib/gcc/aarch64-linux-gnu/14: clang finds them there.
    cp -a "$SYSROOT/usr/libexec/swift/lib" "$DIST_SYSROOT/usr/libexec/swift/"
    link_sysroot "$DIST_SYSROOT"
    rm -rf "$CHROOT$debs"
    mark sysroot-dist
}

case "${1:-setup}" in
    setup) trap do_umount EXIT; setup ;;
    setup-dist) trap do_umount EXIT; setup_dist ;;
    dist-sysroot) echo "$DIST_SYSROOT" ;;
    mount) do_mount ;;
    umount) do_umount ;;
    chroot-dir) echo "$CHROOT" ;;
    sysroot) echo "$SYSROOT" ;;
    *) echo "usage: $0 setup|mount|umount|chroot-dir|sysroot" >&2; exit 2 ;;
esac
