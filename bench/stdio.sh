#!/bin/sh
# Part of make bench (bench/run.sh runs it): MB/s of 100 MB piped through
# `unikit run -i` into a program that copies stdin to stdout
# (tests/cli/fixtures/stdio), on each architecture, beside the same program
# as a Linux process in the same run. Prints a Markdown section.
# Environment: UNIKIT, UNIKIT_HOME (a scratch store), STDIO_RUNS (3),
# STDIO_MB (100).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
: "${UNIKIT:?}" "${UNIKIT_HOME:?}"
RUNS=${STDIO_RUNS:-3}
MB=${STDIO_MB:-100}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -c $((MB * 1048576)) /dev/urandom >"$work/in"
want=$(sha256sum <"$work/in" | cut -d' ' -f1)

# pipe_ns CMD...: median ns of `cat in | CMD > sha256sum` over RUNS; fails on a wrong sum.
pipe_ns() {
    i=0
    while [ $i -lt "$RUNS" ]; do
        start=$(now_ns)
        got=$(cat "$work/in" | "$@" 2>/dev/null | sha256sum | cut -d' ' -f1)
        echo $(($(now_ns) - start))
        [ "$got" = "$want" ] || { echo "bench/stdio.sh: $* corrupted the data" >&2; exit 1; }
        i=$((i + 1))
    done | median
}

mbps() { awk "BEGIN { printf \"%.1f\", $MB * 1e9 / $1 }"; }

musl-gcc -static -O2 -o "$work/native" tests/cli/fixtures/stdio/stdio.c
native=$(pipe_ns "$work/native" cat)
"$UNIKIT" build -q tests/cli/fixtures/stdio

echo "## stdin to stdout: $MB MB through a pipe (medians of $RUNS runs)"
echo
echo "| where | seconds | MB/s | vs Linux |"
echo "| --- | --- | --- | --- |"
echo "| Linux process | $(awk "BEGIN { printf \"%.2f\", $native / 1e9 }") | $(mbps "$native") | 1.00 |"
for arch in x86_64 aarch64; do
    t=$(pipe_ns "$UNIKIT" run -i --arch "$arch" stdio cat)
    echo "| unikit run -i, $arch | $(awk "BEGIN { printf \"%.2f\", $t / 1e9 }") | $(mbps "$t") | $(ratio "$native" "$t") |"
done
