#!/bin/sh
# Installs the Debian packages unikit needs to build, run and test, and
# nothing when they are all present. Safe to run again.
#
# aarch64 programs are compiled against musl for arm64, which Debian ships
# through multiarch: this script adds the arm64 architecture to dpkg when
# it is missing (dpkg --add-architecture arm64).
set -eu
cd "$(dirname "$0")/.."

packages="
gcc make binutils
musl-tools musl-dev
gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu musl-dev:arm64 libc6-dev-arm64-cross
libyaml-dev libjansson-dev nettle-dev libssl-dev libcurl4-openssl-dev libarchive-dev zlib1g-dev
qemu-system-x86 qemu-system-arm qemu-user
python3
cpio skopeo docker-registry
curl wrk strace
tcl
golang-go
docker.io podman containerd runc iproute2
python3-grpcio python3-protobuf protobuf-compiler
clang-14 libclang-rt-14-dev libfuzzer-14-dev
"

# lwIP is built into the kernel's network object from Debian's source
# package, fetched and unpacked into build/lwip/ by scripts/debsrc.sh (which
# adds a private deb-src list when the machine has none). Nothing of lwIP
# is committed.
lwip_dir=build/lwip
fetch_lwip() {
    [ -f "$lwip_dir/src/core/tcp.c" ] && return 0
    sh scripts/debsrc.sh unpack lwip "$lwip_dir"
}

install_packages() {
missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && return 0

echo "scripts/deps.sh: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo=sudo
    else
        echo "scripts/deps.sh: need root (or sudo) to install:$missing" >&2
        exit 1
    fi
else
    sudo=
fi
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "scripts/deps.sh: adding the arm64 architecture to dpkg (for musl-dev:arm64)"
    $sudo dpkg --add-architecture arm64
fi
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "scripts/deps.sh: done"
}

install_packages
fetch_lwip
