#!/bin/sh
# unikit's own start-up cost (issue 18), medians in one run: `unikit
# --version` and `unikit ps` on an empty store beside /bin/true; QEMU's floor
# image (a kernel that exits at its first instruction) booted by the raw
# QEMU command, with each device unikit adds (bench/qemu_devices.py), and
# through `unikit run --rm`, whose difference is what unikit adds to every
# run; unikit's own part of that, with a stand-in QEMU that exits at once;
# and hello through `unikit run --rm`. Host architecture only (x86_64: the floor is a PVH kernel).
# Prints a Markdown section; not a test.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-20}
UNIKIT=${UNIKIT:-$PWD/bin/unikit}
work=$(mktemp -d)
export UNIKIT_HOME="$work/home"
trap 'rm -rf "$work"' EXIT

[ "$(uname -m)" = x86_64 ] || { echo "bench/startup.sh: x86_64 hosts only" >&2 && exit 0; }
gcc -c bench/floor-x86_64.S -o "$work/floor.o"
ld -T bench/floor-x86_64.ld -o "$work/floor.elf" "$work/floor.o"
"$UNIKIT" build -q --arch x86_64 examples/hello
# The accelerator unikit chooses here, so both floors use the same.
accel=$("$UNIKIT" info | sed -n 's/^  x86_64 *\([a-z]*\):.*/\1/p')

true_us=$(time_runs /bin/true | median)
version_us=$(time_runs "$UNIKIT" --version | median)
ps_us=$(time_runs "$UNIKIT" ps | median)
raw_us=$(time_runs qemu-system-x86_64 -M microvm,x-option-roms=off,pic=off,acpi=off,rtc=on \
    -cpu max -device isa-debug-exit,iobase=0xf4,iosize=4 -accel "${accel:-tcg}" -nodefaults \
    -no-user-config -display none -no-reboot -m 16384k -kernel "$work/floor.elf" | median)
# What of the difference is QEMU setting up unikit's devices, on the back
# ends unikit gives them (sockets whose other ends are drained, the QMP
# exchange), the variants taking turns; its own timer and rotation, so its
# rows compare with its own raw run only.
devices=$(python3 bench/qemu_devices.py "$work/floor.elf" "${accel:-tcg}" "$RUNS" "$UNIKIT")
floor_us=$(UNIKIT_BENCH_IMAGE="$work/floor.elf" time_runs "$UNIKIT" run --rm hello | median)
# unikit's own work alone: QEMU replaced by a stand-in that exits at once
# (bench/standin-qemu.c), beside the stand-in started directly.
mkdir "$work/standin"
gcc -O2 -static -o "$work/standin/qemu-system-x86_64" bench/standin-qemu.c
standin_us=$(time_runs "$work/standin/qemu-system-x86_64" | median)
own_us=$(PATH="$work/standin:$PATH" UNIKIT_BENCH_IMAGE="$work/floor.elf" \
    time_runs "$UNIKIT" run --rm hello | median)
hello_us=$(time_runs "$UNIKIT" run --rm hello | median)

# Instructions unikit itself executes (callgrind: the same count on a busy
# machine as on an idle one; QEMU, a child, is not counted).
instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
        awk '/Collected :/ { print $NF }'
}
if command -v valgrind >/dev/null 2>&1; then
    counts="| instructions: \`unikit --version\` | $(instructions "$UNIKIT" --version) | |
| instructions: \`unikit ps\` | $(instructions "$UNIKIT" ps) | |
| instructions: floor through \`unikit run --rm\` | $(UNIKIT_BENCH_IMAGE="$work/floor.elf" instructions "$UNIKIT" run --rm hello) | |"
else
    counts=""
fi
# The system calls unikit itself makes (QEMU's not counted): like the
# instructions, a count a busy machine does not change.
syscalls() { strace -c -o "$work/strace" "$@" >/dev/null 2>&1; awk '$NF == "total" { print $(NF - 2) }' "$work/strace"; }
if command -v strace >/dev/null 2>&1; then
    counts="$counts
| system calls: \`unikit --version\` | $(syscalls "$UNIKIT" --version) | |
| system calls: floor through \`unikit run --rm\` | $(UNIKIT_BENCH_IMAGE="$work/floor.elf" syscalls "$UNIKIT" run --rm hello) | |"
fi

cat <<REPORT
## Start-up: what unikit adds (x86_64, accelerator ${accel:-tcg})

| what | median µs | vs baseline |
| --- | --- | --- |
| baseline: \`/bin/true\` | $true_us | 1.00 |
| \`unikit --version\` | $version_us | $(ratio "$version_us" "$true_us"), +$((version_us - true_us)) µs |
| \`unikit ps\`, empty store | $ps_us | $(ratio "$ps_us" "$true_us"), +$((ps_us - true_us)) µs |
| baseline: floor image, raw QEMU command | $raw_us | 1.00 |
| floor image through \`unikit run --rm\` | $floor_us | $(ratio "$floor_us" "$raw_us"), +$((floor_us - raw_us)) µs |
| hello through \`unikit run --rm\` | $hello_us | $(ratio "$hello_us" "$raw_us"), +$((hello_us - raw_us)) µs |
| baseline: a stand-in QEMU that exits at once | $standin_us | 1.00 |
| \`unikit run --rm\` with the stand-in: unikit's own work | $own_us | $(ratio "$own_us" "$standin_us"), +$((own_us - standin_us)) µs |
$counts

QEMU's set-up of unikit's devices, and the floor through unikit, taking turns (bench/qemu_devices.py, its own timer):

| what | median µs | vs the raw command |
| --- | --- | --- |
$devices
REPORT
