#!/bin/sh
# The program's stdio and signals, as a container's: stdin with -i (100 MB
# of binary data through a pipe, end of file), stdout and stderr apart and
# each in order, nothing lost when the program exits right after writing,
# signals from the host (a foreground run's SIGTERM, stop, kill -s), logs
# that keep the streams apart, and a terminal with -it (driven on a
# pseudo-terminal by fixtures/tty-session.py: isatty, the window size and
# its changes, line editing and echo, raw mode, Ctrl-C). On both
# architectures where it counts.
# One line per check: "ok stdio-X", "FAIL stdio-X" or "skip stdio-X: why".

suite=stdio
tests="stdin-x86_64 stdin-aarch64 no-stdin-x86_64 no-stdin-aarch64 streams-x86_64
streams-aarch64 burst-x86_64 burst-aarch64 term-handled-x86_64 term-handled-aarch64
term-default-x86_64 term-default-aarch64 tty-x86_64 tty-aarch64 stop-graceful kill-usr1
stop-ignored logs-streams kill-bad-signal tty-needs-terminal tty-merged"
. "$(dirname "$0")/lib.sh"

u build "$fixtures/stdio"
[ "$status" -eq 0 ] || skip_all "build of fixtures/stdio failed: $(cat "$err")"

on_exit='kill_all'
kill_all() {
    ids=$("$UNIKIT" ps -q 2>/dev/null)
    # shellcheck disable=SC2086 # one argument per id
    [ -n "$ids" ] && "$UNIKIT" rm -f $ids >/dev/null 2>&1
    [ -n "${bg:-}" ] && kill -9 "$bg" 2>/dev/null
}

# Binary data with every byte value, NULs included.
big=$tmp/big
head -c 104857600 /dev/urandom >"$big"
big_sum=$(sha256sum <"$big" | cut -d' ' -f1)

# background ARGS...: unikit ARGS in the background (pid in bg), output in $out and $err.
background() {
    "$UNIKIT" "$@" >"$out" 2>"$err" </dev/null &
    bg=$!
}

# reap: the background run's exit status, in status (killed after CLI_TIMEOUT).
reap() {
    i=0
    while kill -0 "$bg" 2>/dev/null && [ $i -lt $((CLI_TIMEOUT * 10)) ]; do
        i=$((i + 1))
        sleep 0.1
    done
    kill -9 "$bg" 2>/dev/null
    wait "$bg"
    status=$?
    bg=""
}

for arch in x86_64 aarch64; do
    if ! command -v "qemu-system-$arch" >/dev/null 2>&1; then
        for t in stdin no-stdin streams burst term-handled term-default tty; do
            skip "$t-$arch" "no qemu-system-$arch"
        done
        continue
    fi

    timeout -k 10 300 "$UNIKIT" run -i --arch "$arch" stdio <"$big" 2>"$err" | sha256sum >"$out"
    if [ "$(cut -d' ' -f1 "$out")" = "$big_sum" ] && grep -Fxq "read 104857600 bytes" "$err"; then
        pass "stdin-$arch"
    else
        fail "stdin-$arch" "100 MB through run -i must come back whole (sha256 $(cat "$out"))"
        show
    fi

    timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" run --arch "$arch" stdio <"$big" >"$out" 2>"$err"
    status=$?
    if [ "$status" -eq 0 ] && [ ! -s "$out" ] && grep -Fxq "read 0 bytes" "$err"; then
        pass "no-stdin-$arch"
    else
        fail "no-stdin-$arch" "without -i the program must read end of file at once"
        show
    fi

    u run --arch "$arch" stdio streams
    seq 1 50 | sed 's/^/out /' >"$tmp/want-out"
    seq 1 50 | sed 's/^/err /' >"$tmp/want-err"
    grep -v '^unikit: ' "$err" >"$tmp/got-err"
    if [ "$status" -eq 0 ] && cmp -s "$out" "$tmp/want-out" && cmp -s "$tmp/got-err" "$tmp/want-err"; then
        pass "streams-$arch"
    else
        fail "streams-$arch" "stdout must hold exactly 'out 1'..'out 50' and stderr 'err 1'..'err 50'"
        show
    fi

    u run --arch "$arch" stdio burst
    if [ "$status" -eq 0 ] && [ "$(wc -c <"$out")" -eq 1048576 ] && ! tr -d x <"$out" | grep -q .; then
        pass "burst-$arch"
    else
        fail "burst-$arch" "1 MiB written right before exit must all arrive: got $(wc -c <"$out") bytes"
    fi

    background run --arch "$arch" stdio signals
    if wait_for 30 grep -Fxq ready "$out"; then
        kill -TERM "$bg"
    fi
    reap
    if [ "$status" -eq 7 ] && grep -Fxq "got 15" "$out"; then
        pass "term-handled-$arch"
    else
        fail "term-handled-$arch" "SIGTERM to a foreground run goes to the program, whose handler" \
            "exits 7 (got $status)"
        show
    fi

    background run --arch "$arch" stdio plain
    if wait_for 30 grep -Fxq ready "$out"; then
        kill -TERM "$bg"
    fi
    reap
    if [ "$status" -eq 143 ] && grep -q 'killed by SIGTERM' "$err"; then
        pass "term-default-$arch"
    else
        fail "term-default-$arch" "a program without a handler dies of SIGTERM: 143 (got $status)"
        show
    fi

    if [ -z "$py" ]; then
        skip "tty-$arch" "no python3 to drive a pseudo-terminal"
    elif "$py" "$fixtures/tty-session.py" "$CLI_TIMEOUT" "$UNIKIT" run -it --arch "$arch" stdio tty \
        >"$out" 2>"$err"; then
        pass "tty-$arch"
    else
        fail "tty-$arch" "run -it: the program's terminal session went wrong"
        show
    fi
done

# logs_out NAME TEXT: the instance's stdout, as logs gives it, has a line TEXT.
logs_out() {
    "$UNIKIT" logs --stdout "$1" 2>/dev/null | grep -Fxq "$2"
}

u run -d --name graceful stdio signals
if [ "$status" -eq 0 ] && wait_for 30 logs_out graceful ready; then
    u stop graceful
    if [ "$status" -eq 0 ] && ps_status graceful | grep -q '^Exited (7)' && logs_out graceful "got 15"; then
        pass stop-graceful
    else
        fail stop-graceful "stop must let the program's SIGTERM handler run and record its exit" \
            "status 7: ps says '$(ps_status graceful)'"
        show
    fi
else
    fail stop-graceful "run -d stdio signals never said ready"
    show
fi

u run -d --name usr1 stdio signals
if [ "$status" -eq 0 ] && wait_for 30 logs_out usr1 ready; then
    u kill -s SIGUSR1 usr1
    if [ "$status" -eq 0 ] && wait_for 30 logs_out usr1 "got 10" && ps_status usr1 | grep -q '^Up'; then
        pass kill-usr1
    else
        fail kill-usr1 "kill -s SIGUSR1 must reach the program's handler, which goes on"
        show
    fi
    u stop usr1
else
    fail kill-usr1 "run -d stdio signals never said ready"
fi

u run -d --name stubborn stdio ignore
if [ "$status" -eq 0 ] && wait_for 30 logs_out stubborn ready; then
    u stop -t 1 stubborn
    if [ "$status" -eq 0 ] && ps_status stubborn | grep -q '^Exited (137)'; then
        pass stop-ignored
    else
        fail stop-ignored "a program that ignores SIGTERM is killed after stop -t 1: 137," \
            "ps says '$(ps_status stubborn)'"
        show
    fi
else
    fail stop-ignored "run -d stdio ignore never said ready"
fi

u run -d --name both stdio streams
i=0
while ps_status both | grep -q '^Up' && [ $i -lt 300 ]; do
    i=$((i + 1))
    sleep 0.1
done
"$UNIKIT" logs --stdout both >"$out" 2>"$err"
out_ok=$(cmp -s "$out" "$tmp/want-out" && [ ! -s "$err" ] && echo yes)
"$UNIKIT" logs --stderr both >"$out" 2>"$err"
grep -v '^unikit: ' "$err" >"$tmp/got-err"
if [ "$out_ok" = yes ] && [ ! -s "$out" ] && cmp -s "$tmp/got-err" "$tmp/want-err"; then
    pass logs-streams
else
    fail logs-streams "logs --stdout and --stderr must give each stream whole, in order, apart"
    show
fi

expect_error kill-bad-signal 125 "--signal 'STOP'" kill -s STOP both
expect_error tty-needs-terminal 125 "the input device is not a TTY" run -it stdio tty

# -t without -i: one terminal for stdout and stderr, as docker run -t gives.
u run -t stdio streams
tr -d '\r' <"$out" | grep -v '^unikit: ' >"$tmp/merged"
if [ "$status" -eq 0 ] && grep -Fxq "out 50" "$tmp/merged" && grep -Fxq "err 50" "$tmp/merged" &&
    [ "$(wc -l <"$tmp/merged")" -eq 100 ] && grep -q "$(printf '\r')" "$out"; then
    pass tty-merged
else
    fail tty-merged "run -t: stdout and stderr both on the terminal, NL as CR NL"
    show
fi

[ "$failures" -eq 0 ]
