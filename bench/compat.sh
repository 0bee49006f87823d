#!/bin/sh
# Part of make bench (bench/run.sh runs it): requests per second of real
# servers built from Debian source packages by tests/compat/ (cached in
# build/compat/): CivetWeb (the `civetweb` package, threads) in the
# unikernel (`unikit run -p`) beside the same static binary run as a Linux
# process: natively for the host's architecture, under qemu-aarch64 (user
# mode, TCG as the guest) for aarch64. Prints a Markdown section. Not a
# test: nothing here passes or fails on speed.
# Environment: UNIKIT, UNIKIT_HOME (a scratch store); COMPAT_BENCH_ARCHES
# (x86_64 aarch64), WRK_SECONDS (10), WRK_CONNECTIONS (16), and
# tests/compat/lib.sh's.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
: "${UNIKIT:?}" "${UNIKIT_HOME:?}"
WRK_SECONDS=${WRK_SECONDS:-10}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-16}
root=$PWD
work="$(mktemp -d)"
tmp=$work
native_pid=
guest=
trap stop_servers EXIT
host_arch=$(uname -m)
# What tests/compat/lib.sh needs of tests/cli/lib.sh.
out=$work/out err=$work/err
u() {
    "$UNIKIT" "$@" >"$out" 2>"$err" </dev/null
    status=$?
}
compat_arches=${COMPAT_BENCH_ARCHES:-x86_64 aarch64}
COMPAT_ARCHES=$compat_arches
. tests/compat/lib.sh
compat_files=$work/files
mkdir -p "$compat_files/www"
printf '<html><body><h1>CivetWeb in unikit</h1><p>%s</p></body></html>\n' \
    "$(head -c 600 /dev/zero | tr '\0' x)" >"$compat_files/www/index.html"
page_bytes=$(wc -c <"$compat_files/www/index.html")

section() {
    cat <<SECTION
## Real servers (tests/compat/ builds)

\`wrk -t2 -c$WRK_CONNECTIONS -d${WRK_SECONDS}s\` on a $page_bytes-byte index page, keep-alive, through
\`unikit run -p\` on loopback; baseline: the same static binary as a Linux process in the
same run (aarch64: under \`qemu-aarch64\` user mode, TCG like the guest).

$1
SECTION
}

if ! command -v wrk >/dev/null 2>&1; then
    section "Skipped: wrk is not installed (apt-get install wrk)."
    exit 0
fi
compat_build civetweb
rc=$?
if [ $rc -ne 0 ]; then
    section "Skipped: civetweb: $why."
    exit 0
fi

# civetweb's options: 4 worker threads, the page's folder.
cw_args() { # DOCROOT PORT
    echo "-document_root $1 -listening_ports $2 -num_threads 4"
}

rows=""
for arch in $compat_arches; do
    bin=$prog_dir/$arch/civetweb
    native_runner "$arch" || {
        rows="$rows| civetweb | $arch | | | $why |
"
        continue
    }
    port=$(freeport)
    # shellcheck disable=SC2046,SC2086 # words intended
    $runner "$bin" $(cw_args "$compat_files/www" "$port") >/dev/null 2>&1 &
    native_pid=$!
    native="did not answer"
    if await_http "$port"; then
        set -- $(wrk_run "$port")
        native=$1
    fi
    kill "$native_pid" 2>/dev/null
    native_pid=
    guest_rps="did not build"
    if compat_image compat-civetweb "$arch" "$bin" \
        "[\"/civetweb\", $(cw_args /www 80 | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')]" "./www: /www"; then
        port=$(freeport)
        guest=$("$UNIKIT" run -d --arch "$arch" -p "$port:80" compat-civetweb)
        guest_rps="did not answer"
        if await_http "$port"; then
            set -- $(wrk_run "$port")
            guest_rps=$1
        fi
        "$UNIKIT" rm -f "$guest" >/dev/null 2>&1
        guest=
    fi
    ratio_col=""
    case "$guest_rps$native" in
    *[!0-9.]*) ;;
    *) ratio_col="$(ratio "$guest_rps" "$native")×" ;;
    esac
    rows="$rows| civetweb $version | $arch | $guest_rps | $native | $ratio_col |
"
done

section "| server | arch | guest req/s | process req/s | guest vs process |
| --- | --- | --- | --- | --- |
$rows"
