#!/bin/sh
# Docker starting a unikernel through unikit-runtime against docker starting
# the same static hello as an ordinary container with runc (issue 13's
# goal: no slower). A private dockerd as tests/cli/docker.sh starts it (own
# roots, socket and bridge, no iptables); medians of RUNS `docker run --rm`
# each, in the same run. Needs root, dockerd and bin/unikit-runtime; prints
# a Markdown section, or one line saying why it was skipped. Not a test.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-10}
UNIKIT=${UNIKIT:-$PWD/bin/unikit}
root=$PWD
fixtures=$root/tests/cli/fixtures
tmp=$(mktemp -d)
export UNIKIT_HOME="$tmp/home"
UNIKIT_RUNTIME=${UNIKIT_RUNTIME:-$root/bin/unikit-runtime}
. "$fixtures/engines.sh"
trap 'engines_stop; rm -rf "$tmp"' EXIT

why=$(engine_why dockerd /usr/bin/docker musl-gcc)
if [ -n "$why" ]; then
    echo "Docker start-up: skipped ($why)."
    exit 0
fi
docker_up || { echo "Docker start-up: skipped (dockerd did not start)." && exit 0; }
"$UNIKIT" build -q --arch "$(uname -m)" examples/hello
"$UNIKIT" save -o "$tmp/hello.tar" hello
$docker load -i "$tmp/hello.tar" >/dev/null
musl-gcc -static -O2 -o "$tmp/hello-native" examples/hello/hello.c
python3 "$fixtures/ociarchive.py" "$tmp/native.tar" hello-runc:latest /hello "$tmp/hello-native:/hello"
$docker load -i "$tmp/native.tar" >/dev/null

runc_us=$(time_runs $docker run --rm --network none hello-runc:latest | median)
uni_us=$(time_runs $docker run --rm --network none --runtime unikit hello:latest | median)
runc_net=$(time_runs $docker run --rm hello-runc:latest | median)
uni_net=$(time_runs $docker run --rm --runtime unikit hello:latest | median)

cat <<REPORT
## Docker: a unikernel through unikit-runtime vs the same hello with runc

\`docker run --rm\` until it returns, medians of $RUNS; a private dockerd (overlay2, its own bridge).

| what | median µs | vs runc |
| --- | --- | --- |
| baseline: static hello with runc, \`--network none\` | $runc_us | 1.00 |
| examples/hello through unikit-runtime, \`--network none\` | $uni_us | $(ratio "$uni_us" "$runc_us") |
| baseline: static hello with runc, bridge network | $runc_net | 1.00 |
| examples/hello through unikit-runtime, bridge network | $uni_net | $(ratio "$uni_net" "$runc_net") |
REPORT
