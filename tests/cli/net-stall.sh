#!/bin/sh
# A serving guest on a host that keeps stopping it: examples/httpd, detached
# with a published port, answers STALL_ROUNDS rounds of 50 clients at once
# (3 per architecture in make test, 150 in make fuzz) while its QEMU is
# frozen for 20-150 ms out of every 100-200 ms (SIGSTOP, SIGCONT), as a
# throttled or overcommitted host does. Under that stutter (two guests, by
# hand) an aarch64 guest once stopped answering for good after 64 rounds:
# interrupts landing in the idle wait's window until a time slice ran out,
# then a timer interrupt taken over and over (kernel/core/sched.c). A soak,
# not a reliable reproducer of that: tests/unit/ktest_sched.c is. Every
# round must answer all 50; a failing one reports where the guest's CPU is.
#
# Usage: sh tests/cli/net-stall.sh
# Environment: as lib.sh; STALL_ROUNDS (3), STALL_ARCHES (x86_64 aarch64).

STALL_ARCHES=${STALL_ARCHES:-x86_64 aarch64}
suite=net-stall
tests=""
for a in $STALL_ARCHES; do tests="$tests rounds-$a"; done
own_checks=1
. "$(dirname "$0")/lib.sh"
STALL_ROUNDS=${STALL_ROUNDS:-3}

why=""
[ -x "$UNIKIT" ] || why="unikit not built ($UNIKIT)"
for t in curl python3 xargs; do
    [ -z "$why" ] && ! command -v "$t" >/dev/null 2>&1 && why="$t not found"
done
[ -z "$why" ] && [ ! -f "$UNIKIT_LIBDIR/x86_64/net.o" ] && why="no net.o (run make)"
[ -z "$why" ] || skip_all "$why"
qemu_monitor_on

stutter_pid=""
# Nothing of ours is left stopped or running.
stop_all() {
    [ -n "$stutter_pid" ] && kill "$stutter_pid" 2>/dev/null && wait "$stutter_pid" 2>/dev/null
    for id in $("$UNIKIT" ps -q 2>/dev/null); do
        pid=$(qemu_pid "$id")
        [ -n "$pid" ] && kill -CONT "$pid" 2>/dev/null
        "$UNIKIT" rm -f "$id" >/dev/null 2>&1
    done
}
on_exit=stop_all

# qemu_pid ID: the QEMU whose command line names instance ID.
qemu_pid() {
    pgrep -f "qemu-system.*instances/$1" | head -n 1
}

# ms LOW SPAN: a random number of milliseconds in [LOW, LOW + SPAN), as seconds.
ms() {
    r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    printf '0.%03d' $(($1 + r % $2))
}

# stutter PID: freezes PID for 20-150 ms, lets it run 10-100 ms, until killed.
stutter() {
    while kill -STOP "$1" 2>/dev/null; do
        sleep "$(ms 20 131)"
        kill -CONT "$1" 2>/dev/null
        sleep "$(ms 10 91)"
    done
}

cp -r examples/httpd "$tmp/httpd"
sed 's/^name: .*/name: httpd-stall/' examples/httpd/Unikfile >"$tmp/httpd/Unikfile"
if ! UNIKIT_KEEP_SYMBOLS=1 "$UNIKIT" build -q "$tmp/httpd" >"$tmp/build" 2>&1; then
    for a in $STALL_ARCHES; do fail "rounds-$a" "building httpd failed: $(cat "$tmp/build")"; done
    exit 1
fi

for arch in $STALL_ARCHES; do
    port=$(python3 "$fixtures/netpeer.py" freeport)
    id=$("$UNIKIT" run -d --arch "$arch" -p "$port:80" httpd-stall 2>"$err")
    if ! wait_for 60 curl -s -m 5 -o /dev/null "http://127.0.0.1:$port/"; then
        fail "rounds-$arch" "httpd never answered: $(cat "$err")"
        continue
    fi
    stutter "$(qemu_pid "$id")" &
    stutter_pid=$!
    round=0 n=50
    while [ $round -lt "$STALL_ROUNDS" ] && [ "$n" -eq 50 ]; do
        round=$((round + 1))
        n=$(concurrent_200 "http://127.0.0.1:$port/hello.txt" 50)
    done
    kill "$stutter_pid" 2>/dev/null
    wait "$stutter_pid" 2>/dev/null
    stutter_pid=""
    kill -CONT "$(qemu_pid "$id")" 2>/dev/null
    if [ "$n" -eq 50 ]; then
        pass "rounds-$arch"
    else
        fail "rounds-$arch" "round $round of $STALL_ROUNDS: $n of 50 clients answered" \
            "$(cpu_report "$id")"
    fi
    "$UNIKIT" rm -f "$id" >/dev/null 2>&1
done

[ "$failures" -eq 0 ]
