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
golang-go
docker.io podman containerd runc iproute2
python3-grpcio python3-protobuf protobuf-compiler
clang-14 libclang-rt-14-dev libfuzzer-14-dev
"

# lwIP is built into the kernel's network object from Debian's source
# package: fetched with `apt-get source` and unpacked into build/lwip/. When
# the machine's apt sources have no deb-src entry, a private sources list
# (build/apt/) adds one for the machine's suite; the system's lists stay as
# they are. Nothing of lwIP is committed.
lwip_dir=build/lwip
fetch_lwip() {
    [ -f "$lwip_dir/src/core/tcp.c" ] && return 0
    apt_dir=$PWD/build/apt
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/src"
    set --
    if ! grep -rqs '^deb-src\|^Types:.*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
        echo "scripts/deps.sh: no deb-src entry in the apt sources; using one for" \
            "'$suite' in $apt_dir/sources.list (the system's lists are left alone)"
        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
            "http://deb.debian.org/debian $suite main" >"$apt_dir/sources.list"
        set -- -o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=- \
            -o "Dir::State::Lists=$apt_dir/lists"
        apt-get -qq "$@" update
    fi
    (cd "$apt_dir/src" && apt-get -qq "$@" source --download-only lwip 2>&1 |
        grep -v 'unsandboxed' || true)
    orig=$(ls "$apt_dir"/src/lwip_*.orig.tar.* 2>/dev/null | head -n 1)
    if [ -z "$orig" ]; then
        echo "scripts/deps.sh: apt-get source lwip fetched nothing" >&2
        exit 1
    fi
    rm -rf "$lwip_dir" && mkdir -p "$lwip_dir"
    tar -xf "$orig" -C "$lwip_dir" --strip-components=1
    echo "scripts/deps.sh: lwIP unpacked from $(basename "$orig") into $lwip_dir"
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
