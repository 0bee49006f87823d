#!/bin/sh
# Guest tests: every tests/guest/NAME.c is a small static program whose
# expected stdout is NAME.out, the same file for every architecture. Checks:
#   native-NAME          built with musl-gcc and run as a Linux process, which
#                        proves the test and its expected output are right;
#   native-aarch64-NAME  the same for aarch64, under qemu-aarch64 (user mode),
#                        when that emulator is installed;
#   guest-ARCH-NAME      booted with `unikit run --arch ARCH` under QEMU, for
#                        each ARCH in $GUEST_ARCHES. One `unikit build` of a
#                        Unikfile listing every such ARCH makes all the images.
# One line per check: "ok X", "FAIL X" (details on stderr) or "skip X: why".
#
# Metadata, as comment lines at the top of NAME.c:
#   // args: a b            extra cmd arguments (after "/t-NAME")
#   // env: K=V K2=V2       the Unikfile's env:
#   // run-env: K=V         passed as `unikit run -e K=V` (overrides env:)
#   // files: data          ships tests/guest/data to /data (native: $DATA_DIR)
#   // exit: N              expected exit status (default 0)
#   // memory: 128M         the Unikfile's memory:
#   // expect-substring: T  guest output must contain T (repeatable)
#   // expect-regex: ERE    guest output must match ERE, ignoring case (repeatable)
#   // native: no           no native run (Linux differs by design; "no (why)"
#                        says another reason)
#   // native-aarch64: no (why)  no run under qemu-aarch64 (the emulator
#                        differs from Linux there)
#   // arch: x86_64         the architectures the test is for (default: all),
#                        for a system call one architecture alone has
#   // cpus: 1 2            boot once per count with `unikit run --cpus N`
#                        (default: 1); a count above 1 names the check
#                        guest-ARCH-NAME-cpusN
# With any expect-* line the guest output (stdout, then stderr, where the
# kernel's messages such as a fault report or an ENOSYS warning come) need
# not equal NAME.out: each line of NAME.out must appear in it as a whole
# line. Otherwise the guest's stdout must equal NAME.out once any
# "unikit: warning: " lines are left out: the kernel may warn about what it
# does not support (DESIGN.md), and a wrong result still shows in the
# program's own lines. Native runs always compare exactly.
#
# Usage: sh tests/guest/run.sh [NAME...]
# Environment: UNIKIT (default build/asan/bin/unikit), UNIKIT_LIBDIR
# (default lib/unikit), GUEST_ARCHES (default "x86_64 aarch64"), MUSL_GCC
# (musl-gcc), MUSL_GCC_AARCH64 (aarch64-linux-musl-gcc), QEMU_AARCH64
# (qemu-aarch64), GUEST_TIMEOUT (seconds per boot, 60), KEEP_TMP=1 keeps
# the work folder.

cd "$(dirname "$0")/../.." || exit 1
root=$(pwd -P)
gdir=$root/tests/guest
UNIKIT=${UNIKIT:-build/asan/bin/unikit}
case $UNIKIT in
/*) ;;
*) UNIKIT=$root/$UNIKIT ;;
esac
MUSL_GCC=${MUSL_GCC:-musl-gcc}
MUSL_GCC_AARCH64=${MUSL_GCC_AARCH64:-aarch64-linux-musl-gcc}
QEMU_AARCH64=${QEMU_AARCH64:-qemu-aarch64}
GUEST_ARCHES=${GUEST_ARCHES:-x86_64 aarch64}
GUEST_TIMEOUT=${GUEST_TIMEOUT:-60}
export UNIKIT_LIBDIR="${UNIKIT_LIBDIR:-$root/lib/unikit}"
host_arch=$(uname -m)
case $host_arch in
arm64) host_arch=aarch64 ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/unikit-guest.XXXXXX") || exit 1
# A store of our own: tests never touch the user's images.
export UNIKIT_HOME="$tmp/home"
cleanup() {
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failures=0

# meta FILE KEY: the values of "// KEY: value" lines in FILE's leading
# comment block, one per line.
meta() {
    awk -v key="// $2:" '
        !/^\/\// { exit }
        index($0, key) == 1 { v = substr($0, length(key) + 1); sub(/^[ \t]+/, "", v); print v }
    ' "$1"
}

fail() {
    echo "FAIL $1"
    failures=$((failures + 1))
}

# show_diff EXPECTED ACTUAL: why an output check failed, on stderr.
show_diff() {
    diff -u "$1" "$2" | sed 's/^/    /' >&2
}

# yaml_str S: S as a double-quoted YAML scalar.
yaml_str() {
    printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

# check_output NAME MODE OUT EXPECTED SRC: compares one run's stdout;
# MODE "exact" or "lines" (each expected line present, plus expect-* lines).
check_output() {
    if [ "$2" = exact ]; then
        if cmp -s "$4" "$3"; then
            return 0
        fi
        echo "  $1: stdout differs from $4:" >&2
        show_diff "$4" "$3"
        return 1
    fi
    co_ok=0
    while IFS= read -r line || [ -n "$line" ]; do
        if ! grep -Fxq -e "$line" "$3"; then
            echo "  $1: missing line: $line" >&2
            co_ok=1
        fi
    done <"$4"
    while IFS= read -r s; do
        [ -n "$s" ] || continue
        if ! grep -Fq -e "$s" "$3"; then
            echo "  $1: missing text: $s" >&2
            co_ok=1
        fi
    done <<EOF
$(meta "$5" expect-substring)
EOF
    while IFS= read -r re; do
        [ -n "$re" ] || continue
        if ! grep -Eiq -e "$re" "$3"; then
            echo "  $1: no line matches /$re/" >&2
            co_ok=1
        fi
    done <<EOF
$(meta "$5" expect-regex)
EOF
    if [ $co_ok -ne 0 ]; then
        echo "  $1: output was:" >&2
        sed 's/^/    | /' "$3" >&2
    fi
    return $co_ok
}

# check_status NAME GOT WANT
check_status() {
    if [ "$2" -eq "$3" ]; then
        return 0
    fi
    echo "  $1: exit status $2, expected $3" >&2
    return 1
}

# The merged environment, one K=V per line: the Unikfile's env, then the
# run -e values, a later value for the same key replacing the earlier one.
merged_env() {
    for kv in $(meta "$1" env) $(meta "$1" run-env); do
        echo "$kv"
    done | awk -F= '{ v[$1] = $0; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
        END { for (i = 0; i < n; i++) print v[order[i]] }'
}

# arch_missing ARCH: why no image can be built and booted for ARCH here, or
# nothing when everything it needs is present.
arch_missing() {
    case $1 in
    x86_64) am_cc=$MUSL_GCC am_bin="as ld" ;;
    aarch64) am_cc=$MUSL_GCC_AARCH64 am_bin="aarch64-linux-gnu-as aarch64-linux-gnu-ld" ;;
    *)
        echo "unknown architecture $1"
        return
        ;;
    esac
    if [ ! -x "$UNIKIT" ]; then
        echo "unikit not built ($UNIKIT)"
    elif [ ! -f "$UNIKIT_LIBDIR/$1/kernel.o" ] || [ ! -f "$UNIKIT_LIBDIR/$1/kernel.ld" ]; then
        echo "no $1 kernel in $UNIKIT_LIBDIR (run make)"
    elif ! command -v "qemu-system-$1" >/dev/null 2>&1; then
        echo "qemu-system-$1 not found"
    else
        for t in "$am_cc" $am_bin; do
            if ! command -v "$t" >/dev/null 2>&1; then
                echo "$t not found"
                return
            fi
        done
    fi
}

# The architectures to boot, and why the others are skipped (one "ARCH why"
# line each).
arches=""
skipped_arches=""
for a in $GUEST_ARCHES; do
    why=$(arch_missing "$a")
    if [ -n "$why" ]; then
        skipped_arches="$skipped_arches$a $why
"
    else
        arches="$arches $a"
    fi
done
arches=${arches# }

# for_arch SRC ARCH: whether SRC's "// arch:" list (none: every one) has ARCH.
for_arch() {
    fa_list=$(meta "$1" arch)
    [ -z "$fa_list" ] && return 0
    case " $fa_list " in
    *" $2 "*) return 0 ;;
    esac
    return 1
}

# native_test NAME SRC EXPECTED STATUS LABEL CC ARCH [RUNNER]: builds SRC with
# CC and runs it (through RUNNER, an emulator, when given) as a Linux process.
native_test() {
    name=$1 src=$2 expected=$3 want_status=$4 label=$5 cc=$6 arch=$7 runner=${8:-}
    case $(meta "$src" native) in
    no) echo "skip $label-$name: marked native: no (Linux differs by design)" && return ;;
    no*) echo "skip $label-$name: marked native: $(meta "$src" native)" && return ;;
    esac
    if ! for_arch "$src" "$arch"; then
        echo "skip $label-$name: for $(meta "$src" arch) only"
        return
    fi
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "skip $label-$name: $cc not found"
        return
    fi
    d=$tmp/$label-$name
    mkdir -p "$d/work"
    # Named like the guest's /t-NAME so argv[0]'s base name agrees.
    bin=$d/t-$name
    if ! "$cc" -std=c17 -static -O2 -Wall -Wextra -Werror -o "$bin" "$src" 2>"$d/cc.err"; then
        fail "$label-$name"
        sed 's/^/    /' "$d/cc.err" >&2
        return
    fi
    # The guest starts in / with only its configured environment; files:
    # folders and scratch space are found through DATA_DIR and WORK_DIR.
    # Word splitting of the env and args lists (and of an empty RUNNER) is
    # intended: values hold no spaces.
    # The outer 2>/dev/null silences the shell's own "Segmentation fault"
    # notice for the crash tests; the program's stderr is in $d/err.
    # shellcheck disable=SC2046,SC2086
    status=$({
        (cd / && exec timeout -k 10 "$GUEST_TIMEOUT" env -i $(merged_env "$src") \
            DATA_DIR="$gdir/data" WORK_DIR="$d/work" $runner "$bin" $(meta "$src" args) \
            >"$d/out" 2>"$d/err" </dev/null)
        echo $?
    } 2>/dev/null)
    if check_output "$label-$name" exact "$d/out" "$expected" "$src" &&
        check_status "$label-$name" "$status" "$want_status"; then
        echo "ok $label-$name"
    else
        fail "$label-$name"
        [ -s "$d/err" ] && sed 's/^/    stderr: /' "$d/err" >&2
    fi
}

# native_aarch64_test NAME SRC EXPECTED STATUS: the native check for aarch64,
# where this machine can run aarch64 programs.
native_aarch64_test() {
    if [ "$host_arch" = aarch64 ]; then
        return # native-NAME already ran on aarch64.
    fi
    why=$(meta "$2" native-aarch64)
    if [ "${why%% *}" = no ]; then
        echo "skip native-aarch64-$1: marked native-aarch64: $why"
        return
    fi
    if ! command -v "$QEMU_AARCH64" >/dev/null 2>&1; then
        echo "skip native-aarch64-$1: $QEMU_AARCH64 not found (apt-get install qemu-user)"
        return
    fi
    native_test "$1" "$2" "$3" "$4" native-aarch64 "$MUSL_GCC_AARCH64" aarch64 "$QEMU_AARCH64"
}

# write_unikfile SRC IMAGE FILE ARCHES: the Unikfile for SRC, for every
# architecture in ARCHES at once.
write_unikfile() {
    src=$1 image=$2 f=$3 wu_arches=$4
    {
        echo "name: $image"
        echo "build:"
        echo "  sources: [$(basename "$src")]"
        echo "  cflags: [-O2]"
        printf 'cmd: [%s' "$(yaml_str "/$image")"
        for a in $(meta "$src" args); do
            printf ', %s' "$(yaml_str "$a")"
        done
        echo "]"
        envs=$(meta "$src" env)
        if [ -n "$envs" ]; then
            echo "env:"
            for kv in $envs; do
                echo "  ${kv%%=*}: $(yaml_str "${kv#*=}")"
            done
        fi
        files=$(meta "$src" files)
        if [ -n "$files" ]; then
            echo "files:"
            for w in $files; do
                echo "  $(yaml_str "./$w"): $(yaml_str "/$w")"
            done
        fi
        mem=$(meta "$src" memory)
        if [ -n "$mem" ]; then
            echo "memory: $mem"
        fi
        echo "arch: [$(echo "$wu_arches" | sed 's/ /, /g')]"
    } >"$f"
}

# guest_build NAME SRC IMAGE ARCHES: one `unikit build` for every
# architecture in ARCHES; on failure every one of them fails.
guest_build() {
    name=$1 src=$2 image=$3 gb_arches=$4
    d=$tmp/guest-$name
    mkdir -p "$d/ctx"
    cp "$src" "$gdir/guest.h" "$d/ctx/"
    for w in $(meta "$src" files); do
        cp -R "$gdir/$w" "$d/ctx/$w"
    done
    write_unikfile "$src" "$image" "$d/ctx/Unikfile" "$gb_arches"
    if timeout -k 10 300 "$UNIKIT" build "$d/ctx" >"$d/build.out" 2>"$d/build.err" </dev/null; then
        return 0
    fi
    for a in $gb_arches; do
        fail "guest-$a-$name"
    done
    echo "  guest-$name: unikit build failed:" >&2
    cat "$d/build.out" "$d/build.err" | sed 's/^/    /' >&2
    return 1
}

# guest_run NAME SRC EXPECTED STATUS IMAGE ARCH CPUS
guest_run() {
    name=$1 src=$2 expected=$3 want_status=$4 image=$5 arch=$6 cpus=$7
    label=guest-$arch-$name
    [ "$cpus" -eq 1 ] || label=$label-cpus$cpus
    d=$tmp/$label
    mkdir -p "$d"
    set -- run --arch "$arch" --cpus "$cpus"
    for kv in $(meta "$src" run-env); do
        set -- "$@" -e "$kv"
    done
    timeout -k 10 "$GUEST_TIMEOUT" "$UNIKIT" "$@" "$image" >"$d/out.raw" 2>"$d/err" </dev/null
    status=$?
    # The serial console may turn \n into \r\n.
    tr -d '\r' <"$d/out.raw" >"$d/out"
    mode=exact
    if [ -n "$(meta "$src" expect-substring)$(meta "$src" expect-regex)" ]; then
        mode=lines
        # Kernel messages (a fault report, a warning) come on stderr.
        tr -d '\r' <"$d/err" >>"$d/out"
    else
        grep -v '^unikit: warning: ' "$d/out" >"$d/out.prog"
        mv "$d/out.prog" "$d/out"
    fi
    ok=0
    check_output "$label" $mode "$d/out" "$expected" "$src" || ok=1
    check_status "$label" "$status" "$want_status" || ok=1
    # The tool runs under ASan/UBSan: any report there is a failure too.
    if grep -Eq 'Sanitizer|runtime error:' "$d/err"; then
        echo "  $label: sanitizer report from unikit" >&2
        ok=1
    fi
    if [ $status -eq 124 ] || [ $status -eq 137 ]; then
        echo "  $label: timed out after ${GUEST_TIMEOUT}s (137: it ignored SIGTERM, killed 10 s later)" >&2
    fi
    if [ $ok -eq 0 ]; then
        echo "ok $label"
    else
        fail "$label"
        [ -s "$d/err" ] && sed 's/^/    stderr: /' "$d/err" >&2
    fi
}

guest_tests() {
    name=$1 src=$2 expected=$3 want_status=$4
    printf '%s' "$skipped_arches" | while read -r a why; do
        echo "skip guest-$a-$name: $why"
    done
    gt_arches=""
    for a in $arches; do
        if for_arch "$src" "$a"; then
            gt_arches="$gt_arches $a"
        else
            echo "skip guest-$a-$name: for $(meta "$src" arch) only"
        fi
    done
    gt_arches=${gt_arches# }
    [ -n "$gt_arches" ] || return
    image=t-$(printf '%s' "$name" | tr '[:upper:]' '[:lower:]')
    guest_build "$name" "$src" "$image" "$gt_arches" || return
    for a in $gt_arches; do
        for n in $(meta "$src" cpus | grep . || echo 1); do
            guest_run "$name" "$src" "$expected" "$want_status" "$image" "$a" "$n"
        done
    done
}

if [ $# -eq 0 ]; then
    set -- "$gdir"/*.c
fi
for arg in "$@"; do
    name=$(basename "$arg" .c)
    src=$gdir/$name.c
    expected=$gdir/$name.out
    if [ ! -f "$src" ] || [ ! -f "$expected" ]; then
        fail "guest-$name"
        echo "  guest-$name: no $src or no $expected" >&2
        continue
    fi
    want_status=$(meta "$src" exit)
    native_test "$name" "$src" "$expected" "${want_status:-0}" native "$MUSL_GCC" "$host_arch"
    native_aarch64_test "$name" "$src" "$expected" "${want_status:-0}"
    guest_tests "$name" "$src" "$expected" "${want_status:-0}"
done

[ $failures -eq 0 ]
