#!/bin/sh
# Part of make bench (bench/run.sh runs it): HTTP requests per second and
# p99 latency of examples/httpd in the unikernel (`unikit run -p`, QEMU's
# user network) beside the same httpd built with musl and run as a Linux
# process, measured by wrk in the same run. Prints a Markdown section. Not
# a test: nothing here passes or fails on speed. Under TCG the ratio says
# little; where `unikit info` says KVM works, it is used.
# Environment: UNIKIT, UNIKIT_HOME (a scratch store); NET_ARCHES (x86_64),
# WRK_SECONDS (10), WRK_CONNECTIONS (16), ACCEL (unikit's default),
# SOAK_SECONDS (60; 0 skips the soak), BURST_RUNS (3).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
: "${UNIKIT:?}" "${UNIKIT_HOME:?}"
NET_ARCHES=${NET_ARCHES:-x86_64}
WRK_SECONDS=${WRK_SECONDS:-10}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-16}
work="$(mktemp -d)"
native_pid=
guest=
trap stop_servers EXIT

if ! command -v wrk >/dev/null 2>&1; then
    printf '## HTTP (examples/httpd)\n\nSkipped: wrk is not installed (apt-get install wrk).\n'
    exit 0
fi

musl-gcc -static -O2 -o "$work/httpd" examples/httpd/httpd.c
port=$(free_port)
"$work/httpd" "$port" examples/httpd/www >/dev/null 2>&1 &
native_pid=$!
await_http "$port"
set -- $(wrk_run "$port")
native_rps=$1 native_p99=$2
kill "$native_pid" 2>/dev/null
native_pid=

rows=""
"$UNIKIT" build -q examples/httpd
for arch in $NET_ARCHES; do
    port=$(free_port)
    guest=$("$UNIKIT" run -d --arch "$arch" ${ACCEL:+--accel "$ACCEL"} -p "$port:80" httpd)
    if ! await_http "$port"; then
        rows="$rows| $arch | did not answer | | | |
"
        continue
    fi
    set -- $(wrk_run "$port")
    rows="$rows| $arch | $1 | $2 | $(ratio "$1" "$native_rps")× | $(ratio "$2" "$native_p99")× |
"
    "$UNIKIT" rm -f "$guest" >/dev/null
    guest=
done

# First contact: 50 clients connecting at once to a server nobody has
# reached yet. Milliseconds until all 50 are answered, or "fail".
burst_ms() {
    t0=$(now_ns)
    python3 tests/cli/fixtures/netpeer.py burst "$1" 50 60 >"$work/burst" 2>&1
    t1=$(now_ns)
    if grep -q 'answered 50$' "$work/burst"; then echo $(((t1 - t0) / 1000000)); else echo fail; fi
}

# Until the guest's httpd says it serves (no connection made: that would
# be the first contact), at most 60 s.
await_serving() {
    for _ in $(seq 300); do
        "$UNIKIT" logs "$1" 2>/dev/null | grep -q 'httpd: serving' && return 0
        sleep 0.2
    done
    return 1
}

# The guest's memory in use, in MiB, as `inspect` shows it (State.GuestMemory,
# read from the guest's kernel every second); "?" when not known.
guest_used_mib() {
    sleep 1.2 # a reading taken after what came before
    "$UNIKIT" inspect "$1" 2>/dev/null | python3 -c '
import json, sys
m = json.load(sys.stdin)[0]["State"].get("GuestMemory")
print("%.1f" % (m["Used"] / 1048576) if m else "?")' 2>/dev/null || echo "?"
}

# The soak: wrk for SOAK_SECONDS at 16 and then 64 connections on one guest
# per architecture; a row per run: req/s, p99, max, errors, timeouts, and
# the guest's memory in use before and after.
SOAK_SECONDS=${SOAK_SECONDS:-60}
soak_row() {
    mem_before=$(guest_used_mib "$4")
    wrk -t2 -c"$2" -d"${SOAK_SECONDS}s" --timeout 10s --latency "http://127.0.0.1:$1/" >"$work/soak"
    mem_after=$(guest_used_mib "$4")
    awk -v arch="$3" -v c="$2" -v before="$mem_before" -v after="$mem_after" '
        function ms(v,  u) { u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
            return u == "us" ? v / 1000 : u == "s" ? v * 1000 : u == "m" ? v * 60000 : v }
        /^ +Latency +[0-9]/ { max = ms($4) }
        $1 == "99%" { p99 = ms($2) }
        /^Requests\/sec:/ { rps = $2 }
        /Socket errors:/ { gsub(/,/, ""); errs = $4 + $6 + $8; timeouts = $10 }
        /Non-2xx/ { errs += $NF }
        END { printf "| %s | %d | %s | %.2f | %.1f | %d | %d | %s | %s |\n", arch, c, rps, p99, max,
            errs, timeouts, before, after }
    ' "$work/soak"
}
soak_rows=""
if [ "$SOAK_SECONDS" -gt 0 ]; then
    for arch in $NET_ARCHES; do
        port=$(free_port)
        guest=$("$UNIKIT" run -d --arch "$arch" ${ACCEL:+--accel "$ACCEL"} -p "$port:80" httpd)
        if await_http "$port"; then
            soak_rows="$soak_rows$(soak_row "$port" 16 "$arch" "$guest")
$(soak_row "$port" 64 "$arch" "$guest")
"
        fi
        "$UNIKIT" rm -f "$guest" >/dev/null
        guest=
    done
fi

BURST_RUNS=${BURST_RUNS:-3}
native_burst=$(for _ in $(seq "$BURST_RUNS"); do
    port=$(free_port)
    "$work/httpd" "$port" examples/httpd/www >/dev/null 2>&1 &
    native_pid=$!
    while ! ss -ltnH "sport = :$port" | grep -q .; do sleep 0.05; done
    burst_ms "$port"
    kill "$native_pid" 2>/dev/null
    native_pid=
done | median)
burst_rows=""
for arch in $NET_ARCHES; do
    ms=$(for _ in $(seq "$BURST_RUNS"); do
        port=$(free_port)
        guest=$("$UNIKIT" run -d --arch "$arch" ${ACCEL:+--accel "$ACCEL"} -p "$port:80" httpd)
        await_serving "$guest" && burst_ms "$port"
        "$UNIKIT" rm -f "$guest" >/dev/null
        guest=
    done | median)
    burst_rows="$burst_rows| $arch | $ms | $(ratio "$ms" "$native_burst")× |
"
done

cat <<SECTION
## HTTP: examples/httpd under wrk

\`wrk -t2 -c$WRK_CONNECTIONS -d${WRK_SECONDS}s\` on the index page ($(wc -c <examples/httpd/www/index.html) bytes, keep-alive), through \`unikit run -p\` (QEMU's user network) on loopback.
Baseline: the same httpd built with musl, run as a Linux process, in the same run.

| arch | req/s | p99 ms | req/s vs the process | p99 vs the process |
| --- | --- | --- | --- | --- |
$rows| baseline: Linux process | $native_rps | $native_p99 | 1.00× | 1.00× |

### First contact: 50 clients at once

A fresh server that nobody has reached yet; 50 connections opened at once,
then a GET on each: milliseconds until all are answered (median of $BURST_RUNS, each on
a new server). Before unikit gave published ports a real accept queue this
took over a minute, and before the guest resolved its gateway at start-up
2.7 s: all but one SYN-ACK waited for their retransmission.

| arch | ms | vs the process |
| --- | --- | --- |
$burst_rows| baseline: Linux process | $native_burst | 1.00× |

### Soak: ${SOAK_SECONDS} s of wrk at 16 and 64 connections

One guest per architecture, the index page, \`wrk --timeout 10s\`; errors are
socket errors and non-2xx answers. The guest's memory in use (MiB, its
kernel's page allocator, as \`unikit inspect\` shows it) just before and
after each run: it should come back, not grow with the requests served.

| arch | connections | req/s | p99 ms | max ms | errors | timeouts | MiB used before | after |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
$soak_rows
SECTION
