#!/bin/sh
# make bench: image sizes and boot times for examples/hello on each
# architecture, then bench/lifecycle.sh (run -d, stop, push, pull),
# bench/threads.sh (futexes, thread creation), bench/net.sh (httpd under
# wrk), bench/gohttp.sh (Go net/http under wrk), bench/stdio.sh,
# bench/volume.sh (a -v volume's MB/s and fsync latency),
# bench/startup.sh (what unikit itself adds to a run), bench/spec.sh
# (image sizes specialised and full) and bench/engines.sh (docker run
# through unikit-runtime against runc) and bench/compat.sh (CivetWeb from
# Debian source under wrk), each beside a baseline
# measured in the same run. Prints a Markdown report and writes it to
# bench/RESULTS.md. Not a test: nothing here passes or fails on speed.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-20}
ARCHES=${ARCHES:-x86_64 aarch64}
UNIKIT=${UNIKIT:-$PWD/bin/unikit}
export UNIKIT_HOME="$(mktemp -d)"
work="$(mktemp -d)"
trap 'rm -rf "$UNIKIT_HOME" "$work"' EXIT

# The image file of hello for an architecture, from the OCI store.
layer_of() {
    python3 - "$UNIKIT_HOME/images" "$1" <<'PY'
import json, sys
root, arch = sys.argv[1], {"x86_64": "amd64", "aarch64": "arm64"}[sys.argv[2]]
blob = lambda d: json.load(open(f"{root}/blobs/sha256/{d[7:]}"))
for m in json.load(open(f"{root}/index.json"))["manifests"]:
    if m["annotations"]["org.opencontainers.image.ref.name"] == "hello:latest":
        for d in blob(m["digest"])["manifests"]:
            if d["platform"]["architecture"] == arch:
                print(f"{root}/blobs/sha256/{blob(d['digest'])['layers'][0]['digest'][7:]}")
PY
}

floor_image() {
    case $1 in
    x86_64) gcc -c bench/floor-x86_64.S -o "$work/floor-$1.o" && ld -T bench/floor-x86_64.ld -o "$work/floor-$1.elf" "$work/floor-$1.o" ;;
    aarch64) aarch64-linux-gnu-as bench/floor-aarch64.S -o "$work/floor-$1.o" && aarch64-linux-gnu-ld -T bench/floor-aarch64.ld -o "$work/floor-$1.elf" "$work/floor-$1.o" ;;
    esac
    echo "$work/floor-$1.elf"
}

# files_size IMAGE: the bytes of its file archive (the program and /etc), as
# the image stores it (gzip-compressed when small: host/lib/archivegz.h).
files_size() {
    hex=$(readelf -SW "$1" | sed -n 's/.*\.unikit\.files *PROGBITS *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\).*/\1/p')
    printf '%d\n' "0x${hex:-0}"
}

bench_arch() {
    arch=$1
    "$UNIKIT" build -q --arch "$arch" examples/hello
    image_size=$(stat -c %s "$(layer_of "$arch")")
    prog=$(files_size "$(layer_of "$arch")")
    floor_elf=$(floor_image "$arch")
    floor=$(UNIKIT_BENCH_IMAGE="$floor_elf" time_runs "$UNIKIT" run --arch "$arch" hello | median)
    boot=$(time_runs "$UNIKIT" run --arch "$arch" hello | median)
    # The least memory it boots in, in whole MiB (unikit refuses less than the image needs).
    least=1
    while [ $least -lt 16 ] && ! "$UNIKIT" run --arch "$arch" -m ${least}M hello >/dev/null 2>&1; do
        least=$((least + 1))
    done
    boot_least=$(time_runs "$UNIKIT" run --arch "$arch" -m ${least}M hello | median)
    to_main=$(i=0; while [ $i -lt "$RUNS" ]; do
        UNIKIT_BOOT_TIMING=1 "$UNIKIT" run --arch "$arch" hello 2>&1 >/dev/null |
            sed -n 's/.*boot to main: \([0-9]*\) ns/\1/p'
        i=$((i + 1))
    done | median)
    cat <<ROWS
| $arch | $image_size | $prog | $((image_size - prog)) | ${least}M | $floor | $boot ($(ratio "$boot" "$floor"), +$(((boot - floor) / 1000)) ms) | $boot_least | $((to_main / 1000)) |
ROWS
}

musl-gcc -static -O2 -o "$work/hello-native" examples/hello/hello.c
native=$(time_runs "$work/hello-native" world | median)
# What `unikit run` chooses for this host's own architecture, and why.
accel=$("$UNIKIT" info | sed -n "s/^  $(uname -m) *\([a-z]*\): \(.*\)/\1 (\2)/p")

rows=""
for arch in $ARCHES; do
    rows="$rows$(bench_arch "$arch")
"
done

lifecycle=$(UNIKIT="$UNIKIT" RUNS="$RUNS" sh bench/lifecycle.sh)
threads=$(UNIKIT="$UNIKIT" sh bench/threads.sh)
net=$(UNIKIT="$UNIKIT" sh bench/net.sh)
gohttp=$(UNIKIT="$UNIKIT" sh bench/gohttp.sh)
stdio=$(UNIKIT="$UNIKIT" sh bench/stdio.sh)
volume=$(UNIKIT="$UNIKIT" sh bench/volume.sh)
startup=$(UNIKIT="$UNIKIT" RUNS="$RUNS" sh bench/startup.sh)
spec=$(UNIKIT="$UNIKIT" RUNS="$RUNS" ARCHES="$ARCHES" sh bench/spec.sh)
engines=$(UNIKIT="$UNIKIT" sh bench/engines.sh)
compat=$(UNIKIT="$UNIKIT" sh bench/compat.sh)

report=$(cat <<REPORT
# unikit benchmarks

Machine: $(nproc) cores, $(awk '/model name/ { sub(/.*: /, ""); print; exit }' /proc/cpuinfo), $(uname -sr); QEMU $(qemu-system-x86_64 --version | awk 'NR == 1 { print $4 }'), accelerator: $accel.
Medians over $RUNS runs each, measured by bench/run.sh on $(date -u +%Y-%m-%d). Times in µs.

## examples/hello

Image: kernel + program + files (kernel stripped; the program keeps its symbols for crash reports,
not its debug sections). Files: the archive of the program and /etc as stored (gzip when small).
Floor: QEMU booting, through the same \`unikit run\` path, a kernel that exits at its first instruction.
Boot to main: guest time from the first kernel instruction to the program's entry point.

| arch | image bytes | files bytes | kernel + ELF bytes | least memory | floor | boot-to-exit, 16M (vs floor) | boot-to-exit, least memory | boot to main |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
$rows
Baseline: the same hello as a Linux process, started the same way: $native µs.

$lifecycle

$threads

$net

$gohttp

$stdio

$volume

$startup

$spec

$engines

$compat
REPORT
)
echo "$report"
echo "$report" > bench/RESULTS.md
