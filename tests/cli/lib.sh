# Shared by the CLI harnesses (sourced, not run). Before sourcing it, a
# harness sets suite (the prefix of its tests' names) and tests (their
# names, for skip_all). It then finds unikit, gives the harness a store of
# its own under a work folder ($tmp, removed at exit unless KEEP_TMP=1),
# and defines the helpers below. A harness with its own clean-up sets
# on_exit to a command run before the work folder goes.
#
# Before sourcing, a harness may also set:
#   own_checks=1  lib.sh does not skip the suite when unikit is not built:
#                 the harness makes its own checks, with its own reasons
#                 (or none), after sourcing.
#   env_libdir=1  UNIKIT_LIBDIR from the environment is kept (to test an
#                 installed unikit); otherwise it is the tree's lib/unikit.
#
# Environment: UNIKIT (default build/asan/bin/unikit), CLI_TIMEOUT (seconds
# per command, 60), KEEP_TMP=1 keeps the work folder.

cd "$(dirname "$0")/../.." || exit 1
root=$(pwd -P)
fixtures=$root/tests/cli/fixtures
UNIKIT=${UNIKIT:-build/asan/bin/unikit}
case $UNIKIT in
/*) ;;
*) UNIKIT=$root/$UNIKIT ;;
esac
CLI_TIMEOUT=${CLI_TIMEOUT:-60}
if [ "${env_libdir:-}" = 1 ]; then
    export UNIKIT_LIBDIR="${UNIKIT_LIBDIR:-$root/lib/unikit}"
else
    export UNIKIT_LIBDIR="$root/lib/unikit"
fi
host_arch=$(uname -m)
case $host_arch in
arm64) host_arch=aarch64 ;;
esac

# skip_tests WHY NAME...: each test NAME is skipped, for WHY.
skip_tests() {
    skip_why=$1
    shift
    for skipped in "$@"; do
        echo "skip $suite-$skipped: $skip_why"
    done
}

# skip_all WHY: every test of the suite is skipped, for WHY.
skip_all() {
    # shellcheck disable=SC2086 # one argument per name
    skip_tests "$1" $tests
    exit 0
}

if [ "${own_checks:-}" != 1 ] &&
    { [ ! -x "$UNIKIT" ] || [ -z "$(find "$UNIKIT_LIBDIR" -name kernel.o 2>/dev/null)" ]; }; then
    skip_all "unikit not built"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/unikit-$suite.XXXXXX") || exit 1
lib_cleanup() {
    [ -n "${on_exit:-}" ] && eval "$on_exit"
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "kept $tmp" >&2
    else
        rm -rf "$tmp"
    fi
}
trap lib_cleanup EXIT
trap 'exit 130' INT TERM
# A store of our own, so the user's images are never touched.
export UNIKIT_HOME="$tmp/home"
mkdir -p "$UNIKIT_HOME"
out=$tmp/out
err=$tmp/err
failures=0

pass() {
    echo "ok $suite-$1"
}

# fail NAME WHY...: the test failed; each WHY goes to stderr.
fail() {
    echo "FAIL $suite-$1"
    shift
    for why in "$@"; do
        echo "  $why" >&2
    done
    failures=$((failures + 1))
}

skip() { # NAME WHY
    echo "skip $suite-$1: $2"
}

# u ARGS...: runs unikit with a time limit; stdout in $out, stderr in $err,
# the exit status in $status (124 when the time ran out; 137 when unikit
# then ignored SIGTERM too, as it does while a hung guest cannot take it).
u() {
    timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" "$@" >"$out" 2>"$err" </dev/null
    status=$?
}

lines() {
    awk 'END { print NR }' "$1"
}

show() {
    echo "  exit status $status; stdout:" >&2
    sed 's/^/    | /' "$out" >&2
    echo "  stderr:" >&2
    sed 's/^/    | /' "$err" >&2
}

# What the store holds: every path, and every file's checksum. An absent
# store reads as empty.
store_state() {
    if [ -d "$UNIKIT_HOME/images" ]; then
        (cd "$UNIKIT_HOME" && find images | LC_ALL=C sort &&
            find images -type f -exec sha256sum {} + | LC_ALL=C sort)
    fi
}

# expect_error NAME STATUS PATTERN ARGS...: unikit ARGS must exit with
# STATUS, print exactly one stderr line matching the extended regular
# expression PATTERN (ignoring case), and leave the store as it was.
# Returns whether it passed. runner="uk VIEW" runs unikit through uk.
expect_error() {
    name=$1 want=$2 pattern=$3
    shift 3
    before=$(store_state)
    ${runner:-u} "$@"
    after=$(store_state)
    why=""
    [ "$status" -eq "$want" ] || why="$why exit status $status, wanted $want;"
    [ "$(lines "$err")" -eq 1 ] || why="$why stderr has $(lines "$err") lines, wanted 1;"
    grep -Eiq -e "$pattern" "$err" || why="$why stderr does not match /$pattern/;"
    [ "$before" = "$after" ] || why="$why the store changed;"
    if [ -n "${forbid_out:-}" ] && grep -Fq -e "$forbid_out" "$out"; then
        why="$why stdout has '$forbid_out';"
    fi
    if [ -z "$why" ]; then
        pass "$name"
        return 0
    fi
    fail "$name" "unikit $*:$why"
    show
    return 1
}

# expect_lines NAME LINE...: each LINE must be a whole line of $out; on
# failure the test NAME fails.
expect_lines() {
    name=$1
    shift
    why=""
    for l in "$@"; do
        tr -d '\r' <"$out" | grep -Fxq -e "$l" || why="$why missing line '$l';"
    done
    if [ -z "$why" ]; then
        return 0
    fi
    fail "$name" "$why"
    show
    return 1
}

# The interpreter itself: a version manager's python3 wrapper can take a second a call.
py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)

# jv KEY: the first value of "KEY" in $out (JSON, one key per line), unquoted.
jv() {
    sed -n "s/^ *\"$1\": *//p" "$out" | head -n 1 | sed 's/,$//; s/^"//; s/"$//'
}

# ps_status NAME: the STATUS column of NAME in `ps -a`.
ps_status() {
    "$UNIKIT" ps -a 2>/dev/null | awk -v n="$1" '$2 == n { s = $5; for (i = 6; i <= NF; i++) s = s " " $i; print s }'
}

# wait_for SECONDS COMMAND...: polls COMMAND (its output discarded) every
# 0.1 s until it succeeds; fails after SECONDS.
wait_for() {
    limit=$(($1 * 10))
    shift
    i=0
    while ! "$@" >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -ge $limit ] && return 1
        sleep 0.1
    done
}

# concurrent_200 URL N: how many of N clients asking for URL at once got 200.
concurrent_200() {
    seq "$2" | xargs -P "$2" -I{} curl -s -m "$CLI_TIMEOUT" -o /dev/null -w '%{http_code}\n' "$1" |
        grep -c '^200$'
}

# ---- where a guest's CPUs are, for a failing check ------------------------------

# qemu_monitor_on: every QEMU started from now on also listens for the
# human monitor (tests/cli/fixtures/qemu-monitor), so that cpu_report can
# tell a guest spinning with interrupts masked from one that is idle.
qemu_monitor_on() {
    UNIKIT_TEST_MONITOR_DIR=$tmp/monitors
    mkdir -p "$UNIKIT_TEST_MONITOR_DIR"
    export UNIKIT_TEST_MONITOR_DIR
    PATH=$fixtures/qemu-monitor:$PATH
    export PATH
}

# cpu_report ID: three samples of where instance ID's CPUs are (the
# function, when its image kept its symbols: UNIKIT_KEEP_SYMBOLS=1).
cpu_report() {
    python3 "$fixtures/cpu-report.py" "${UNIKIT_TEST_MONITOR_DIR:-$tmp}" "$1" 3 2>&1
}

# ---- the host's /dev/kvm, as a test wants it ------------------------------------

# kvm_views: whether with_kvm works here (root, unshare and mount).
kvm_views() {
    [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null 2>&1 &&
        unshare -m "$root/tests/cli/kvm-view.sh" none true 2>/dev/null
}

# with_kvm VIEW COMMAND...: runs COMMAND in a private mount namespace where
# /dev/kvm is as VIEW says (tests/cli/kvm-view.sh): none, null or pvm.
with_kvm() {
    view=$1
    shift
    unshare -m "$root/tests/cli/kvm-view.sh" "$view" "$@"
}

# uk VIEW ARGS...: u, with /dev/kvm as VIEW says.
uk() {
    view=$1
    shift
    timeout -k 10 "$CLI_TIMEOUT" unshare -m "$root/tests/cli/kvm-view.sh" "$view" "$UNIKIT" "$@" \
        >"$out" 2>"$err" </dev/null
    status=$?
}

# free_port: a loopback TCP port nothing listens on now (bench/lib.sh has the
# same, for fixtures/engines.sh, which both source).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# goarch_for ARCH: Go's name for a unikit architecture.
goarch_for() { [ "$1" = aarch64 ] && echo arm64 || echo amd64; }
