#!/bin/sh
# Part of make bench (bench/run.sh runs it): requests per second of real
# servers built from Debian source packages by tests/compat/ (cached in
# build/compat/): CivetWeb (the `civetweb` package, threads) and nginx
# (one process, epoll) in the unikernel (`unikit run -p`) beside the same static binary run as a Linux
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
# nginx's configuration: one process, the page's folder.
nginx_conf() { # DOCROOT PORT
    cat <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log stderr;
pid /tmp/nginx.pid;
events { worker_connections 256; }
http { access_log off; server { listen $2; root $1; } }
CONF
}

# server_args SERVER DOCROOT PORT CONF: its command-line arguments
# (nginx's configuration is written to the host file CONF, and named by
# its path in the run: CONF itself natively, /nginx.conf in the guest).
server_args() {
    case $1 in
    civetweb) echo "-document_root $2 -listening_ports $3 -num_threads 4" ;;
    nginx)
        nginx_conf "$2" "$3" >"$4"
        if [ "$3" = 80 ]; then
            echo "-c /nginx.conf -p /tmp/"
        else
            echo "-c $4 -p $work/"
        fi
        ;;
    esac
}

# bench_server SERVER ARCH: one table row.
bench_server() {
    bin=$prog_dir/$2/$1
    native_runner "$2" || {
        echo "| $1 $version | $2 | | | $why |"
        return
    }
    port=$(free_port)
    # shellcheck disable=SC2046,SC2086 # words intended
    $runner "$bin" $(server_args "$1" "$compat_files/www" "$port" "$work/nginx.conf") >/dev/null 2>&1 &
    native_pid=$!
    native="did not answer"
    if await_http "$port"; then
        set -- "$1" "$2" $(wrk_run "$port")
        native=$3
    fi
    kill "$native_pid" 2>/dev/null
    native_pid=
    guest_rps="did not build"
    args=$(server_args "$1" /www 80 "$compat_files/nginx.conf")
    cmd="[\"/$1\", $(echo "$args" | sed 's/\([^ ]*\)/"\1"/g; s/ /, /g')]"
    conf=""
    [ "$1" = nginx ] && conf="./nginx.conf: /nginx.conf"
    if compat_image "compat-$1" "$2" "$bin" "$cmd" "./www: /www" ${conf:+"$conf"}; then
        port=$(free_port)
        guest=$("$UNIKIT" run -d --arch "$2" -p "$port:80" "compat-$1")
        guest_rps="did not answer"
        if await_http "$port"; then
            set -- "$1" "$2" $(wrk_run "$port")
            guest_rps=$3
        fi
        "$UNIKIT" rm -f "$guest" >/dev/null 2>&1
        guest=
    fi
    ratio_col=""
    case "$guest_rps$native" in
    *[!0-9.]*) ;;
    *) ratio_col="$(ratio "$guest_rps" "$native")×" ;;
    esac
    echo "| $1 $version | $2 | $guest_rps | $native | $ratio_col |"
}

rows=""
for server in civetweb nginx; do
    if ! compat_build "$server"; then
        rows="$rows| $server | | | | not built: $why |
"
        continue
    fi
    for arch in $compat_arches; do
        rows="$rows$(bench_server "$server" "$arch")
"
    done
done

section "| server | arch | guest req/s | process req/s | guest vs process |
| --- | --- | --- | --- | --- |
$rows"
