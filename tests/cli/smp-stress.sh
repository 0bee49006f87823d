#!/bin/sh
# Several CPUs changing one address space at once (issue #17: a Go program
# crashed in its allocator with --cpus 2, 7 runs in 30 on x86_64). Two
# programs, each booted STRESS_RUNS times (default 1; `make fuzz` runs 100)
# with --cpus 2 and --cpus 4 on both architectures: a Go program keeping
# its garbage collector and allocator busy on every CPU
# (fixtures/smp-stress/gogc), and a C program whose threads map, discard,
# re-protect and unmap memory while the others use theirs, and write to
# one fresh mapping together (fixtures/smp-stress/hammer.c). Every run
# must print its line and exit 0: a crash in any run fails the check.
# STRESS_LOAD=1 keeps every host core busy meanwhile, as a shared CI
# machine would (`make fuzz` sets it).
# One line per check: "ok smp-stress-PROG-ARCH-cpusN: R runs" or "FAIL ...".

suite=smp-stress
tests="gogc-x86_64-cpus2 gogc-x86_64-cpus4 gogc-aarch64-cpus2 gogc-aarch64-cpus4
hammer-x86_64-cpus2 hammer-x86_64-cpus4 hammer-aarch64-cpus2 hammer-aarch64-cpus4"
CLI_TIMEOUT=${CLI_TIMEOUT:-300}
. "$(dirname "$0")/lib.sh"
fixtures=$fixtures/smp-stress
STRESS_RUNS=${STRESS_RUNS:-1}

musl_for() { [ "$1" = aarch64 ] && echo aarch64-linux-musl-gcc || echo musl-gcc; }

# image PROG ARCH BINARY: the binary as image PROG for ARCH.
image() {
    dir=$tmp/$1-$2
    mkdir -p "$dir"
    cp "$3" "$dir/prog"
    printf 'name: %s\nbuild:\n  binary: ./prog\narch: [%s]\nmemory: 256M\n' "$1" "$2" >"$dir/Unikfile"
    "$UNIKIT" build -q "$dir" >"$dir/build.log" 2>&1
}

# Go's build cache lives in build/ (ignored by git): the standard library
# is compiled once per architecture, not once per run.
build_programs() { # ARCH
    mkdir -p "$tmp/bin"
    (cd "$fixtures/gogc" && HOME=$tmp GOCACHE=$root/build/gocache GOPATH=$tmp/gopath \
        CGO_ENABLED=0 GOOS=linux GOARCH=$(goarch_for "$1") go build -o "$tmp/bin/gogc-$1" .) \
        >"$tmp/build-$1.log" 2>&1 &&
        "$(musl_for "$1")" -O2 -static -pthread -o "$tmp/bin/hammer-$1" "$fixtures/hammer.c" \
            >>"$tmp/build-$1.log" 2>&1 &&
        image gogc "$1" "$tmp/bin/gogc-$1" && image hammer "$1" "$tmp/bin/hammer-$1"
}

# stress PROG ARCH CPUS EXPECTED: STRESS_RUNS boots; the first bad one fails the check.
stress() {
    name=$1-$2-cpus$3
    run=0
    while [ $run -lt "$STRESS_RUNS" ]; do
        run=$((run + 1))
        u run --rm --cpus "$3" --arch "$2" "$1"
        if [ $status -ne 0 ] || ! grep -q "$4" "$out"; then
            fail "$name" "run $run of $STRESS_RUNS went wrong:"
            show
            return
        fi
    done
    pass "$name: $STRESS_RUNS runs"
}

load_pids=""
stop_load() {
    # shellcheck disable=SC2086 # one pid per word
    [ -n "$load_pids" ] && kill $load_pids 2>/dev/null
}
on_exit=stop_load
if [ "${STRESS_LOAD:-0}" = 1 ]; then
    for _ in $(seq "$(nproc)"); do
        sh -c 'while :; do :; done' &
        load_pids="$load_pids $!"
    done
fi

for arch in x86_64 aarch64; do
    if ! build_programs "$arch"; then
        for check in gogc-$arch-cpus2 gogc-$arch-cpus4 hammer-$arch-cpus2 hammer-$arch-cpus4; do
            fail "$check" "building the programs failed:" "$(cat "$tmp/build-$arch.log")"
        done
        continue
    fi
    for cpus in 2 4; do
        stress gogc "$arch" "$cpus" '^gogc: .* collected: true$'
        stress hammer "$arch" "$cpus" '^hammer: ok$'
    done
done
exit $((failures > 0))
