#!/bin/sh
# Networking, on every architecture: examples/httpd served through
# `unikit run -p`, curl as the client (GET, 404, HEAD, keep-alive, a 10 MB
# file, 50 clients at once, peers that reset or abandon connections, a
# burst of connects); a guest that connects out over TCP and one that
# exchanges UDP with the host (10.0.2.2); `run -p` errors before boot; and
# no NIC or lwIP for a program that never opens a socket. One line per
# check: "ok net-X", "FAIL net-X" (details on stderr) or "skip net-X: why".
#
# Usage: sh tests/cli/net.sh
# Environment: UNIKIT (default build/asan/bin/unikit), UNIKIT_LIBDIR (default
# lib/unikit), CLI_TIMEOUT (60), NET_ARCHES (x86_64 aarch64), KEEP_TMP=1
# keeps the work folder.

NET_ARCHES=${NET_ARCHES:-x86_64 aarch64}
once_tests="no-socket-no-lwip socket-has-lwip port-taken no-net-publish bad-publish bad-ip
static-ip ps-ports ps-ports-exited published-queue"
arch_tests="dhcp udp tcp-out get 404 head keepalive big-file concurrent burst reset half-open
syn-flood"
all_tests=$once_tests
for a in $NET_ARCHES; do
    for t in $arch_tests; do all_tests="$all_tests $t-$a"; done
done

suite=net
tests=$all_tests
own_checks=1 # skipped for the first thing missing, named below
env_libdir=1
. "$(dirname "$0")/lib.sh"
peer="python3 $root/tests/cli/fixtures/netpeer.py"
marker='lwIP: %s (%s:%d)' # the network object's assertion format (kernel/net/include/arch/cc.h)

why=""
[ -x "$UNIKIT" ] || why="unikit not built ($UNIKIT)"
for t in musl-gcc python3 curl sha256sum ss; do
    [ -z "$why" ] && ! command -v "$t" >/dev/null 2>&1 && why="$t not found"
done
[ -z "$why" ] && [ ! -f "$UNIKIT_LIBDIR/x86_64/net.o" ] && why="no net.o (run make)"
[ -z "$why" ] || skip_all "$why"
qemu_monitor_on # a guest that stops answering: where its CPU is (guest_report)

bg_pids=""
# stop_all: at exit, no guest or host peer of ours is left.
stop_all() {
    for id in $("$UNIKIT" ps -q 2>/dev/null); do
        "$UNIKIT" rm -f "$id" >/dev/null 2>&1
    done
    for pid in $bg_pids; do
        kill "$pid" 2>/dev/null
    done
}
on_exit=stop_all

# check NAME DETAIL COMMAND...: ok when the command succeeds; DETAIL is
# expanded after it ran (give it in single quotes).
check() {
    name=$1 detail=$2
    shift 2
    if "$@"; then pass "$name"; else fail "$name" "$(eval "echo \"$detail\"")"; fi
}

# Images are files in the store: which of them carry lwIP.
images_with_lwip() {
    grep -rlF "$marker" "$UNIKIT_HOME" 2>/dev/null | wc -l
}

# ---- building: only a program with sockets gets the network ---------------
# With symbols kept, so that the kernel is not packed and its strings show.

if ! UNIKIT_KEEP_SYMBOLS=1 "$UNIKIT" build -q --arch x86_64 examples/hello >"$tmp/b1" 2>&1; then
    fail no-socket-no-lwip "building hello failed: $(cat "$tmp/b1")"
elif [ "$(images_with_lwip)" -ne 0 ]; then
    fail no-socket-no-lwip "hello's image contains the network object"
else
    pass no-socket-no-lwip
fi

if ! UNIKIT_KEEP_SYMBOLS=1 "$UNIKIT" build -q --arch x86_64 tests/cli/fixtures/net-udp >"$tmp/b2" 2>&1; then
    fail socket-has-lwip "building udpping failed: $(cat "$tmp/b2")"
elif [ "$(images_with_lwip)" -ne 1 ]; then
    fail socket-has-lwip "expected exactly one image with lwIP, found $(images_with_lwip)"
else
    pass socket-has-lwip
fi

# httpd with a 10 MB file of random bytes besides the example's pages.
cp -r examples/httpd "$tmp/httpd"
head -c 10000000 /dev/urandom >"$tmp/httpd/www/big.bin"
sed 's/^memory: .*/memory: 64M/; s/^name: .*/name: httpd-test/' examples/httpd/Unikfile \
    >"$tmp/httpd/Unikfile"
big_sum=$(sha256sum <"$tmp/httpd/www/big.bin" | cut -d' ' -f1)
for dir in "$tmp/httpd" tests/cli/fixtures/net-udp tests/cli/fixtures/net-tcp; do
    if ! UNIKIT_KEEP_SYMBOLS=1 "$UNIKIT" build -q "$dir" >"$tmp/b3" 2>&1; then
        echo "building $dir failed: $(cat "$tmp/b3")" >&2
        for t in $all_tests; do echo "FAIL net-$t"; done
        exit 1
    fi
done

# ---- run -p: mistakes are one line and 125, before boot ---------------------

freeport() { $peer freeport "$@"; }

# expect_125 NAME WANT_TEXT ARGS...: `unikit run ARGS` fails with 125 and one line.
expect_125() {
    name=$1 want=$2
    shift 2
    timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" run "$@" >"$out" 2>"$err"
    rc=$?
    if [ "$rc" -ne 125 ] || [ "$(wc -l <"$err")" -ne 1 ] ||
        ! grep -q "$want" "$err"; then
        fail "$name" "expected exit 125 and one line with '$want'; got $rc: $(cat "$err")"
    else
        pass "$name"
    fi
}

taken=$(freeport)
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("listening", flush=True); time.sleep(float(sys.argv[2]))' "$taken" "$CLI_TIMEOUT" >"$tmp/taken" &
bg_pids="$bg_pids $!"
i=0
while ! grep -q listening "$tmp/taken" 2>/dev/null && [ $i -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
expect_125 port-taken "port $taken/tcp on the host is already in use" --arch x86_64 \
    -p "$taken:80" httpd-test
expect_125 no-net-publish "does not use the network" --arch x86_64 -p "$(freeport):80" hello
expect_125 bad-publish "expected HOST:GUEST" --arch x86_64 -p 80 httpd-test
expect_125 bad-ip "expected ADDR/PREFIX" --arch x86_64 --ip 10.0.5 httpd-test

# --ip moves the user network: the address, and the resolver at its .3.
static_ip_ok() {
    said=$(timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" run --rm --arch x86_64 --ip 10.0.5.20/24 udpping 2>&1)
    case $said in
    *"address 10.0.5.20"*"resolv.conf: nameserver 10.0.5.3"*) return 0 ;;
    *) echo "  $said" >&2 && return 1 ;;
    esac
}
check static-ip "--ip 10.0.5.20/24: wrong address or resolver" static_ip_ok

# ---- httpd, per architecture ------------------------------------------------

# serve ARCH: boots httpd-test detached on a free port; sets $port and $id.
serve() {
    port=$(freeport)
    id=$("$UNIKIT" run -d --arch "$1" -p "$port:80" httpd-test 2>"$err")
    for _ in $(seq 300); do
        curl -s -m 5 -o /dev/null "http://127.0.0.1:$port/" && return 0
        sleep 0.2
    done
    echo "httpd ($1) never answered: $(cat "$err") $("$UNIKIT" logs "$id" 2>&1)" >&2
    return 1
}

url() { echo "http://127.0.0.1:$port$1"; }
get() { curl -s -m "$CLI_TIMEOUT" "$@"; }

get_ok() { [ "$(get "$(url /)")" = "$(cat examples/httpd/www/index.html)" ]; }
is_404() { [ "$(get -o /dev/null -w '%{http_code}' "$(url /missing.html)")" = 404 ]; }
head_ok() {
    get -I "$(url /hello.txt)" >"$tmp/head" &&
        grep -q '^HTTP/1.1 200' "$tmp/head" &&
        grep -qi "^Content-Length: $(wc -c <examples/httpd/www/hello.txt | tr -d ' ')" "$tmp/head" &&
        [ "$(sed -n '/^\r$/,$p' "$tmp/head" | wc -c)" -le 2 ]
}
# Two URLs in one curl: the second reuses the first's connection.
keepalive_ok() {
    conns=$(get -o /dev/null -o /dev/null -w '%{num_connects}\n' "$(url /hello.txt)" \
        "$(url /index.html)" | awk '{ s += $1 } END { print s }')
    [ "$conns" = 1 ]
}
big_ok() { [ "$(get "$(url /big.bin)" | sha256sum | cut -d' ' -f1)" = "$big_sum" ]; }
concurrent_ok() {
    n=$(concurrent_200 "$(url /hello.txt)" 50)
    [ "$n" -eq 50 ]
}
survives() { $peer "$@" >"$tmp/peer" 2>&1 && get_ok; }
# 50 clients whose SYNs arrive together, as from a load balancer: with the
# one-deep accept queue of QEMU's own port forwarding, a third of them were
# still unanswered after a minute.
burst_ok() {
    $peer burst "$port" 50 "$CLI_TIMEOUT" >"$tmp/peer" 2>&1 &&
        [ "$(cat "$tmp/peer")" = "burst 50 answered 50" ]
}
# The published port's listening socket: its accept queue (ss: Send-Q).
listen_queue() { ss -ltnH "sport = :$port" | awk '{ print $3; exit }'; }

# guest_report: where the serving guest stands, for a failure's details:
# its ps row, its memory, where its CPU is, its last output, and what its
# supervisor and QEMU said.
guest_report() {
    dir=$UNIKIT_HOME/instances/$id
    echo "ps: $("$UNIKIT" ps -a 2>&1 | grep "$(echo "$id" | cut -c1-12)")"
    echo "memory: $("$UNIKIT" inspect "$id" 2>&1 | tr -d ' \n' | grep -o '"GuestMemory":{[^}]*}')"
    cpu_report "$id"
    echo "logs: $("$UNIKIT" logs "$id" 2>&1 | tail -n 15)"
    for f in supervisor.log qemu.log; do
        [ -s "$dir/$f" ] && echo "$f: $(tail -n 15 "$dir/$f")"
    done
}

# wait_ready FILE: until the peer writing FILE says it listens (its
# interpreter can take a while to start), at most 30 s.
wait_ready() {
    i=0
    while ! grep -q '^ready' "$1" 2>/dev/null && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

tcp_out() {
    tport=$(freeport)
    $peer echo "$tport" "$CLI_TIMEOUT" >"$tmp/echo" 2>&1 &
    epid=$!
    bg_pids="$bg_pids $epid"
    wait_ready "$tmp/echo"
    said=$(timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" run --rm --arch "$1" tcpclient "$tport" 200000 2>&1)
    wait "$epid"
    case $said in
    *"tcp echoed 200000 bytes from 10.0.2.2:$tport"*) return 0 ;;
    *) echo "  guest: $said; host: $(cat "$tmp/echo")" >&2 && return 1 ;;
    esac
}

udp_ping() {
    uport=$(freeport udp)
    $peer udp "$uport" "$CLI_TIMEOUT" >"$tmp/udp" 2>&1 &
    upid=$!
    bg_pids="$bg_pids $upid"
    wait_ready "$tmp/udp"
    said=$(timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" run --rm --arch "$1" udpping "$uport" 2>&1)
    wait "$upid"
    case $said in
    *"got pong:ping"*) return 0 ;;
    *) echo "  guest: $said; host: $(cat "$tmp/udp")" >&2 && return 1 ;;
    esac
}

for arch in $NET_ARCHES; do
    said=$(timeout -k 10 "$CLI_TIMEOUT" "$UNIKIT" run --rm --arch "$arch" udpping 2>&1)
    case $said in
    *"address 10.0.2.15"*) pass "dhcp-$arch" ;;
    *) fail "dhcp-$arch" "expected the DHCP address 10.0.2.15, got: $said" ;;
    esac
    check "udp-$arch" "no 'pong:ping' from the host" udp_ping "$arch"
    check "tcp-out-$arch" "the host's echo server did not get its bytes back" tcp_out "$arch"

    if ! serve "$arch"; then
        for t in $arch_tests; do
            case $t in dhcp | udp | tcp-out) ;; *) fail "$t-$arch" "httpd did not start" ;; esac
        done
        continue
    fi
    check "get-$arch" "GET / did not return index.html" get_ok
    check "404-$arch" "GET of a missing file was not 404" is_404
    check "head-$arch" 'HEAD: $(cat "$tmp/head")' head_ok
    check "keepalive-$arch" 'two requests took ${conns:-?} connections, not 1' keepalive_ok
    check "big-file-$arch" "the 10 MB file's SHA-256 differs" big_ok
    check "concurrent-$arch" 'only ${n:-?} of 50 concurrent requests got 200; $(guest_report)' \
        concurrent_ok
    check "burst-$arch" '$(cat "$tmp/peer"); $(guest_report)' burst_ok
    check "reset-$arch" 'after peers reset: $(cat "$tmp/peer"); $(guest_report)' \
        survives reset "$port" 20
    check "half-open-$arch" 'after half-open peers: $(cat "$tmp/peer"); $(guest_report)' \
        survives halfopen "$port" 10
    check "syn-flood-$arch" 'after 200 connects: $(cat "$tmp/peer"); $(guest_report)' \
        survives synflood "$port" 200
    if [ "$arch" = "$(echo "$NET_ARCHES" | cut -d' ' -f1)" ]; then
        queue=$(listen_queue)
        check published-queue 'published port $port listens with a queue of ${queue:-?}, not 128 or more' \
            [ "${queue:-0}" -ge 128 ]
        "$UNIKIT" ps >"$tmp/ps" 2>&1
        check ps-ports 'ps: $(cat "$tmp/ps")' grep -q "0.0.0.0:$port->80/tcp" "$tmp/ps"
        # As docker: an exited instance shows no ports.
        "$UNIKIT" kill "$id" >/dev/null 2>&1
        "$UNIKIT" ps -a >"$tmp/ps" 2>&1
        check ps-ports-exited 'ps -a: $(cat "$tmp/ps")' eval \
            "grep -q '^$(echo "$id" | cut -c1-12) .*Exited' '$tmp/ps' && ! grep -q -- '->80/tcp' '$tmp/ps'"
    fi
    "$UNIKIT" rm -f "$id" >/dev/null 2>&1
done

[ "$failures" -eq 0 ]
