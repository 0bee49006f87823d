# Shared by the tests/compat/ suites (sourced after tests/cli/lib.sh):
# real programs built static from Debian source packages, for each
# architecture, and cached between runs.
#
# compat_build PKG sets prog_dir to the folder holding ARCH/PROGRAM for
# every ARCH in $compat_arches and returns 0; or returns 2 (skip) or 1
# (failure) with the reason in $why (a failed compile's log on stderr).
#
# The cache ($COMPAT_CACHE, default build/compat, outside git; `make clean`
# empties it) holds per package and version the unpacked source
# (PKG/VERSION/src) and the programs (PKG/VERSION/ARCH/, stamped with the
# checksum of the package's recipe in tests/compat/recipes.sh and the
# compiler's version).
#
# Environment: COMPAT_CACHE, COMPAT_ARCHES (default "x86_64 aarch64"),
# MUSL_GCC, MUSL_GCC_AARCH64, QEMU_AARCH64 as tests/guest/run.sh.

. "$root/tests/compat/recipes.sh"
COMPAT_CACHE=${COMPAT_CACHE:-$root/build/compat}
MUSL_GCC=${MUSL_GCC:-musl-gcc}
MUSL_GCC_AARCH64=${MUSL_GCC_AARCH64:-aarch64-linux-musl-gcc}
QEMU_AARCH64=${QEMU_AARCH64:-qemu-aarch64}
compat_arches=${COMPAT_ARCHES:-x86_64 aarch64}

compat_cc() { # ARCH
    case $1 in
    x86_64) echo "$MUSL_GCC" ;;
    aarch64) echo "$MUSL_GCC_AARCH64" ;;
    esac
}

# native_runner ARCH: how this machine runs an ARCH program ("" itself,
# else qemu-aarch64 user mode); returns 1, with $why, when it cannot.
native_runner() {
    runner=""
    [ "$1" = "$host_arch" ] && return 0
    if [ "$1" = aarch64 ] && command -v "$QEMU_AARCH64" >/dev/null 2>&1; then
        runner=$QEMU_AARCH64
        return 0
    fi
    why="no way to run $1 programs natively here ($QEMU_AARCH64 not found: apt-get install qemu-user)"
    return 1
}

# The version of PKG in the apt sources, or, when they cannot say (no
# network for the lists), the newest one already in the cache.
compat_version() { # PKG
    if version=$(sh "$root/scripts/debsrc.sh" version "$1" 2>"$tmp/debsrc.err"); then
        return 0
    fi
    version=$(ls -t "$COMPAT_CACHE/$1" 2>/dev/null | head -n 1)
    [ -n "$version" ] && [ -d "$COMPAT_CACHE/$1/$version/src" ] && return 0
    why="no source for $1: $(sed 's/^scripts\/debsrc.sh: //' "$tmp/debsrc.err" | tail -n 1)"
    return 2
}

# compat_stamp FN CC: the checksum of FN's prepare and recipe functions in
# recipes.sh, and CC's version.
compat_stamp() {
    printf '%s %s\n' "$(sed -n "/^\(prepare\|recipe\)_$1() {/,/^}/p" "$root/tests/compat/recipes.sh" |
        sha256sum | cut -c1-16)" "$($2 -dumpfullversion 2>/dev/null || $2 -dumpversion)"
}

compat_build() { # PKG
    pkg=$1 fn=$(echo "$1" | tr . _)
    compat_version "$pkg" || return $?
    prog_dir=$COMPAT_CACHE/$pkg/$version
    src=$prog_dir/src
    for arch in $compat_arches; do
        cc=$(compat_cc "$arch")
        stamp=$(compat_stamp "$fn" "$cc")
        [ -f "$prog_dir/$arch/.stamp" ] && [ "$(cat "$prog_dir/$arch/.stamp")" = "$stamp" ] &&
            continue
        if ! command -v "$cc" >/dev/null 2>&1; then
            why="$cc not found (make deps)"
            return 2
        fi
        t0=$(date +%s)
        if [ ! -f "$src/.unpacked" ]; then
            sh "$root/scripts/debsrc.sh" unpack "$pkg" "$src" 2>"$tmp/debsrc.err" || {
                why="no source for $pkg: $(sed 's/^scripts\/debsrc.sh: //' "$tmp/debsrc.err" | tail -n 1)"
                return 2
            }
            touch "$src/.unpacked"
        fi
        log=$prog_dir/$arch.log
        rm -rf "${prog_dir:?}/$arch" && mkdir -p "$prog_dir/$arch"
        if ! { ! command -v "prepare_$fn" >/dev/null || "prepare_$fn" "$src"; } >"$log" 2>&1 ||
            ! "recipe_$fn" "$src" "$cc" "$prog_dir/$arch" >>"$log" 2>&1; then
            why="$pkg $version did not build for $arch (log: $log)"
            tail -n 20 "$log" | sed 's/^/    | /' >&2
            return 1
        fi
        echo "$stamp" >"$prog_dir/$arch/.stamp"
        echo "  compat: built $pkg $version for $arch in $(($(date +%s) - t0)) s" >&2
    done
}

# compat_image NAME ARCH BINARY CMD [FILES...]: builds image NAME for ARCH
# from the static BINARY with the Unikfile's cmd: CMD (a YAML list) and
# each FILES entry ("./x: /y") copied from $compat_files; returns unikit's
# status, its output in $out and $err.
compat_image() {
    ci_name=$1 ci_arch=$2 ci_bin=$3 ci_cmd=$4
    shift 4
    ctx=$tmp/ctx-$ci_name
    rm -rf "$ctx" && mkdir -p "$ctx"
    cp "$ci_bin" "$ctx/"
    {
        echo "name: $ci_name"
        echo "build:"
        echo "  binary: ./$(basename "$ci_bin")"
        echo "cmd: $ci_cmd"
        echo "memory: ${compat_memory:-128M}"
        echo "arch: [$ci_arch]"
        if [ $# -gt 0 ]; then
            echo "files:"
            for f in "$@"; do
                cp -R "$compat_files/${f%%:*}" "$ctx/"
                echo "  $f"
            done
        fi
    } >"$ctx/Unikfile"
    u build -q "$ctx"
    return "$status"
}
