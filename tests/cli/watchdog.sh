#!/bin/sh
# The watchdog (host/lib/watchdog.c): a guest kernel that runs one system
# call for longer than UNIKIT_WATCHDOG seconds is reported and the run ends
# as a panic does (126), foreground and detached; a call that blocks for
# longer (a sleep, a read of a pipe with no data yet) is not. No fake
# system call: the fixture makes one correct but long read() of
# /dev/urandom, which this kernel serves without sleeping (about 25 MB/s
# under TCG, whose RDRAND/RNDR is a call into QEMU: 600 MiB take 20-30 s
# here, far past the limits below even on a much faster host; these checks
# ask for TCG: under KVM it would be over at once). /dev/zero was 1-8 s,
# too close to a 2 s limit on an idle machine. Also the
# guest's memory in use, which inspect shows (State.GuestMemory).
# One line per check: "ok watchdog-X" or "FAIL watchdog-X".

suite=watchdog
tests="stuck-x86_64 stuck-aarch64 detached sleep-not-stuck pipe-not-stuck off bad-limit
memory-grows"
. "$(dirname "$0")/lib.sh"

on_exit='"$UNIKIT" rm -f wd-d wd-mem >/dev/null 2>&1'
u build "$fixtures/longcall"
[ "$status" -eq 0 ] || skip_all "the fixture did not build: $(cat "$err")"

# uw LIMIT ARGS...: u with UNIKIT_WATCHDOG=LIMIT.
uw() {
    wd_limit=$1
    shift
    UNIKIT_WATCHDOG=$wd_limit timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" "$@" >"$out" 2>"$err" </dev/null
    status=$?
}

stuck_line='^unikit: kernel stuck in system call read on cpu 0 for [0-9]+ s$'

# A read of 600 MiB runs well past a 2 s limit on both architectures.
for arch in x86_64 aarch64; do
    if ! command -v "qemu-system-$arch" >/dev/null 2>&1; then
        skip "stuck-$arch" "qemu-system-$arch not found"
        continue
    fi
    uw 2 run --rm --accel tcg --arch "$arch" longcall read 600
    if [ "$status" -eq 126 ] && grep -Eq "$stuck_line" "$err" && ! grep -q '^read 600:' "$out"; then
        pass "stuck-$arch"
    else
        fail "stuck-$arch" "wanted status 126, the watchdog's line and no end of the read"
        show
    fi
done

# Detached: the supervisor ends it; ps, logs and inspect tell.
uw 1 run -d --accel tcg --name wd-d longcall read 600
exited() { ps_status wd-d | grep -q '^Exited'; }
if [ "$status" -eq 0 ] && wait_for 30 exited; then
    ps_st=$(ps_status wd-d)
    "$UNIKIT" logs wd-d >"$tmp/logs.out" 2>"$tmp/logs.err"
    u inspect wd-d
    if echo "$ps_st" | grep -q '^Exited (126)' && grep -Eq "$stuck_line" "$tmp/logs.err" &&
        grep -Eq '"Error": "kernel stuck in system call read on cpu 0' "$out"; then
        pass detached
    else
        fail detached "ps: $ps_st; logs: $(cat "$tmp/logs.err"); inspect: $(grep Error "$out")"
    fi
else
    fail detached "run -d exited $status, or the instance never exited"
    show
fi

# Blocked calls are legitimate however long: a 4 s nanosleep, a read of a
# pipe whose writer sends its byte after 4 s, with a 1 s limit.
uw 1 run --rm longcall sleep 4
if [ "$status" -eq 0 ] && grep -q '^sleep 4: 0 in' "$out" && ! grep -q stuck "$err"; then
    pass sleep-not-stuck
else
    fail sleep-not-stuck "a long nanosleep was reported or failed"
    show
fi
(sleep 4 && echo x) | UNIKIT_WATCHDOG=1 timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" run -i --rm longcall stdin 1 >"$out" 2>"$err"
status=$?
if [ "$status" -eq 0 ] && grep -q '^stdin 1: 1 in' "$out" && ! grep -q stuck "$err"; then
    pass pipe-not-stuck
else
    fail pipe-not-stuck "a read blocked on a pipe was reported or failed"
    show
fi

# 0 turns it off: the same long read ends by itself.
uw 0 run --rm --arch "$host_arch" longcall read 300
if [ "$status" -eq 0 ] && grep -q '^read 300: 314572800 in' "$out"; then
    pass off
else
    fail off "UNIKIT_WATCHDOG=0 still ended the read"
    show
fi

runner="uw soon" expect_error bad-limit 125 'UNIKIT_WATCHDOG=soon: not a number of seconds' \
    run --rm longcall sleep 1 || true

# The guest's memory in use, as inspect shows it: known once the guest
# runs, and 32 MiB more once the program has touched 32 MiB.
used() {
    u inspect wd-mem
    jv Used
}
has_used() { [ -n "$(used)" ]; }
grown() { [ "$(used)" -ge $((before + 32 * 1048576)) ]; }
touched() { "$UNIKIT" logs wd-mem 2>/dev/null | grep -q '^touched 32 MiB'; }
u run -d --name wd-mem longcall touch 32
if [ "$status" -eq 0 ] && wait_for 30 has_used; then
    before=$(used)
    u kill -s USR1 wd-mem
    if wait_for 30 touched && wait_for 10 grown; then
        pass memory-grows
    else
        fail memory-grows "Used was $before bytes before, $(used) after touching 32 MiB"
    fi
else
    fail memory-grows "run -d exited $status, or inspect never showed GuestMemory.Used"
    show
fi

[ "$failures" -eq 0 ]
