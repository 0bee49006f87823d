#!/bin/sh
# containerd runs unikit images through unikit-runtime, as ctr does it and
# as Kubernetes does it: a private containerd (its own root, state and
# sockets) whose CRI plugin has a runtime handler "unikit" (runc's shim with
# BinaryName, what a RuntimeClass names), images pushed by `unikit push`
# and pulled by ctr. ctr: pull of the multi-arch image, run with output and
# exit status, SIGTERM to the program. CRI, driven by a small client
# (fixtures/cri/client.py over Debian's python3-grpcio): RunPodSandbox with
# the handler, CreateContainer, StartContainer, status with the exit code,
# StopContainer (the program's SIGTERM handler), RemovePodSandbox, and an
# ordinary image through the same handler. One line per check.
#
# Environment: UNIKIT, UNIKIT_RUNTIME (default build/asan/bin/unikit-runtime),
# CLI_TIMEOUT (60), KEEP_TMP=1.

suite=containerd
tests="ctr-pull ctr-run ctr-sigterm cri-run cri-stop cri-ordinary cri-no-guest-left"
. "$(dirname "$0")/lib.sh"
. "$fixtures/engines.sh"

why=$(engine_why containerd ctr docker-registry curl musl-gcc protoc /usr/bin/python3)
[ -z "$why" ] && ! /usr/bin/python3 -c 'import grpc, google.protobuf' 2>/dev/null &&
    why="python3-grpcio or python3-protobuf not installed (scripts/deps.sh)"
[ -z "$why" ] || skip_all "$why"
on_exit=engines_stop

# containerd_up: the private daemon; $ctr talks to it.
containerd_up() {
    c=$tmp/containerd
    mkdir -p "$c/cni/bin" "$c/cni/conf"
    cat >"$c/config.toml" <<EOF
version = 2
root = "$c/root"
state = "$c/state"
[grpc]
  address = "$c/containerd.sock"
[ttrpc]
  address = "$c/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$c/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "docker.io/unikit-test/pause:1"
  disable_apparmor = true
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$c/cni/bin"
    conf_dir = "$c/cni/conf"
  # Naming one runtime replaces the default list: runc is named too.
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.unikit]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.unikit.options]
      BinaryName = "$runtime"
EOF
    containerd --config "$c/config.toml" >"$c/containerd.log" 2>&1 &
    engine_pids="$engine_pids $!"
    ctr="ctr --address $c/containerd.sock"
    wait_socket "$c/containerd.sock" && sleep 0.5 && $ctr version >/dev/null 2>&1
}

if ! registry_up; then
    skip_all "docker-registry did not start"
fi
if ! push_built tests/cli/fixtures/printargs tests/cli/fixtures/stdio; then
    skip_all "building or pushing the test images failed (see stderr)"
fi
if ! containerd_up; then
    skip_all "containerd did not start: $(tail -n 3 "$tmp/containerd/containerd.log")"
fi

# ---- ctr ------------------------------------------------------------------------

if $ctr images pull --plain-http --all-platforms "$registry/printargs:latest" >"$out" 2>"$err" &&
    $ctr images pull --plain-http "$registry/stdio:latest" >>"$out" 2>>"$err"; then
    pass ctr-pull
else
    fail ctr-pull "ctr pull failed: $(tail -n 3 "$err")"
fi

said=$(timeout -k 10 "$CLI_TIMEOUT" $ctr run --rm --runc-binary "$runtime" --env NAME=ctr \
    "$registry/printargs:latest" c-args /printargs one 2>&1)
code=$?
case $said in
*"argv[1]=one"*"NAME=ctr"*) [ $code -eq 0 ] && pass ctr-run || fail ctr-run "exit $code: $said" ;;
*) fail ctr-run "exit $code: $said" ;;
esac

# The program's SIGTERM handler says "got 15" and exits 7: ctr run's status.
timeout -k 10 "$CLI_TIMEOUT" $ctr run --rm --runc-binary "$runtime" "$registry/stdio:latest" c-sig \
    /stdio signals >"$tmp/sig.out" 2>&1 &
sig_pid=$!
wait_for 60 grep -q ready "$tmp/sig.out"
$ctr task kill -s SIGTERM c-sig >/dev/null 2>&1
wait "$sig_pid"
code=$?
if [ $code -eq 7 ] && grep -q "got 15" "$tmp/sig.out"; then
    pass ctr-sigterm
else
    fail ctr-sigterm "exit $code (wanted 7): $(cat "$tmp/sig.out")"
fi

# ---- CRI: what the kubelet asks for a pod whose RuntimeClass handler is unikit ----

gen=$tmp/cri-gen
mkdir -p "$gen"
cri() { TMPDIR=$tmp timeout 180 /usr/bin/python3 "$fixtures/cri/client.py" "$gen" \
    "$tmp/containerd/containerd.sock" "$@"; }
k8s="$ctr -n k8s.io"
if ! protoc -I"$fixtures/cri" --python_out="$gen" runtime.proto 2>"$err" ||
    ! ordinary_image "$tmp/ordinary.tar" unikit-test/ordinary:1 >>"$err" 2>&1 ||
    ! musl-gcc -static -O2 -o "$tmp/pause" -x c - <<'EOF' 2>>"$err"; then
#include <unistd.h>
int main(void) { for (;;) pause(); }
EOF
    skip_tests "the CRI client or its images could not be made: $(cat "$err")" \
        cri-run cri-stop cri-ordinary cri-no-guest-left
    [ "$failures" -eq 0 ]
    exit
fi
python3 "$fixtures/ociarchive.py" "$tmp/pause.tar" unikit-test/pause:1 /pause "$tmp/pause:/pause"
$k8s images import "$tmp/pause.tar" >/dev/null 2>&1
$k8s images import "$tmp/ordinary.tar" >/dev/null 2>&1
$k8s images pull --plain-http "$registry/printargs:latest" >/dev/null 2>&1
$k8s images pull --plain-http "$registry/stdio:latest" >/dev/null 2>&1

# value KEY FILE: the client's "KEY VALUE" line.
value() { sed -n "s/^$1 //p" "$2"; }

cri unikit "$registry/printargs:latest" 30 NAME=cri -- x y >"$tmp/cri1" 2>&1
log=$(value log_path "$tmp/cri1")
if [ "$(value exit "$tmp/cri1")" = 0 ] && grep -q "stdout F argv\[1\]=x" "$log" 2>/dev/null &&
    grep -q "stdout F NAME=cri" "$log" && grep -q '^removed' "$tmp/cri1"; then
    pass cri-run
else
    fail cri-run "client: $(cat "$tmp/cri1"); log: $(cat "$log" 2>&1)"
fi

# Still running after 5 s: StopContainer sends SIGTERM, the handler exits 7.
cri unikit "$registry/stdio:latest" 5 -- signals >"$tmp/cri2" 2>&1
log=$(value log_path "$tmp/cri2")
if [ "$(value state "$tmp/cri2")" = CONTAINER_RUNNING ] && [ "$(value exit "$tmp/cri2")" = 7 ] &&
    grep -q "got 15" "$log" 2>/dev/null && grep -q '^removed' "$tmp/cri2"; then
    pass cri-stop
else
    fail cri-stop "client: $(cat "$tmp/cri2"); log: $(cat "$log" 2>&1)"
fi

cri unikit docker.io/unikit-test/ordinary:1 30 FOO=k8s -- hi >"$tmp/cri3" 2>&1
log=$(value log_path "$tmp/cri3")
if [ "$(value exit "$tmp/cri3")" = 4 ] && grep -q "stdout F ordinary hi k8s" "$log" 2>/dev/null; then
    pass cri-ordinary
else
    fail cri-ordinary "client: $(cat "$tmp/cri3"); log: $(cat "$log" 2>&1)"
fi

left=$(pgrep -fa "qemu-system.*$tmp/containerd")
if [ -z "$left" ]; then
    pass cri-no-guest-left
else
    fail cri-no-guest-left "QEMU still running: $left"
fi

[ "$failures" -eq 0 ]
