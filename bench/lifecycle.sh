#!/bin/sh
# Part of make bench (bench/run.sh runs it): the container-shaped verbs.
# Prints a Markdown section: `run -d` until the instance is Up and `stop`,
# beside a foreground boot-to-exit of hello in the same run; push and pull
# throughput on loopback beside skopeo copying the same image to and from the
# same registry. Not a test: nothing here passes or fails on speed.
# Environment: UNIKIT, UNIKIT_HOME (a scratch store), RUNS.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
: "${UNIKIT:?}" "${UNIKIT_HOME:?}" "${RUNS:?}"
work="$(mktemp -d)"
registry_pid=
cleanup() {
    [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# elapsed_us CMD...: the wall time of one run, in microseconds.
elapsed_us() {
    t0=$(now_ns)
    "$@" >/dev/null 2>&1
    t1=$(now_ns)
    echo $(((t1 - t0) / 1000))
}

"$UNIKIT" build -q --arch x86_64 tests/cli/fixtures/forever
"$UNIKIT" build -q --arch x86_64 examples/hello

: >"$work/up"
: >"$work/stop"
: >"$work/fg"
i=0
while [ $i -lt "$RUNS" ]; do
    elapsed_us "$UNIKIT" run -d --name "bench-$i" forever >>"$work/up"
    elapsed_us "$UNIKIT" stop "bench-$i" >>"$work/stop"
    "$UNIKIT" rm "bench-$i" >/dev/null
    elapsed_us "$UNIKIT" run --rm hello >>"$work/fg"
    i=$((i + 1))
done
up=$(median <"$work/up")
stop=$(median <"$work/stop")
fg=$(median <"$work/fg")

cat <<SECTION
## Lifecycle (x86_64)

| what | median µs | vs hello, foreground boot-to-exit |
| --- | --- | --- |
| \`run -d forever\` until it returns (QEMU running, instance Up) | $up | $(ratio "$up" "$fg") |
| \`stop forever\` until it returns (guest stopped, exit recorded) | $stop | $(ratio "$stop" "$fg") |
| baseline: \`run --rm hello\`, foreground boot to exit | $fg | 1.00 |

SECTION

# ---- push and pull on loopback -----------------------------------------------
if ! command -v docker-registry >/dev/null 2>&1 || ! command -v skopeo >/dev/null 2>&1; then
    echo "Push and pull: skipped (docker-registry or skopeo is not installed)."
    exit 0
fi
# fresh_registry: a docker-registry with empty storage on a free port, so
# every push uploads every blob (no cross-repository mount, nothing present).
fresh_registry() {
    if [ -n "$registry_pid" ]; then
        kill "$registry_pid" 2>/dev/null
        wait "$registry_pid" 2>/dev/null || true
    fi
    rm -rf "$work/data"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
        "$work/data" "$port" >"$work/registry.yml"
    docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
    registry_pid=$!
    i_wait=0
    until curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 || [ $i_wait -ge 100 ]; do
        sleep 0.1
        i_wait=$((i_wait + 1))
    done
    R=127.0.0.1:$port
}

# An image with 64 MiB of incompressible data, so transfer time dominates.
mkdir -p "$work/big"
head -c 67108864 /dev/urandom >"$work/big/blob.bin"
cp examples/hello/hello.c "$work/big/"
cat >"$work/big/Unikfile" <<'UNIKFILE'
name: big
build:
  sources: [hello.c]
files:
  ./blob.bin: /blob.bin
arch: [x86_64]
UNIKFILE
"$UNIKIT" build -q "$work/big"
size=$(find "$UNIKIT_HOME/images/blobs/sha256" -type f -size +1M -exec stat -c %s {} + | sort -n | tail -n 1)

: >"$work/push"
: >"$work/pull"
: >"$work/skopeo-push"
: >"$work/skopeo-pull"
i=0
while [ $i -lt "$RUNS" ]; do
    fresh_registry
    "$UNIKIT" tag big "$R/big$i:1"
    elapsed_us "$UNIKIT" push "$R/big$i:1" >>"$work/push"
    elapsed_us env UNIKIT_HOME="$work/pull$i" "$UNIKIT" pull "$R/big$i:1" >>"$work/pull"
    rm -rf "$work/pull$i"
    "$UNIKIT" rmi "$R/big$i:1" >/dev/null
    fresh_registry
    elapsed_us skopeo copy -q --all --dest-tls-verify=false "oci:$UNIKIT_HOME/images:big:latest" \
        "docker://$R/skopeo$i:1" >>"$work/skopeo-push"
    elapsed_us skopeo copy -q --all --src-tls-verify=false "docker://$R/skopeo$i:1" \
        "oci:$work/skopeo-out$i:x" >>"$work/skopeo-pull"
    rm -rf "$work/skopeo-out$i"
    i=$((i + 1))
done
mbps() { awk "BEGIN { printf \"%.1f\", $size / $1 }"; } # bytes per µs = MB/s
push=$(median <"$work/push")
pull=$(median <"$work/pull")
spush=$(median <"$work/skopeo-push")
spull=$(median <"$work/skopeo-pull")

cat <<SECTION
## Push and pull, loopback docker-registry (an image whose layer is $size bytes; each push to an empty registry)

| what | median µs | MB/s | vs skopeo |
| --- | --- | --- | --- |
| \`unikit push\` | $push | $(mbps "$push") | $(ratio "$spush" "$push")× skopeo's speed |
| \`unikit pull\` into an empty store | $pull | $(mbps "$pull") | $(ratio "$spull" "$pull")× skopeo's speed |
| baseline: \`skopeo copy\` of the same image from the store's OCI layout to the registry | $spush | $(mbps "$spush") | 1.00 |
| baseline: \`skopeo copy\` from the registry to an \`oci:\` layout | $spull | $(mbps "$spull") | 1.00 |
SECTION
