#!/bin/sh
# The foundation's promises not covered by the guest tests: static-PIE
# programs, a program the kernel refuses at boot, Ctrl-C, -m 2M, too little
# memory, and
# `make install`. One line per check: "ok X", "FAIL X" or "skip X: why".
cd "$(dirname "$0")/../.." || exit 1
root=$(pwd -P)
UNIKIT=${UNIKIT:-build/asan/bin/unikit}
case $UNIKIT in /*) ;; *) UNIKIT=$root/$UNIKIT ;; esac
export UNIKIT_LIBDIR="${UNIKIT_LIBDIR:-$root/lib/unikit}"
fixtures=$root/tests/cli/fixtures/foundation

if [ ! -x "$UNIKIT" ] || [ ! -f "$UNIKIT_LIBDIR/x86_64/kernel.o" ]; then
    for t in static-pie refused-at-boot ctrl-c memory-2m memory-too-little-x86_64 memory-too-little-aarch64 make-install; do
        echo "skip foundation-$t: unikit not built (run make)"
    done
    exit 0
fi

work=$(mktemp -d)
export UNIKIT_HOME="$work/home"
trap 'rm -rf "$work"' EXIT

pass() { echo "ok foundation-$1"; }
fail() {
    echo "FAIL foundation-$1"
    shift
    printf '  %s\n' "$@" >&2
}

# A folder with a Unikfile whose build.binary is the given program.
binary_image() { # name program
    mkdir -p "$work/image-$1"
    cp "$2" "$work/image-$1/prog"
    printf 'name: %s\nbuild:\n  binary: prog\ncmd: ["/%s"]\n' "$1" "$1" >"$work/image-$1/Unikfile"
    "$UNIKIT" build -q "$work/image-$1"
}

# --- a real static-PIE (rcrt1.o), loaded at the kernel's base address ---
M=/usr/lib/x86_64-linux-musl
G=$(dirname "$(cc -print-libgcc-file-name)")
if musl-gcc -fPIE -O2 -c -o "$work/pie.o" "$fixtures/pie.c" &&
    ld -static -pie --no-dynamic-linker -z text -o "$work/pie" "$M/rcrt1.o" "$M/crti.o" \
        "$G/crtbeginS.o" "$work/pie.o" "$M/libc.a" "$G/libgcc.a" "$G/crtendS.o" "$M/crtn.o"; then
    binary_image pie "$work/pie" || fail static-pie "build failed"
    out=$("$UNIKIT" run pie 2>&1)
    status=$?
    if [ $status -eq 0 ] && [ "$out" = "static-pie /pie: answer 42, main at a high base" ]; then
        pass static-pie
    else
        fail static-pie "status $status, output: $out"
    fi
else
    echo "skip foundation-static-pie: could not link a static-PIE here"
fi

# --- a static program the kernel refuses at boot: its segment is at address 0 ---
if musl-gcc -static -O2 -Wl,-Ttext-segment=0 -o "$work/low" "$fixtures/pie.c" 2>/dev/null; then
    binary_image low "$work/low" || fail refused-at-boot "build failed"
    out=$("$UNIKIT" run low 2>&1)
    status=$?
    if [ $status -eq 126 ] && echo "$out" | grep -q "cannot run /low: segment outside"; then
        pass refused-at-boot
    else
        fail refused-at-boot "status $status (want 126), output: $out"
    fi
else
    echo "skip foundation-refused-at-boot: the linker refused -Ttext-segment=0"
fi

# --- Ctrl-C stops the guest: unikit exits 130 and leaves no QEMU behind ---
mkdir -p "$work/spin"
cp "$fixtures/spin.c" "$work/spin/"
printf 'name: spin\nbuild:\n  sources: [spin.c]\n' >"$work/spin/Unikfile"
if "$UNIKIT" build -q "$work/spin"; then
    "$UNIKIT" run spin >"$work/spin.out" 2>&1 &
    pid=$!
    i=0
    while ! grep -q ready "$work/spin.out" && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -INT $pid
    wait $pid
    status=$?
    sleep 0.2
    if [ $status -eq 130 ] && ! pgrep -f "ctl-.*spin|kernel $UNIKIT_HOME" >/dev/null &&
        ! pgrep -f "qemu-system.*$UNIKIT_HOME" >/dev/null; then
        pass ctrl-c
    else
        fail ctrl-c "status $status (want 130), output: $(cat "$work/spin.out")"
        pkill -f "qemu-system.*$UNIKIT_HOME"
    fi
else
    fail ctrl-c "build failed"
fi

# --- hello boots in 2 MiB of memory ---
"$UNIKIT" build -q examples/hello
out=$("$UNIKIT" run -m 2M hello 2>&1)
if [ $? -eq 0 ] && [ "$out" = "$(printf 'Hello from a unikernel!\narg 1: world')" ]; then
    pass memory-2m
else
    fail memory-2m "output: $out"
fi

# --- too little memory for the image is refused before boot, not a hung guest ---
for arch in x86_64 aarch64; do
    out=$(timeout 60 "$UNIKIT" run --arch "$arch" -m 1M hello 2>&1)
    status=$?
    if [ $status -eq 125 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
        printf '%s' "$out" | grep -q "too little memory for this $arch image: it needs at least [0-9]*M"; then
        pass "memory-too-little-$arch"
    else
        fail "memory-too-little-$arch" "exit $status, output: $out"
    fi
done

# --- make install puts a working unikit under PREFIX ---
if make -s install PREFIX="$work/prefix" >"$work/install.log" 2>&1 &&
    out=$(env -u UNIKIT_LIBDIR "$work/prefix/bin/unikit" run hello 2>&1) &&
    [ "$out" = "$(printf 'Hello from a unikernel!\narg 1: world')" ] &&
    env -u UNIKIT_LIBDIR "$work/prefix/bin/unikit" build -q -t installed examples/hello; then
    pass make-install
else
    fail make-install "$(cat "$work/install.log")" "output: $out"
fi
