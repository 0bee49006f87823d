#!/bin/sh
# A lifecycle soak: SOAK_CYCLES cycles (default 4; SOAK_CYCLES=200 for a long run)
# of run -d then stop then rm, run -d --rm then kill, run -d then kill -9 of
# its supervisor then rm -f, and a foreground run --rm. Then nothing may be
# left: no QEMU and no supervisor of this store, no instance folder, and
# every detached supervisor held the same number of descriptors (none leak
# from one run to the next). One line per check: "ok soak-X" or "FAIL soak-X".

suite=soak
tests="cycles no-qemu no-supervisor no-instance fds-steady"
. "$(dirname "$0")/lib.sh"

SOAK_CYCLES=${SOAK_CYCLES:-4}
on_exit='kill_ours'

# ours: pids of processes of this store: QEMU names its folder in its
# arguments, a supervisor has UNIKIT_HOME in its environment.
ours() {
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        [ "$pid" = "$$" ] && continue
        if { tr '\0' '\n' <"$d/cmdline" | grep -Fq "$UNIKIT_HOME/" ||
            tr '\0' '\n' <"$d/environ" | grep -Fxq "UNIKIT_HOME=$UNIKIT_HOME"; } 2>/dev/null; then
            echo "$pid $(tr '\0' ' ' <"$d/cmdline" 2>/dev/null | cut -c1-60)"
        fi
    done
}

kill_ours() {
    ours | while read -r pid _; do kill -9 "$pid" 2>/dev/null; done
}

u build "$fixtures/forever"
[ "$status" -eq 0 ] || skip_all "the fixture did not build: $(cat "$err")"
u build "$fixtures/hello"

# up NAME: waits until the instance has printed "ready".
up() {
    wait_for 30 sh -c "\"$UNIKIT\" logs \"$1\" 2>/dev/null | grep -q ready"
}

# supervisor_of NAME: the pid of the instance's supervisor, as inspect gives it.
supervisor_of() {
    u inspect "$1"
    jv SupervisorPid
}

# fds NAME: how many descriptors the instance's supervisor holds.
fds() {
    ls "/proc/$(supervisor_of "$1")/fd" 2>/dev/null | wc -l
}

broken=""
: >"$tmp/fds"
cycle=0
while [ $cycle -lt "$SOAK_CYCLES" ]; do
    cycle=$((cycle + 1))
    u run -d --name a forever
    if [ "$status" -ne 0 ] || ! up a; then
        broken="$broken cycle $cycle: run -d never came up;"
    fi
    fds a >>"$tmp/fds"
    u stop -t 5 a
    [ "$status" -eq 0 ] || broken="$broken cycle $cycle: stop exited $status;"
    u rm a
    [ "$status" -eq 0 ] || broken="$broken cycle $cycle: rm exited $status;"

    u run -d --rm --name b forever
    up b || broken="$broken cycle $cycle: run -d --rm never came up;"
    u kill b
    [ "$status" -eq 0 ] || broken="$broken cycle $cycle: kill exited $status;"

    u run -d --name c forever
    up c || broken="$broken cycle $cycle: the third run never came up;"
    sup=$(supervisor_of c)
    [ -n "$sup" ] && [ "$sup" -gt 0 ] && kill -9 "$sup"
    u rm -f c
    [ "$status" -eq 0 ] || broken="$broken cycle $cycle: rm -f after kill -9 exited $status;"

    u run --rm hello
    [ "$status" -eq 0 ] || broken="$broken cycle $cycle: run --rm hello exited $status;"
done

if [ -z "$broken" ]; then
    pass cycles
else
    fail cycles "$broken"
fi

# QEMU dies with its supervisor (a parent-death signal): give it a moment.
wait_for 10 sh -c "[ -z \"\$(ps -e -o args= | grep -F \"$UNIKIT_HOME/\" | grep -v grep)\" ]"
left=$(ours)
if [ -z "$(echo "$left" | grep -i qemu)" ]; then
    pass no-qemu
else
    fail no-qemu "QEMU left running: $left"
fi
if [ -z "$(echo "$left" | grep -v -i qemu | grep .)" ]; then
    pass no-supervisor
else
    fail no-supervisor "processes of this store left: $left"
fi
# The store's lock file and its one spare folder (empty) stay; a half-removed
# folder (.removing-ID) is a leak too.
folders=$(find "$UNIKIT_HOME/instances" -mindepth 1 -maxdepth 1 ! -name .lock \
    ! \( -name .spare -empty \) 2>/dev/null)
if [ -z "$folders" ]; then
    pass no-instance
else
    fail no-instance "instance folders left: $folders"
fi
counts=$(sort -u "$tmp/fds" | grep -c .)
if [ "$counts" -eq 1 ] && [ "$(wc -l <"$tmp/fds")" -eq "$SOAK_CYCLES" ]; then
    pass fds-steady
else
    fail fds-steady "detached supervisors held these numbers of descriptors: $(tr '\n' ' ' <"$tmp/fds")"
fi

[ "$failures" -eq 0 ]
