#!/bin/sh
# Multi-architecture images: one `unikit build` of a Unikfile listing
# x86_64 and aarch64 stores both under one name, `run --arch` picks one,
# plain `run` picks the host's, and architecture mismatches are refused with
# one clear line. One line per check: "ok multiarch-X", "FAIL multiarch-X"
# (details on stderr) or "skip multiarch-X: why".
#
# Usage: sh tests/cli/multiarch.sh
# Environment: UNIKIT (default build/asan/bin/unikit), UNIKIT_LIBDIR (default
# lib/unikit), CLI_TIMEOUT (60), KEEP_TMP=1 keeps the work folder.

suite=multiarch
tests="build-both images-both run-aarch64 run-x86_64 run-default-host build-arch-override
run-missing-arch binary-wrong-arch"
own_checks=1 # skipped for the first thing missing, named below
env_libdir=1
. "$(dirname "$0")/lib.sh"
fixture=$fixtures/multiarch

# Everything both architectures need; without it every check is skipped.
why=""
if [ ! -x "$UNIKIT" ]; then
    why="unikit not built ($UNIKIT)"
fi
for a in x86_64 aarch64; do
    if [ -z "$why" ] && [ ! -f "$UNIKIT_LIBDIR/$a/kernel.o" ]; then
        why="no $a kernel in $UNIKIT_LIBDIR (run make)"
    fi
done
for t in musl-gcc aarch64-linux-musl-gcc aarch64-linux-gnu-ld qemu-system-x86_64 \
    qemu-system-aarch64; do
    if [ -z "$why" ] && ! command -v "$t" >/dev/null 2>&1; then
        why="$t not found"
    fi
done
[ -z "$why" ] || skip_all "$why"

# has_lines LINE...: each LINE is a whole line of $out, without the serial
# console's \r. Unlike lib.sh's expect_lines it fails no test.
has_lines() {
    for l in "$@"; do
        tr -d '\r' <"$out" | grep -Fxq -e "$l" || return 1
    done
}

# archs_of NAME: the ARCH column of `unikit images` rows for NAME, sorted, on
# one line ("" when none).
archs_of() {
    u images
    awk -v n="$1" 'NR > 1 { ref = $1; sub(/:latest$/, "", ref) } NR > 1 && ref == n { print $2 }' \
        "$out" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//'
}

# ---- one build, two images ------------------------------------------------------

u build "$fixture"
if [ "$status" -eq 0 ] && grep -q 'x86_64' "$out" && grep -q 'aarch64' "$out"; then
    pass build-both
else
    fail build-both "one build of fixtures/multiarch must build x86_64 and aarch64"
    show
fi

got=$(archs_of multiarch)
if [ "$got" = "aarch64 x86_64" ]; then
    pass images-both
else
    fail images-both "images must list multiarch once per architecture, got '$got'"
    show
fi

# run_arch NAME ARCH [RUNARGS...]: boots the image for ARCH; the program must
# say it runs on ARCH (uname and the compiler agreeing) and exit with 7.
run_arch() {
    name=$1 arch=$2
    shift 2
    u run "$@" multiarch
    if [ "$status" -eq 7 ] && has_lines "machine: $arch" "built for: $arch" "arg: from-cmd"; then
        pass "$name"
    else
        fail "$name" "unikit run $* multiarch: wanted 'machine: $arch', 'built for: $arch', status 7"
        show
    fi
}

run_arch run-aarch64 aarch64 --arch aarch64
run_arch run-x86_64 x86_64 --arch x86_64
run_arch run-default-host "$host_arch"

# ---- --arch on build overrides the Unikfile's arch ------------------------------

mkdir -p "$tmp/x86only"
cp "$fixture/machine.c" "$tmp/x86only/"
sed -e 's/^name: .*/name: x86only/' -e 's/^arch: .*/arch: [x86_64]/' "$fixture/Unikfile" \
    >"$tmp/x86only/Unikfile"
u build --arch aarch64 "$tmp/x86only"
st=$status
got=$(archs_of x86only)
u run --arch aarch64 x86only
if [ "$st" -eq 0 ] && [ "$got" = aarch64 ] && [ "$status" -eq 7 ] &&
    has_lines "machine: aarch64"; then
    pass build-arch-override
else
    fail build-arch-override "build --arch aarch64 of an x86_64-only Unikfile: exit $st," \
        "images list '$got' (wanted 'aarch64'), and it must boot on aarch64"
    show
fi

# ---- mismatches ---------------------------------------------------------------

u build -t onlyx86 --arch x86_64 "$fixture"
if [ "$status" -ne 0 ]; then
    fail run-missing-arch "build -t onlyx86 --arch x86_64 exited $status"
    show
else
    expect_error run-missing-arch 125 'no aarch64' run --arch aarch64 onlyx86
fi

# A prebuilt x86_64 program in an image that says it is for aarch64.
mkdir -p "$tmp/wrongbin"
if musl-gcc -static -O2 -o "$tmp/wrongbin/prog" "$fixture/machine.c" 2>"$err"; then
    printf 'name: wrongbin\nbuild:\n  binary: prog\ncmd: ["/prog"]\narch: [aarch64]\n' \
        >"$tmp/wrongbin/Unikfile"
    expect_error binary-wrong-arch 1 'prog.*x86_64.*aarch64' build "$tmp/wrongbin"
else
    fail binary-wrong-arch "musl-gcc could not build the fixture"
    show
fi

[ "$failures" -eq 0 ]
