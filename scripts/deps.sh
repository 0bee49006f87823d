#!/bin/sh
# Installs the Debian packages unikit needs to build, run and test, and
# nothing when they are all present. Safe to run again.
set -eu

packages="
gcc make binutils
musl-tools musl-dev
libyaml-dev libjansson-dev libssl-dev libcurl4-openssl-dev libarchive-dev
qemu-system-x86
cpio skopeo docker-registry
"

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

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
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "scripts/deps.sh: done"
