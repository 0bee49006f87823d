#!/bin/sh
# The foundation's promises not covered by the guest tests: static-PIE
# programs, a program the kernel refuses at boot, Ctrl-C, -m 2M, too little
# memory, and `make install`. One line per check: "ok foundation-X",
# "FAIL foundation-X" or "skip foundation-X: why".

suite=foundation
tests="static-pie refused-at-boot ctrl-c memory-2m memory-too-little-x86_64 memory-too-little-aarch64 make-install
transfer-missing"
own_checks=1 # an x86_64 kernel is what it needs
env_libdir=1
. "$(dirname "$0")/lib.sh"
fixtures=$fixtures/foundation

if [ ! -x "$UNIKIT" ] || [ ! -f "$UNIKIT_LIBDIR/x86_64/kernel.o" ]; then
    skip_all "unikit not built (run make)"
fi

# A folder with a Unikfile whose build.binary is the given program.
binary_image() { # name program
    mkdir -p "$tmp/image-$1"
    cp "$2" "$tmp/image-$1/prog"
    printf 'name: %s\nbuild:\n  binary: prog\ncmd: ["/%s"]\n' "$1" "$1" >"$tmp/image-$1/Unikfile"
    "$UNIKIT" build -q "$tmp/image-$1"
}

# --- a real static-PIE (rcrt1.o), loaded at the kernel's base address ---
M=/usr/lib/x86_64-linux-musl
G=$(dirname "$(cc -print-libgcc-file-name)")
if musl-gcc -fPIE -O2 -c -o "$tmp/pie.o" "$fixtures/pie.c" &&
    ld -static -pie --no-dynamic-linker -z text -o "$tmp/pie" "$M/rcrt1.o" "$M/crti.o" \
        "$G/crtbeginS.o" "$tmp/pie.o" "$M/libc.a" "$G/libgcc.a" "$G/crtendS.o" "$M/crtn.o"; then
    binary_image pie "$tmp/pie" || fail static-pie "build failed"
    said=$("$UNIKIT" run pie 2>&1)
    status=$?
    if [ $status -eq 0 ] && [ "$said" = "static-pie /pie: answer 42, main at a high base" ]; then
        pass static-pie
    else
        fail static-pie "status $status, output: $said"
    fi
else
    skip static-pie "could not link a static-PIE here"
fi

# --- a static program the kernel refuses at boot: its segment is at address 0 ---
if musl-gcc -static -O2 -Wl,-Ttext-segment=0 -o "$tmp/low" "$fixtures/pie.c" 2>/dev/null; then
    binary_image low "$tmp/low" || fail refused-at-boot "build failed"
    said=$("$UNIKIT" run low 2>&1)
    status=$?
    if [ $status -eq 126 ] && echo "$said" | grep -q "cannot run /low: segment outside"; then
        pass refused-at-boot
    else
        fail refused-at-boot "status $status (want 126), output: $said"
    fi
else
    skip refused-at-boot "the linker refused -Ttext-segment=0"
fi

# --- Ctrl-C stops the guest: unikit exits 130 and leaves no QEMU behind ---
mkdir -p "$tmp/spin"
cp "$fixtures/spin.c" "$tmp/spin/"
printf 'name: spin\nbuild:\n  sources: [spin.c]\n' >"$tmp/spin/Unikfile"
if "$UNIKIT" build -q "$tmp/spin"; then
    "$UNIKIT" run spin >"$tmp/spin.out" 2>&1 &
    pid=$!
    i=0
    while ! grep -q ready "$tmp/spin.out" && [ $i -lt 300 ]; do
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
        fail ctrl-c "status $status (want 130), output: $(cat "$tmp/spin.out")"
        pkill -f "qemu-system.*$UNIKIT_HOME"
    fi
else
    fail ctrl-c "build failed"
fi

# --- hello boots in 2 MiB of memory ---
"$UNIKIT" build -q examples/hello
said=$("$UNIKIT" run -m 2M hello 2>&1)
if [ $? -eq 0 ] && [ "$said" = "$(printf 'Hello from a unikernel!\narg 1: world')" ]; then
    pass memory-2m
else
    fail memory-2m "output: $said"
fi

# --- too little memory for the image is refused before boot, not a hung guest ---
for arch in x86_64 aarch64; do
    said=$(timeout -k 10 60 "$UNIKIT" run --arch "$arch" -m 1M hello 2>&1)
    status=$?
    if [ $status -eq 125 ] && [ "$(printf '%s\n' "$said" | wc -l)" -eq 1 ] &&
        printf '%s' "$said" | grep -q "too little memory for this $arch image: it needs at least [0-9]*M"; then
        pass "memory-too-little-$arch"
    else
        fail "memory-too-little-$arch" "exit $status, output: $said"
    fi
done

# --- make install puts a working unikit under PREFIX, with what QEMU
# preloads for published ports ---
if make -s install PREFIX="$tmp/prefix" >"$tmp/install.log" 2>&1 &&
    said=$(env -u UNIKIT_LIBDIR "$tmp/prefix/bin/unikit" run hello 2>&1) &&
    [ "$said" = "$(printf 'Hello from a unikernel!\narg 1: world')" ] &&
    env -u UNIKIT_LIBDIR "$tmp/prefix/bin/unikit" build -q -t installed examples/hello &&
    env -u UNIKIT_LIBDIR "$tmp/prefix/bin/unikit" save -o "$tmp/installed.tar" installed &&
    [ -s "$tmp/installed.tar" ] && [ -f "$tmp/prefix/libexec/unikit/listen-queue.so" ]; then
    pass make-install
else
    fail make-install "$(cat "$tmp/install.log")" "output: $said"
fi

# --- push, pull, save and load live in libexec/unikit/unikit-transfer;
# without it they fail in one line, and the other verbs still work ---
mkdir -p "$tmp/bare/bin"
cp "$UNIKIT" "$tmp/bare/bin/unikit"
"$tmp/bare/bin/unikit" save -o "$tmp/none.tar" hello >"$out" 2>"$err"
status=$?
if [ $status -eq 125 ] && [ "$(lines "$err")" = 1 ] &&
    grep -q "^unikit: save: cannot run .*unikit-transfer" "$err" &&
    "$tmp/bare/bin/unikit" images >/dev/null 2>&1; then
    pass transfer-missing
else
    fail transfer-missing "$(show)"
fi
