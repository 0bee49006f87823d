#!/bin/sh
# Networking: a program that uses sockets gets lwIP and a NIC, and
# exchanges UDP with a server on the host through QEMU's user network
# (10.0.2.2); one that never opens a socket gets neither. One line per
# check: "ok net-X", "FAIL net-X" (details on stderr) or "skip net-X: why".
#
# Usage: sh tests/cli/net.sh
# Environment: UNIKIT (default build/asan/bin/unikit), UNIKIT_LIBDIR (default
# lib/unikit), CLI_TIMEOUT (60), KEEP_TMP=1 keeps the work folder.

cd "$(dirname "$0")/../.." || exit 1
root=$(pwd -P)
UNIKIT=${UNIKIT:-build/asan/bin/unikit}
case $UNIKIT in
/*) ;;
*) UNIKIT=$root/$UNIKIT ;;
esac
CLI_TIMEOUT=${CLI_TIMEOUT:-60}
export UNIKIT_LIBDIR="${UNIKIT_LIBDIR:-$root/lib/unikit}"
marker='lwIP: %s (%s:%d)' # the network object's assertion format (kernel/net/include/arch/cc.h)

tests="no-socket-no-lwip socket-has-lwip dhcp-x86_64 udp-x86_64"
why=""
[ -x "$UNIKIT" ] || why="unikit not built ($UNIKIT)"
for t in musl-gcc qemu-system-x86_64 python3; do
    [ -z "$why" ] && ! command -v "$t" >/dev/null 2>&1 && why="$t not found"
done
[ -z "$why" ] && [ ! -f "$UNIKIT_LIBDIR/x86_64/net.o" ] && why="no net.o (run make)"
if [ -n "$why" ]; then
    for t in $tests; do echo "skip net-$t: $why"; done
    exit 0
fi

work=$(mktemp -d)
[ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$work"' EXIT
export UNIKIT_HOME="$work/home"
fails=0
fail() {
    echo "FAIL net-$1"
    shift
    echo "  $*" >&2
    fails=$((fails + 1))
}

# Images are files in the store: which of them carry lwIP.
images_with_lwip() {
    grep -rlF "$marker" "$UNIKIT_HOME" 2>/dev/null | wc -l
}

if ! "$UNIKIT" build -q --arch x86_64 examples/hello >"$work/b1" 2>&1; then
    fail no-socket-no-lwip "building hello failed: $(cat "$work/b1")"
elif [ "$(images_with_lwip)" -ne 0 ]; then
    fail no-socket-no-lwip "hello's image contains the network object"
else
    echo "ok net-no-socket-no-lwip"
fi

if ! "$UNIKIT" build -q --arch x86_64 tests/cli/fixtures/net-udp >"$work/b2" 2>&1; then
    fail socket-has-lwip "building udpping failed: $(cat "$work/b2")"
elif [ "$(images_with_lwip)" -ne 1 ]; then
    fail socket-has-lwip "expected exactly one image with lwIP, found $(images_with_lwip)"
else
    echo "ok net-socket-has-lwip"
fi

out=$(timeout "$CLI_TIMEOUT" "$UNIKIT" run --arch x86_64 udpping 2>&1)
case $out in
*"address 10.0.2.15"*) echo "ok net-dhcp-x86_64" ;;
*) fail dhcp-x86_64 "expected the DHCP address 10.0.2.15, got: $out" ;;
esac

# A UDP server on the host's loopback: the guest reaches it as 10.0.2.2.
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(float(sys.argv[2]))
d, a = s.recvfrom(100)
s.sendto(b"pong:" + d, a)
' "$port" "$CLI_TIMEOUT" >"$work/server" 2>&1 &
server=$!
sleep 0.3
out=$(timeout "$CLI_TIMEOUT" "$UNIKIT" run --arch x86_64 udpping "$port" 2>&1)
wait "$server"
case $out in
*"got pong:ping"*) echo "ok net-udp-x86_64" ;;
*) fail udp-x86_64 "expected the host's reply 'pong:ping', got: $out $(cat "$work/server")" ;;
esac

[ "$fails" -eq 0 ]
