#!/bin/sh
# make bench: image sizes and boot times for examples/hello, each beside a
# baseline measured in the same run. Prints a Markdown report and writes it
# to bench/RESULTS.md. Not a test: nothing here passes or fails on speed.
set -eu
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
UNIKIT=${UNIKIT:-$PWD/bin/unikit}
export UNIKIT_HOME="$(mktemp -d)"
work="$(mktemp -d)"
trap 'rm -rf "$UNIKIT_HOME" "$work"' EXIT

now_ns() { date +%s%N; }

# Median of the numbers on stdin.
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# Wall time of a command in microseconds, RUNS times, one per line.
time_runs() {
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$(now_ns)
        "$@" >/dev/null 2>&1 || true
        t1=$(now_ns)
        echo $(((t1 - t0) / 1000))
        i=$((i + 1))
    done
}

"$UNIKIT" build -q examples/hello
layer=$(ls -S "$UNIKIT_HOME"/images/blobs/sha256/* | head -n 1)
image_size=$(stat -c %s "$layer")

# The program alone, built the way unikit builds it, and as a stripped copy.
musl-gcc -static -O2 -o "$work/hello" examples/hello/hello.c
program_size=$(stat -c %s "$work/hello")
strip -o "$work/hello.stripped" "$work/hello"
program_stripped=$(stat -c %s "$work/hello.stripped")

# QEMU's floor: the same launch path booting a kernel that exits at once.
gcc -c bench/floor-x86_64.S -o "$work/floor.o"
ld -T bench/floor.ld -o "$work/floor.elf" "$work/floor.o"

floor=$(UNIKIT_BENCH_IMAGE="$work/floor.elf" time_runs "$UNIKIT" run hello | median)
boot=$(time_runs "$UNIKIT" run hello | median)
native=$(time_runs "$work/hello" world | median)
boot_2m=$(time_runs "$UNIKIT" run -m 2M hello | median)
if "$UNIKIT" run -m 2M hello >/dev/null 2>&1; then fits_2m=yes; else fits_2m=no; fi

to_main=$(i=0; while [ $i -lt "$RUNS" ]; do
    UNIKIT_BOOT_TIMING=1 "$UNIKIT" run hello 2>&1 >/dev/null | sed -n 's/.*boot to main: \([0-9]*\) ns/\1/p'
    i=$((i + 1))
done | median)

accel=tcg
[ -r /dev/kvm ] && [ -w /dev/kvm ] && accel=kvm
report=$(cat <<REPORT
# unikit benchmarks

Machine: $(nproc) cores, $(awk '/model name/ { sub(/.*: /, ""); print; exit }' /proc/cpuinfo), $(uname -sr); QEMU $(qemu-system-x86_64 --version | awk 'NR == 1 { print $4 }'), accelerator: $accel.
Medians over $RUNS runs each, measured by bench/run.sh on $(date -u +%Y-%m-%d).

## examples/hello, x86_64

| what | value |
| --- | --- |
| image (kernel + program + files, stripped kernel) | $image_size bytes |
| program (musl, static, with symbols) | $program_size bytes |
| program stripped | $program_stripped bytes |
| kernel and files (image less program) | $((image_size - program_size)) bytes |
| boots with -m 2M | $fits_2m |

| boot-to-exit (wall time of \`unikit run\`) | median µs | vs floor |
| --- | --- | --- |
| QEMU floor: an image that exits at its first instruction | $floor | 1.00 |
| hello, -m 16M | $boot | $(awk "BEGIN { printf \"%.2f\", $boot / $floor }") (+$(( (boot - floor) / 1000 )) ms) |
| hello, -m 2M | $boot_2m | $(awk "BEGIN { printf \"%.2f\", $boot_2m / $floor }") |
| hello as a Linux process (baseline) | $native | |

Guest time from the first kernel instruction to the program's entry (TSC): median $((to_main / 1000)) µs.
REPORT
)
echo "$report"
echo "$report" > bench/RESULTS.md
