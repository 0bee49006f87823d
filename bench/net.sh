#!/bin/sh
# Part of make bench (bench/run.sh runs it): HTTP requests per second and
# p99 latency of examples/httpd in the unikernel (`unikit run -p`, QEMU's
# user network) beside the same httpd built with musl and run as a Linux
# process, measured by wrk in the same run. Prints a Markdown section. Not
# a test: nothing here passes or fails on speed. Under TCG the ratio says
# little; where `unikit info` says KVM works, it is used.
# Environment: UNIKIT, UNIKIT_HOME (a scratch store); NET_ARCHES (x86_64),
# WRK_SECONDS (10), WRK_CONNECTIONS (16), ACCEL (unikit's default).
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
port=$(freeport)
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
    port=$(freeport)
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

cat <<SECTION
## HTTP: examples/httpd under wrk

\`wrk -t2 -c$WRK_CONNECTIONS -d${WRK_SECONDS}s\` on the index page ($(wc -c <examples/httpd/www/index.html) bytes, keep-alive), through \`unikit run -p\` (QEMU's user network) on loopback.
Baseline: the same httpd built with musl, run as a Linux process, in the same run.

| arch | req/s | p99 ms | req/s vs the process | p99 vs the process |
| --- | --- | --- | --- | --- |
$rows| baseline: Linux process | $native_rps | $native_p99 | 1.00× | 1.00× |
SECTION
