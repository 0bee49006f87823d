#!/bin/sh
# Specialisation and packing: image bytes of examples/hello, httpd,
# threads-demo and go-http, specialised and packed (the default), with
# `pack: false` and with `specialize: false`, on each architecture, and
# hello's boot-to-exit and boot-to-main each way. Prints a Markdown
# section (bench/run.sh puts it in bench/RESULTS.md). Not a test.
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-20}
ARCHES=${ARCHES:-x86_64 aarch64}
UNIKIT=${UNIKIT:-$PWD/bin/unikit}
export UNIKIT_HOME="$(mktemp -d)"
work="$(mktemp -d)"
trap 'rm -rf "$UNIKIT_HOME" "$work"' EXIT

# example_dir NAME ARCH: a copy of examples/NAME ready to build (go-http: its binary).
example_dir() {
    dir=$work/$1-$2
    rm -rf "$dir" && cp -r "examples/$1" "$dir"
    if [ "$1" = go-http ]; then
        goarch=amd64
        [ "$2" = aarch64 ] && goarch=arm64
        (cd "$dir" && HOME=$work GOCACHE=$work/gocache CGO_ENABLED=0 GOARCH=$goarch \
            go build -o server .) >/dev/null 2>&1 || return 1
    fi
    echo "$dir"
}

# variant DIR full|spec|unpacked: DIR's Unikfile made to build that way.
variant() {
    case $2 in
    full) printf '\nspecialize: false\n' >>"$1/Unikfile" ;;
    unpacked) printf '\npack: false\n' >>"$1/Unikfile" ;;
    esac
}

# size NAME ARCH full|spec|unpacked: the image's bytes (and its build line in $work/line).
size() {
    dir=$(example_dir "$1" "$2") || { echo "-"; return; }
    variant "$dir" "$3"
    "$UNIKIT" build --arch "$2" -o "$work/$1-$2-$3.elf" "$dir" >"$work/line" 2>&1 || { echo "-"; return; }
    stat -c %s "$work/$1-$2-$3.elf"
}

# boot ARCH full|spec|unpacked: hello's median boot-to-exit and, after a
# space, boot-to-main (the kernel's own count), in µs.
boot() {
    dir=$(example_dir hello "$1")
    variant "$dir" "$2"
    "$UNIKIT" build -q --arch "$1" -t "hello-$2" "$dir"
    i=0
    : >"$work/to-main"
    while [ $i -lt "$RUNS" ]; do
        t0=$(now_ns)
        UNIKIT_BOOT_TIMING=1 "$UNIKIT" run --arch "$1" "hello-$2" 2>"$work/timing" >/dev/null || true
        t1=$(now_ns)
        echo $(((t1 - t0) / 1000))
        sed -n 's/.*boot to main: \([0-9]*\) ns/\1/p' "$work/timing" >>"$work/to-main"
        i=$((i + 1))
    done | median | tr '\n' ' '
    echo $(($(median <"$work/to-main") / 1000))
}

rows=""
for arch in $ARCHES; do
    for ex in hello httpd threads-demo go-http; do
        spec=$(size "$ex" "$arch" spec)
        how=$(sed -n 's/.*; \(.*\))$/\1/p' "$work/line" | sed 's/: .*//')
        unpacked=$(size "$ex" "$arch" unpacked)
        full=$(size "$ex" "$arch" full)
        saved="-"
        [ "$spec" != - ] && [ "$full" != - ] && saved="$((full - spec)) ($(((full - spec) * 100 / full))%)"
        rows="$rows| $ex | $arch | $spec | $unpacked | $full | $saved | $how |
"
    done
done
boots=""
for arch in $ARCHES; do
    set -- $(boot "$arch" spec) $(boot "$arch" unpacked) $(boot "$arch" full)
    boots="$boots| $arch | $1 | $3 | $5 | $2 | $4 | $6 |
"
done
cat <<REPORT
## Specialisation (bench/spec.sh)

Image bytes with the kernel specialised to the program's system calls and packed (the
default), with \`pack: false\` (specialised, the kernel's code stored uncompressed) and with
\`specialize: false\` (every call the kernel implements, packed); "saved" is specialised
against full. Go falls back to the full kernel (its syscall.Syscall takes numbers the
analysis cannot bound).

| program | arch | specialised | unpacked | full | saved | build says |
| --- | --- | --- | --- | --- | --- | --- |
$rows
hello, µs, median of $RUNS: boot-to-exit (\`unikit run\`, wall clock) and boot-to-main (the
kernel's count from its first instruction to the program's first; the packed kernel's
decoding is in it):

| arch | exit, specialised | exit, unpacked | exit, full | main, specialised | main, unpacked | main, full |
| --- | --- | --- | --- | --- | --- | --- |
$boots
REPORT
