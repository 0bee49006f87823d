#!/bin/sh
# Part of make bench (bench/run.sh runs it): examples/go-http (Go's
# net/http, CGO_ENABLED=0) under wrk, in the unikernel (`unikit run -p`)
# and as a Linux process, in the same run: req/s, p99 and their ratio.
# Under TCG the ratio says little; where `unikit info` says KVM works, it is used.
# Environment: UNIKIT, UNIKIT_HOME (a scratch store); WRK_SECONDS (10),
# WRK_CONNECTIONS (16), ACCEL (unikit's default).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
: "${UNIKIT:?}" "${UNIKIT_HOME:?}"
WRK_SECONDS=${WRK_SECONDS:-10}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-16}
work="$(mktemp -d)"
native_pid=
guest=
trap stop_servers EXIT

if ! command -v go >/dev/null 2>&1 || ! command -v wrk >/dev/null 2>&1; then
    printf '## HTTP: examples/go-http under wrk\n\nSkipped: go or wrk is not installed.\n'
    exit 0
fi

mkdir -p "$work/app"
cp examples/go-http/main.go examples/go-http/go.mod examples/go-http/Unikfile "$work/app/"
(cd "$work/app" && HOME=$work GOCACHE=$work/gocache CGO_ENABLED=0 go build -o server .)
sed -i 's/^memory:.*/memory: 256M\narch: [x86_64]/' "$work/app/Unikfile"

port=$(free_port)
"$work/app/server" ":$port" >/dev/null 2>&1 &
native_pid=$!
await_http "$port"
set -- $(wrk_run "$port")
native_rps=$1 native_p99=$2
kill "$native_pid" 2>/dev/null
native_pid=

"$UNIKIT" build -q "$work/app"
port=$(free_port)
guest=$("$UNIKIT" run -d ${ACCEL:+--accel "$ACCEL"} -p "$port:8080" go-http)
if await_http "$port"; then
    set -- $(wrk_run "$port")
    row="| unikernel, x86_64, 1 vCPU | $1 | $2 | $(ratio "$1" "$native_rps")× | $(ratio "$2" "$native_p99")× |"
else
    row="| unikernel, x86_64 | did not answer | | | |"
fi

cat <<SECTION
## HTTP: examples/go-http (Go net/http) under wrk

\`wrk -t2 -c$WRK_CONNECTIONS -d${WRK_SECONDS}s\` through \`unikit run -p\` on loopback, beside the same
binary run as a Linux process ($(nproc) CPUs) in the same run.

| where | req/s | p99 ms | req/s vs the process | p99 vs the process |
| --- | --- | --- | --- | --- |
$row
| baseline: Linux process | $native_rps | $native_p99 | 1.00× | 1.00× |
SECTION
