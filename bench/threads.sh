#!/bin/sh
# Part of make bench (bench/run.sh runs it): futex ping-pong round trips
# per second and thread create+join per second (bench/threads/threads.c
# measures itself), in the unikernel on each architecture and as a Linux
# process on this machine, in the same run. Prints a Markdown section.
# Environment: UNIKIT, UNIKIT_HOME (a scratch store), THREAD_RUNS (5).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
: "${UNIKIT:?}" "${UNIKIT_HOME:?}"
RUNS=${THREAD_RUNS:-5}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# runs CMD...: the program's two figures, RUNS times, into $work/futex and $work/create.
runs() {
    : >"$work/futex"
    : >"$work/create"
    i=0
    while [ $i -lt "$RUNS" ]; do
        "$@" >"$work/out" 2>/dev/null || true
        awk '/^futex_roundtrips_per_s/ { print $2 }' "$work/out" >>"$work/futex"
        awk '/^thread_create_join_per_s/ { print $2 }' "$work/out" >>"$work/create"
        i=$((i + 1))
    done
    futex=$(median <"$work/futex")
    create=$(median <"$work/create")
}

musl-gcc -static -O2 -o "$work/native" bench/threads/threads.c
runs "$work/native"
native_futex=$futex native_create=$create
# The unikernel has one vCPU: Linux on one CPU too is the fairer baseline.
runs taskset -c 0 "$work/native"
pinned_futex=$futex pinned_create=$create
"$UNIKIT" build -q bench/threads

echo "## Threads (medians of $RUNS runs; the program times itself)"
echo
echo "| where | futex round trips/s | vs Linux | thread create+join/s | vs Linux |"
echo "| --- | --- | --- | --- | --- |"
echo "| Linux process, this machine ($(nproc) CPUs) | $native_futex | 1.00 | $native_create | 1.00 |"
echo "| Linux process pinned to one CPU | $pinned_futex | $(ratio "$pinned_futex" "$native_futex") | $pinned_create | $(ratio "$pinned_create" "$native_create") |"
for arch in x86_64 aarch64; do
    runs "$UNIKIT" run --arch "$arch" threads-bench
    echo "| unikernel, $arch, 1 vCPU | $futex | $(ratio "$futex" "$native_futex") | $create | $(ratio "$create" "$native_create") |"
done
