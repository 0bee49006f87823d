#!/bin/sh
# Runs the host fuzzers (tests/fuzz/fuzz_NAME.c, built into build/fuzz/ by
# `make fuzz-build`) for FUZZ_SECONDS seconds each (default 8), on the seeds
# in tests/fuzz/corpus/NAME/ plus seeds made here from things the tree
# builds: ELF files (cc, musl-gcc, lib/unikit's images), cpio archives (the
# cpio tool, and an image's .unikit.files section), the examples' Unikfiles,
# OCI images whose layer is a real (small) tar and gzip tar.
#
# One line per target: "ok fuzz-NAME: RUNS runs in SECONDS s",
# "FAIL fuzz-NAME: ... crash input PATH" (kept in build/fuzz/crashes/NAME/),
# or "skip fuzz-NAME: why". FUZZ_TARGETS picks targets (default: all).
# FUZZ_KEEP_CORPUS=1 keeps what the fuzzer finds in build/fuzz/corpus/NAME/,
# so that long runs (make fuzz) build on each other; otherwise it is thrown
# away and every short run starts from the seeds alone.
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd -P)
FUZZ_SECONDS=${FUZZ_SECONDS:-8}
if [ -z "${FUZZ_TARGETS:-}" ]; then
    for f in tests/fuzz/fuzz_*.c; do
        f=${f#tests/fuzz/fuzz_}
        FUZZ_TARGETS="${FUZZ_TARGETS:-} ${f%.c}"
    done
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/unikit-fuzz-host.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# ELF files of every kind the checks tell apart: static, static-PIE,
# dynamic, an object file, unikit's own images (with .unikit.files).
elf_seeds() {
    printf 'int main(void) { return 0; }\n' >"$tmp/main.c"
    command -v musl-gcc >/dev/null && musl-gcc -static -Os -o "$1/static" "$tmp/main.c"
    command -v musl-gcc >/dev/null && musl-gcc -static-pie -Os -o "$1/static-pie" "$tmp/main.c"
    cc -Os -o "$1/dynamic" "$tmp/main.c" && cp "$1/dynamic" "$1/stripped" && strip "$1/stripped"
    cc -c -o "$1/object.o" "$tmp/main.c"
    for a in x86_64 aarch64; do
        [ -f "lib/unikit/$a/kvm-probe.elf" ] && cp "lib/unikit/$a/kvm-probe.elf" "$1/image-$a"
    done
    return 0
}

# newc archives as the cpio tool writes them, and as unikit build does.
cpio_seeds() {
    mkdir -p "$tmp/tree/etc" "$tmp/tree/bin"
    echo hello >"$tmp/tree/etc/motd"
    printf '#!/bin/sh\n' >"$tmp/tree/bin/run" && chmod 755 "$tmp/tree/bin/run"
    ln -s ../etc/motd "$tmp/tree/bin/link"
    command -v cpio >/dev/null &&
        (cd "$tmp/tree" && find . | LC_ALL=C sort | cpio -o -H newc --quiet >"$1/tree.cpio")
    for a in x86_64 aarch64; do
        [ -f "lib/unikit/$a/kvm-probe.elf" ] && command -v objcopy >/dev/null &&
            objcopy -O binary --only-section=.unikit.files "lib/unikit/$a/kvm-probe.elf" \
                "$1/image-$a.cpio" 2>/dev/null
    done
    return 0
}

# oci_seed FILE LAYER_MEDIA LAYER_FILE: an index, its manifest, a standard
# config and the layer's bytes, in fuzz_oci.c's format ("----" between
# documents, "@N"/"#N" for document N's digest and size).
oci_seed() {
    {
        printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"@1","size":#1,"platform":{"architecture":"amd64","os":"linux"}}]}\n----\n'
        printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"@2","size":#2},"layers":[{"mediaType":"%s","digest":"@3","size":#3}]}\n----\n' "$2"
        printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/hello"],"Labels":{"org.unikit.format":"1","org.unikit.arch":"x86_64"}},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"unikit":{"arch":"x86_64","memory":16777216,"ports":[],"net":false}}\n----\n' \
            "$(gzip -dcf "$3" | sha256sum | cut -d' ' -f1)"
        cat "$3"
    } >"$1"
}

# Real layers, made here (no binaries in the tree): tar and gzip tar of
# .unikit/image.elf (a small static x86_64 program: import checks its
# architecture, and never boots it) and .unikit/config.json, so that the
# fuzzer gets past libarchive into unpacking and the store; one whose ELF
# is of the wrong architecture, and one without the config.
oci_seeds() {
    command -v musl-gcc >/dev/null && command -v tar >/dev/null || return 0
    mkdir -p "$tmp/layer/.unikit" "$tmp/noconf/.unikit"
    printf 'int main(void) { return 0; }\n' >"$tmp/main.c"
    musl-gcc -static -Os -s -o "$tmp/layer/.unikit/image.elf" "$tmp/main.c" || return 0
    cp "$tmp/layer/.unikit/image.elf" "$tmp/noconf/.unikit/image.elf"
    printf '{"architecture":"amd64","os":"linux","created":"2026-11-23T10:00:00Z","config":{"Cmd":["/hello","world"],"Env":["A=1"],"ExposedPorts":{"80/tcp":{}}},"unikit":{"arch":"x86_64","memory":16777216,"ports":["80"],"net":false}}' \
        >"$tmp/layer/.unikit/config.json"
    for d in layer noconf; do
        (cd "$tmp/$d" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
            -cf "$tmp/$d.tar" .unikit) || return 0
        gzip -9nc "$tmp/$d.tar" >"$tmp/$d.tar.gz"
    done
    gzip_media=application/vnd.oci.image.layer.v1.tar+gzip
    oci_seed "$1/made-layer-gzip" "$gzip_media" "$tmp/layer.tar.gz"
    oci_seed "$1/made-layer-tar" application/vnd.oci.image.layer.v1.tar "$tmp/layer.tar"
    oci_seed "$1/made-layer-no-config" "$gzip_media" "$tmp/noconf.tar.gz"
    sed 's/"arch":"x86_64"/"arch":"aarch64"/' "$tmp/layer/.unikit/config.json" >"$tmp/arm.json"
    mv "$tmp/arm.json" "$tmp/layer/.unikit/config.json"
    (cd "$tmp/layer" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
        -czf "$tmp/wrong-arch.tar.gz" .unikit) || return 0
    oci_seed "$1/made-layer-wrong-arch" "$gzip_media" "$tmp/wrong-arch.tar.gz"
}

unikfile_seeds() {
    for f in examples/*/Unikfile; do
        cp "$f" "$1/example-$(basename "$(dirname "$f")")"
    done
}

# The number libFuzzer printed for stat NAME in log FILE.
stat_of() {
    sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

failed=0
for name in $FUZZ_TARGETS; do
    bin=build/fuzz/fuzz_$name
    if [ ! -x "$bin" ]; then
        echo "skip fuzz-$name: not built (needs clang-14 and libFuzzer: make deps, make fuzz-build)"
        continue
    fi
    seeds=$tmp/seeds-$name
    mkdir -p "$seeds"
    case $name in
    elfcheck) elf_seeds "$seeds" ;;
    cpio) cpio_seeds "$seeds" ;;
    unikfile) unikfile_seeds "$seeds" ;;
    oci) oci_seeds "$seeds" ;;
    esac
    if [ "${FUZZ_KEEP_CORPUS:-0}" = 1 ]; then
        corpus=build/fuzz/corpus/$name
    else
        corpus=$tmp/corpus-$name
    fi
    crashes=build/fuzz/crashes/$name
    mkdir -p "$corpus" "$crashes"
    kept=tests/fuzz/corpus/$name # text seeds; some targets have only made ones
    [ -d "$kept" ] || kept=
    log=$tmp/$name.log
    start=$(date +%s)
    "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$root/$crashes/" "$corpus" "$seeds" ${kept:+"$kept"} \
        >"$log" 2>&1 </dev/null
    status=$?
    seconds=$(($(date +%s) - start))
    runs=$(stat_of number_of_executed_units "$log")
    crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    if [ $status -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ]; then
        echo "ok fuzz-$name: $runs runs in $seconds s"
    else
        echo "FAIL fuzz-$name: status $status after ${runs:-0} runs; crash input ${crash:-none}"
        grep -m 1 -A 12 'ERROR:\|fuzz:' "$log" | sed 's/^/    /' >&2
        failed=$((failed + 1))
    fi
done
[ $failed -eq 0 ]
