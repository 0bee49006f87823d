#!/bin/sh
# Specialisation: image bytes of examples/hello, httpd, threads-demo and
# go-http, specialised (the default) and with `specialize: false`, on each
# architecture, and hello's boot-to-exit both ways. Prints a Markdown
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

# size NAME ARCH full|spec: the image's bytes (and its build line in $work/line).
size() {
    dir=$(example_dir "$1" "$2") || { echo "-"; return; }
    [ "$3" = full ] && printf '\nspecialize: false\n' >>"$dir/Unikfile"
    "$UNIKIT" build --arch "$2" -o "$work/$1-$2-$3.elf" "$dir" >"$work/line" 2>&1 || { echo "-"; return; }
    stat -c %s "$work/$1-$2-$3.elf"
}

# boot ARCH full|spec: hello's median boot-to-exit in µs.
boot() {
    dir=$(example_dir hello "$1")
    [ "$2" = full ] && printf '\nspecialize: false\n' >>"$dir/Unikfile"
    "$UNIKIT" build -q --arch "$1" -t "hello-$2" "$dir"
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$(now_ns)
        "$UNIKIT" run --arch "$1" "hello-$2" >/dev/null 2>&1 || true
        t1=$(now_ns)
        echo $(((t1 - t0) / 1000))
        i=$((i + 1))
    done | median
}

rows=""
for arch in $ARCHES; do
    for ex in hello httpd threads-demo go-http; do
        spec=$(size "$ex" "$arch" spec)
        how=$(sed -n 's/.*; \(.*\))$/\1/p' "$work/line" | sed 's/: .*//')
        full=$(size "$ex" "$arch" full)
        saved="-"
        [ "$spec" != - ] && [ "$full" != - ] && saved="$((full - spec)) ($(((full - spec) * 100 / full))%)"
        rows="$rows| $ex | $arch | $spec | $full | $saved | $how |
"
    done
done
boots=""
for arch in $ARCHES; do
    s=$(boot "$arch" spec)
    f=$(boot "$arch" full)
    boots="$boots| $arch | $s | $f |
"
done
cat <<REPORT
## Specialisation (bench/spec.sh)

Image bytes with the kernel specialised to the program's system calls (the default) and with
\`specialize: false\` (every call the kernel implements); Go falls back to the full kernel
(its syscall.Syscall takes numbers the analysis cannot bound).

| program | arch | specialised | full | saved | build says |
| --- | --- | --- | --- | --- | --- |
$rows
hello, boot-to-exit (µs, median of $RUNS):

| arch | specialised | full |
| --- | --- | --- |
$boots
REPORT
