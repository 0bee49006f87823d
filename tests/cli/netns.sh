#!/bin/sh
# A guest on a container's network (host/lib/netns.h, as the OCI runtime
# uses it), on every architecture: a private network namespace with a veth
# pair as docker's bridge makes one (the namespace's end eth0 with
# 10.251.X.2/24 and a default route through the host's end, 10.251.X.1),
# and examples/httpd booted in it by tests/host/netns-boot. Checks: the
# host reaches the guest at eth0's address; the guest answers with eth0's
# MAC; it routes through eth0's gateway (a client on another network);
# its /etc/resolv.conf names the nameserver given; once it stops, no tap
# and no qdisc is left in the namespace. Also: a namespace without eth0,
# a path that is no namespace, an eth0 whose ingress qdisc is taken, and
# a nameserver that is no address.
# Needs root (namespaces, veth and tap devices); skipped otherwise.
#
# Usage: sh tests/cli/netns.sh
# Environment: UNIKIT (default build/asan/bin/unikit), NETNS_BOOT (default
# build/tests/netns-boot), NETNS_ARCHES (x86_64 aarch64), CLI_TIMEOUT (60),
# KEEP_TMP=1 keeps the work folder.

NETNS_ARCHES=${NETNS_ARCHES:-x86_64 aarch64}
arch_tests="get mac gateway dns clean"
tests="no-interface not-a-netns ingress-taken bad-dns"
for a in $NETNS_ARCHES; do
    for t in $arch_tests; do tests="$tests $t-$a"; done
done
suite=netns
own_checks=1 # skipped for the first thing missing, named below
. "$(dirname "$0")/lib.sh"
NETNS_BOOT=${NETNS_BOOT:-$root/build/tests/netns-boot}

why=""
[ "$(id -u)" -eq 0 ] || why="needs root (network namespaces, veth and tap devices)"
[ -z "$why" ] && [ ! -x "$UNIKIT" ] && why="unikit not built ($UNIKIT)"
[ -z "$why" ] && [ ! -x "$NETNS_BOOT" ] && why="$NETNS_BOOT not built (make $NETNS_BOOT)"
for t in ip tc curl musl-gcc; do
    [ -z "$why" ] && ! command -v "$t" >/dev/null 2>&1 && why="$t not found"
done
[ -z "$why" ] && [ ! -c /dev/net/tun ] && why="no /dev/net/tun"
[ -z "$why" ] || skip_all "$why"

# A network no one here uses, and names of our own.
x=$(($$ % 200 + 20))
while ip -o addr | grep -q "10\.25[12]\.$x\."; do x=$((x % 230 + 21)); done
ns=unikit-test-$$
bare=unikit-bare-$$
host_if=ukh$$
guest=10.251.$x.2
client=10.252.$x.1 # a client on another network: reached through eth0's gateway
nameserver=10.251.$x.53
boot_pid=""

stop_all() {
    [ -n "$boot_pid" ] && kill -KILL "$boot_pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null # takes the veth pair with it
    ip netns del "$bare" 2>/dev/null
}
on_exit=stop_all

setup() {
    ip netns add "$ns" &&
        ip link add "$host_if" type veth peer name eth0 netns "$ns" &&
        ip addr add "10.251.$x.1/24" dev "$host_if" &&
        ip addr add "$client/32" dev "$host_if" &&
        ip link set "$host_if" up &&
        ip -n "$ns" link set lo up &&
        ip -n "$ns" addr add "$guest/24" dev eth0 &&
        ip -n "$ns" link set eth0 up &&
        ip -n "$ns" route add default via "10.251.$x.1" &&
        ip netns add "$bare"
}
if ! setup >"$tmp/setup" 2>&1; then
    echo "FAIL $suite-setup" && sed 's/^/  /' "$tmp/setup" >&2
    exit 1
fi
eth0_mac=$(ip -n "$ns" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

# links: the namespace's interfaces, one name a line.
links() {
    ip -n "$ns" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

# nb NAME ARGS...: runs the driver; stdout in $tmp/NAME.out, stderr in $tmp/NAME.err.
nb() {
    name=$1
    shift
    timeout -k 10 "$CLI_TIMEOUT" "$NETNS_BOOT" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" </dev/null
    status=$?
}

# expect_fail NAME STATUS PATTERN ARGS...: the driver exits with STATUS,
# with one line matching PATTERN (besides its "link" line), and leaves the
# namespace as it was.
expect_fail() {
    name=$1 want=$2 pattern=$3
    shift 3
    before=$(links; tc -n "$ns" qdisc show)
    nb "$name" "$@"
    after=$(links; tc -n "$ns" qdisc show)
    why=""
    [ "$status" -eq "$want" ] || why="$why exit status $status, wanted $want;"
    grep -v '^link ' "$tmp/$name.err" >"$tmp/$name.msg" # the driver's own report, once linked
    [ "$(lines "$tmp/$name.msg")" -eq 1 ] || why="$why $(lines "$tmp/$name.msg") lines on stderr;"
    grep -Eq -e "$pattern" "$tmp/$name.msg" || why="$why stderr does not match /$pattern/;"
    [ "$before" = "$after" ] || why="$why the namespace changed: $after;"
    if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why" "$(cat "$tmp/$name.err")"; fi
}

# ---- failures, before any guest ----------------------------------------------

"$UNIKIT" build -q --arch "$host_arch" -o "$tmp/httpd-$host_arch.elf" examples/httpd >"$tmp/b" 2>&1 ||
    echo "  building httpd failed: $(cat "$tmp/b")" >&2
expect_fail no-interface 3 "^netns-boot: no interface eth0 in this network namespace$" \
    "/run/netns/$bare" "$host_arch" "$tmp/httpd-$host_arch.elf" /httpd
expect_fail not-a-netns 125 "^netns-boot: /etc/hostname is not a network namespace$" \
    /etc/hostname "$host_arch" "$tmp/httpd-$host_arch.elf" /httpd
# Another ingress qdisc on eth0: the step is named, and the tap is gone again.
tc -n "$ns" qdisc add dev eth0 ingress
expect_fail ingress-taken 125 "^netns-boot: eth0: redirecting its frames to unikit0: adding an ingress qdisc: File exists" \
    "/run/netns/$ns" "$host_arch" "$tmp/httpd-$host_arch.elf" /httpd
tc -n "$ns" qdisc del dev eth0 ingress
# What goes on the kernel's command line is checked; the link made is undone.
expect_fail bad-dns 125 "^netns-boot: bad nameserver address '10.0.0.1 init=x' \\(IPv4 only\\)$" \
    --dns "10.0.0.1 init=x" "/run/netns/$ns" "$host_arch" "$tmp/httpd-$host_arch.elf" /httpd

# ---- a guest on eth0, per architecture ------------------------------------------

# booted ARCH: the guest answers at eth0's address.
booted() {
    curl -sf -m 2 -o /dev/null "http://$guest/www/index.html"
}

run_arch() {
    a=$1
    image=$tmp/httpd-$a.elf
    if [ ! -f "$image" ] && ! "$UNIKIT" build -q --arch "$a" -o "$image" examples/httpd >"$tmp/b" 2>&1; then
        for t in $arch_tests; do fail "$t-$a" "building httpd failed: $(cat "$tmp/b")"; done
        return
    fi
    ip neigh flush dev "$host_if" 2>/dev/null
    # The image's cmd with / as the root served: index.html and resolv.conf alike.
    "$NETNS_BOOT" --dns "$nameserver" "/run/netns/$ns" "$a" "$image" /httpd 80 / \
        >"$tmp/boot-$a.out" 2>"$tmp/boot-$a.err" </dev/null &
    boot_pid=$!
    if ! wait_for 60 booted; then
        for t in $arch_tests; do
            fail "$t-$a" "no answer from $guest; the driver's stderr:" "$(cat "$tmp/boot-$a.err")"
        done
        kill -KILL "$boot_pid" 2>/dev/null
        wait "$boot_pid" 2>/dev/null
        boot_pid=""
        return
    fi

    if curl -sf -m 10 -o "$tmp/index-$a" "http://$guest/www/index.html" &&
        cmp -s "$tmp/index-$a" examples/httpd/www/index.html; then
        pass "get-$a"
    else
        fail "get-$a" "GET /www/index.html did not return examples/httpd/www/index.html"
    fi

    seen=$(ip neigh show "$guest" dev "$host_if" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
    if [ -n "$eth0_mac" ] && [ "$seen" = "$eth0_mac" ] &&
        grep -q "^link $eth0_mac $guest/24 10.251.$x.1 " "$tmp/boot-$a.err"; then
        pass "mac-$a"
    else
        fail "mac-$a" "eth0 has $eth0_mac, the host saw the guest as '$seen'; the driver:" \
            "$(head -n 1 "$tmp/boot-$a.err")"
    fi

    if curl -sf -m 10 --interface "$client" -o "$tmp/gw-$a" "http://$guest/www/index.html" &&
        cmp -s "$tmp/gw-$a" examples/httpd/www/index.html; then
        pass "gateway-$a"
    else
        fail "gateway-$a" "a client at $client (another network) got no answer through the gateway"
    fi

    if curl -sf -m 10 -o "$tmp/resolv-$a" "http://$guest/etc/resolv.conf" &&
        [ "$(cat "$tmp/resolv-$a")" = "nameserver $nameserver" ]; then
        pass "dns-$a"
    else
        fail "dns-$a" "/etc/resolv.conf reads '$(cat "$tmp/resolv-$a" 2>/dev/null)'," \
            "wanted 'nameserver $nameserver'"
    fi

    # A SIGTERM reaches the program (no handler: 143); the driver then releases the link.
    kill -TERM "$boot_pid"
    wait "$boot_pid"
    code=$?
    boot_pid=""
    left="$(links | grep -vx -e lo -e eth0)$(tc -n "$ns" qdisc show | grep -e ingress -e unikit)"
    if [ "$code" -eq 143 ] && [ -z "$left" ]; then
        pass "clean-$a"
    else
        fail "clean-$a" "exit status $code (wanted 143); left in the namespace: '$left'" \
            "$(cat "$tmp/boot-$a.err")"
    fi
}

for a in $NETNS_ARCHES; do
    run_arch "$a"
done
[ "$failures" -eq 0 ]
