#!/bin/sh
# Part of make bench (bench/run.sh runs it): a volume's sequential write
# and read MB/s and median fsync latency (bench/volume/volbench.c measures
# itself: VOLUME_MB megabytes in 1 MiB calls, then VOLUME_FSYNCS fsyncs
# of a 4 KiB append), in the unikernel on a `-v` host folder on each
# architecture, and as a Linux process on the same host folder, in the
# same run. Prints a Markdown section.
# Environment: UNIKIT, UNIKIT_HOME (a scratch store), VOLUME_RUNS (3),
# VOLUME_MB (64), VOLUME_FSYNCS (100), VOLUME_DIR (the host folder's parent,
# default $TMPDIR or /tmp: put it on the disk to measure).
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
: "${UNIKIT:?}" "${UNIKIT_HOME:?}"
RUNS=${VOLUME_RUNS:-3}
MB=${VOLUME_MB:-64}
FSYNCS=${VOLUME_FSYNCS:-100}
work="$(mktemp -d)"
host="$(mktemp -d "${VOLUME_DIR:-${TMPDIR:-/tmp}}/unikit-volbench.XXXXXX")"
trap 'rm -rf "$work" "$host"' EXIT

# runs CMD...: the program's three figures, medians of RUNS runs, into
# $write, $read and $fsync; fails when a run printed none.
runs() {
    : >"$work/write"
    : >"$work/read"
    : >"$work/fsync"
    i=0
    while [ $i -lt "$RUNS" ]; do
        "$@" >"$work/out" 2>&1 || { echo "bench/volume.sh: $* failed:" >&2; cat "$work/out" >&2; exit 1; }
        awk '/^write_mb_per_s/ { print $2 }' "$work/out" >>"$work/write"
        awk '/^read_mb_per_s/ { print $2 }' "$work/out" >>"$work/read"
        awk '/^fsync_median_us/ { print $2 }' "$work/out" >>"$work/fsync"
        i=$((i + 1))
    done
    write=$(median <"$work/write")
    read=$(median <"$work/read")
    fsync=$(median <"$work/fsync")
}

# The row's figure over Linux's, to three digits (a volume's reads are far behind the page cache).
vs() { awk "BEGIN { printf \"%.3g\", $1 / $2 }"; }

musl-gcc -static -O2 -o "$work/native" bench/volume/volbench.c
runs "$work/native" "$host" "$MB" "$FSYNCS"
native_write=$write native_read=$read native_fsync=$fsync
"$UNIKIT" build -q bench/volume

echo "## Volumes: sequential MB/s and fsync latency (medians of $RUNS runs; the program times itself)"
echo
echo "$MB MB in 1 MiB writes then fsync, read back in 1 MiB reads; fsync: the median of $FSYNCS fsyncs"
echo "of a 4 KiB append. The same folder on $(df -P "$host" | awk 'NR == 2 { print $1 }') in every row; \"vs Linux\" is the"
echo "row's figure divided by the Linux process's (for fsync, more is slower)."
echo
echo "| where | write MB/s | vs Linux | read MB/s | vs Linux | fsync median µs | vs Linux |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
echo "| Linux process on the host folder | $native_write | 1.00 | $native_read | 1.00 | $native_fsync | 1.00 |"
for arch in x86_64 aarch64; do
    runs "$UNIKIT" run --rm --arch "$arch" -v "$host:/data" volume-bench /data "$MB" "$FSYNCS"
    echo "| unikit run -v, $arch | $write | $(vs "$write" "$native_write") | $read | $(vs "$read" "$native_read") | $fsync | $(vs "$fsync" "$native_fsync") |"
done
