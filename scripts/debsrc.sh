#!/bin/sh
# Debian source packages, fetched with `apt-get source`: lwIP for the
# kernel's network object (scripts/deps.sh) and the real programs of
# tests/compat/. One place for the fetch logic:
#
#   sh scripts/debsrc.sh version PACKAGE    prints the source version apt
#                                           would fetch (e.g. 1.0.8-5)
#   sh scripts/debsrc.sh unpack PACKAGE DIR fetches PACKAGE's source into
#                                           build/apt/src/ and unpacks its
#                                           upstream tarball into DIR
#
# What is unpacked is the upstream source as Debian ships it (the
# .orig.tar.*; a native package's own .tar.*), without Debian's patches.
# When the machine's apt sources have no deb-src entry, a private sources
# list (build/apt/sources.list, lists in build/apt/lists/) adds one for the
# machine's suite; the system's lists stay as they are.
#
# Exit status: 0; 2 when the archive could not be reached or had nothing
# for PACKAGE (the message says which, so a test can skip naming it); 1 on
# bad usage.
set -eu
caller=$PWD
cd "$(dirname "$0")/.."
apt_dir=$PWD/build/apt

die() { # STATUS MESSAGE
    echo "scripts/debsrc.sh: $2" >&2
    exit "$1"
}

# Sets the positional parameters to apt's options: none when the system
# has a deb-src entry, else the private sources list (made, and its lists
# downloaded, the first time).
set_apt_options() {
    if grep -rqs '^deb-src\|^Types:.*deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        apt_opts=""
        return 0
    fi
    apt_opts="-o
Dir::Etc::sourcelist=$apt_dir/sources.list
-o
Dir::Etc::sourceparts=-
-o
Dir::State::Lists=$apt_dir/lists"
    if [ ! -f "$apt_dir/sources.list" ]; then
        mkdir -p "$apt_dir/lists/partial"
        suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
        echo "scripts/debsrc.sh: no deb-src entry in the apt sources; using one for" \
            "'$suite' in $apt_dir/sources.list (the system's lists are left alone)" >&2
        echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
            "http://deb.debian.org/debian $suite main" >"$apt_dir/sources.list"
    fi
    if ! ls "$apt_dir"/lists/*Sources* >/dev/null 2>&1; then
        update_lists
    fi
}

# apt_get ARGS...: apt-get with the options set_apt_options chose.
apt_get() {
    old_ifs=$IFS
    IFS='
'
    # shellcheck disable=SC2086 # one option a line
    set -- $apt_opts "$@"
    IFS=$old_ifs
    apt-get -qq "$@"
}

update_lists() {
    [ -n "$apt_opts" ] || return 0
    mkdir -p "$apt_dir/lists/partial"
    apt_get update >"$apt_dir/update.log" 2>&1 ||
        die 2 "cannot reach the Debian archive (apt-get update failed: $(grep -m1 '^[EW]:' "$apt_dir/update.log" || tail -n 1 "$apt_dir/update.log"))"
}

# dsc_name PACKAGE: the .dsc file apt would fetch, from the lists alone.
dsc_name() {
    (cd "$(mktemp -d)" && { apt_get source --print-uris "$1" 2>/dev/null || true; } && rmdir "$PWD") |
        awk '$2 ~ /\.dsc$/ { print $2; exit }'
}

version_of() {
    dsc=$(dsc_name "$1")
    if [ -z "$dsc" ]; then
        update_lists
        dsc=$(dsc_name "$1")
    fi
    [ -n "$dsc" ] || die 2 "the apt sources have no source package '$1'"
    dsc=${dsc%.dsc}
    echo "${dsc#"$1"_}"
}

# fetch PACKAGE VERSION: downloads the source package into build/apt/src
# (kept, so a second unpack downloads nothing).
fetch() {
    mkdir -p "$apt_dir/src"
    log=$apt_dir/src/$1.log
    if ! (cd "$apt_dir/src" && apt_get source --download-only "$1" >"$log" 2>&1); then
        # An old list may name a version the archive no longer has.
        update_lists
        (cd "$apt_dir/src" && apt_get source --download-only "$1" >"$log" 2>&1) ||
            die 2 "apt-get source $1 failed: $(grep -m1 '^E:' "$log" || tail -n 1 "$log")"
    fi
}

# upstream_tarball PACKAGE VERSION: the upstream tarball fetch left.
upstream_tarball() {
    upstream=${2#*:}
    upstream=${upstream%-*}
    for f in "$apt_dir/src/$1_$upstream.orig.tar."* "$apt_dir/src/$1_$2.tar."*; do
        [ -f "$f" ] && echo "$f" && return 0
    done
    return 1
}

unpack() { # PACKAGE DIR
    version=$(version_of "$1")
    tarball=$(upstream_tarball "$1" "$version") || {
        fetch "$1" "$version"
        tarball=$(upstream_tarball "$1" "$version") ||
            die 2 "apt-get source $1 fetched no upstream tarball for $version"
    }
    rm -rf "$2" && mkdir -p "$2"
    tar -xf "$tarball" -C "$2" --strip-components=1
    echo "scripts/debsrc.sh: $1 $version unpacked from $(basename "$tarball") into $2" >&2
}

[ $# -ge 2 ] || die 1 "usage: debsrc.sh version PACKAGE | unpack PACKAGE DIR"
set_apt_options
case $1 in
version) version_of "$2" ;;
unpack)
    [ $# -eq 3 ] || die 1 "usage: debsrc.sh unpack PACKAGE DIR"
    case $3 in
    /*) unpack "$2" "$3" ;;
    *) unpack "$2" "$caller/$3" ;;
    esac
    ;;
*) die 1 "unknown command '$1' (version or unpack)" ;;
esac
