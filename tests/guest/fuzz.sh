#!/bin/sh
# make fuzz: the system-call fuzzer (tests/guest/fuzz-syscalls.c) for longer
# than make test runs it: FUZZ_SEEDS seeds (default 20) of FUZZ_CALLS calls
# (default 1000000) on each architecture in GUEST_ARCHES. A run that does not
# end with the fuzzer's last line and status 0 within FUZZ_TIMEOUT seconds
# (default 600) fails: a kernel panic, a crash or a hang. A kernel that
# spins in one call is named by unikit's watchdog after UNIKIT_WATCHDOG
# seconds (here 30 unless set) instead of waiting for the timeout.
# One line per run: "ok fuzz-ARCH-SEED" or "FAIL fuzz-ARCH-SEED".
cd "$(dirname "$0")/../.." || exit 1
UNIKIT=${UNIKIT:-$PWD/build/asan/bin/unikit}
GUEST_ARCHES=${GUEST_ARCHES:-x86_64 aarch64}
FUZZ_SEEDS=${FUZZ_SEEDS:-20}
FUZZ_CALLS=${FUZZ_CALLS:-1000000}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-600}
export UNIKIT_LIBDIR="$PWD/lib/unikit"
export UNIKIT_WATCHDOG="${UNIKIT_WATCHDOG:-30}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/unikit-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export UNIKIT_HOME="$tmp/home"
cp tests/guest/fuzz-syscalls.c tests/guest/guest.h "$tmp/"
{
    echo "name: fuzz-syscalls"
    echo "build:"
    echo "  sources: [fuzz-syscalls.c]"
    echo "cmd: [\"/fuzz-syscalls\"]"
    echo "arch: [$(echo "$GUEST_ARCHES" | sed 's/ /, /g')]"
} >"$tmp/Unikfile"
"$UNIKIT" build -q "$tmp" || exit 1
failed=0
for arch in $GUEST_ARCHES; do
    seed=1
    while [ "$seed" -le "$FUZZ_SEEDS" ]; do
        timeout "$FUZZ_TIMEOUT" "$UNIKIT" run --arch "$arch" fuzz-syscalls "$seed" "$FUZZ_CALLS" \
            >"$tmp/out" 2>"$tmp/err" </dev/null
        status=$?
        if [ $status -eq 0 ] && grep -q "^fuzz: $FUZZ_CALLS calls from seed $seed" "$tmp/out"; then
            echo "ok fuzz-$arch-$seed"
        else
            echo "FAIL fuzz-$arch-$seed"
            echo "  exit status $status (124: it hung); the kernel said:" >&2
            grep -v 'warning:' "$tmp/err" | tail -n 20 | sed 's/^/    /' >&2
            failed=$((failed + 1))
        fi
        seed=$((seed + 1))
    done
done
[ $failed -eq 0 ]
