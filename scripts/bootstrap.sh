#!/usr/bin/env bash
# Installs the Debian packages cnx-edge builds against; does nothing if they are already there.
# Safe to run any number of times. Needs root (or sudo) only when something is missing.
# `bootstrap.sh fuzz` adds what the fuzz targets' seed script needs (python3, numpy).
set -euo pipefail

packages=(
  libturbojpeg0-dev   # JPEG decoding (TurboJPEG API)
  libpng-dev          # PNG decoding
  libxnnpack-dev      # the xnnpack execution provider (trait "Native", on by default): XNNPACK's convolution, fully-connected and add operators
  libpthreadpool-dev  # the native kernels' thread pool
  libcpuinfo-dev      # CPU feature detection for kernel selection
  pkg-config          # the C API's tests and examples build against cnx-edge.pc
)
[ "${1:-}" = fuzz ] && packages+=(python3 python3-numpy)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "bootstrap: installing ${missing[*]}" >&2
$sudo apt-get update
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
