#!/bin/sh
# The packed kernel (kernel/include/unpack.h, host/lib/kpack.c): an image's
# kernel code and read-only data are stored gzip'd, and hello shrinks by a
# third. For each architecture: the packed segment decodes to exactly the
# bytes of the same image built unpacked (UNIKIT_KEEP_SYMBOLS=1), readelf
# reads the packed image without a complaint, the packed hello runs, and a
# damaged packed kernel stops the machine at once (QEMU exits) instead of
# hanging. scripts/check-boot-object.sh, which the Makefile runs on the boot
# code, refuses an object that calls anything packed and names the call.
# One line per check: "ok pack-X", "FAIL pack-X" or "skip pack-X: why".

suite=pack
tests="same-bytes-x86_64 same-bytes-aarch64 readelf-x86_64 readelf-aarch64 runs-x86_64
runs-aarch64 damaged-x86_64 damaged-aarch64 boot-check"
. "$(dirname "$0")/lib.sh"

# raw_qemu ARCH IMAGE: boots IMAGE with QEMU alone (no unikit, no devices),
# within CLI_TIMEOUT; the status in $status (124: it did not end).
raw_qemu() {
    case $1 in
    x86_64) machine="-M microvm,x-option-roms=off,pic=off,acpi=off,isa-serial=on,rtc=on" ;;
    aarch64) machine="-M virt,gic-version=3" ;;
    esac
    # shellcheck disable=SC2086 # the machine's options are words
    timeout -k 5 "$CLI_TIMEOUT" "qemu-system-$1" $machine -cpu max -accel tcg -nodefaults \
        -no-user-config -display none -no-reboot -m 64M -kernel "$2" >"$out" 2>"$err" </dev/null
    status=$?
}

for arch in x86_64 aarch64; do
    # A prebuilt hello goes in unchanged with symbols kept or not, so the
    # two images differ only in the kernel's packing and symbols.
    ctx=$tmp/prebuilt-$arch
    mkdir -p "$ctx"
    cc=musl-gcc
    [ "$arch" = aarch64 ] && cc=aarch64-linux-musl-gcc
    "$cc" -static -O2 -o "$ctx/prog" "$root/examples/hello/hello.c"
    printf 'name: hello\nbuild:\n  binary: prog\ncmd: ["/prog"]\narch: [%s]\n' "$arch" >"$ctx/Unikfile"
    packed=$tmp/hello-$arch.elf plain=$tmp/hello-$arch-plain.elf
    if ! u build -q -o "$packed" "$ctx" || ! UNIKIT_KEEP_SYMBOLS=1 u build -q -o "$plain" "$ctx"; then
        fail "same-bytes-$arch" "building hello failed"
        show
        continue
    fi
    if why=$("$py" "$fixtures/packed-kernel.py" "$packed" "$plain"); then
        pass "same-bytes-$arch"
    else
        fail "same-bytes-$arch" "$why"
    fi

    if readelf -lSW "$packed" >"$out" 2>"$err" && [ ! -s "$err" ]; then
        pass "readelf-$arch"
    else
        fail "readelf-$arch" "readelf complained about the packed image"
        show
    fi

    u build -q --arch "$arch" -t "packed-$arch" "$root/examples/hello" &&
        u run --rm --arch "$arch" "packed-$arch" one
    if [ "$status" -eq 0 ] && expect_lines "runs-$arch" "Hello from a unikernel!" "arg 1: one"; then
        pass "runs-$arch"
    elif [ "$status" -ne 0 ]; then
        fail "runs-$arch" "the packed hello did not run"
        show
    fi

    # Bytes flipped in the middle of the compressed code.
    cp "$packed" "$tmp/damaged.elf"
    "$py" - "$tmp/damaged.elf" <<'PY'
import struct, sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
phoff, = struct.unpack_from("<Q", data, 0x20)
phnum, = struct.unpack_from("<H", data, 0x38)
for i in range(phnum):
    kind, _, off, _, _, filesz, memsz, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + 56 * i)
    if kind == 1 and 0 < filesz < memsz:
        for k in range(16):
            data[off + filesz // 2 + k] ^= 0x5a
open(path, "wb").write(data)
PY
    raw_qemu "$arch" "$tmp/damaged.elf"
    if [ "$status" -eq 0 ] && ! grep -q Hello "$out"; then
        pass "damaged-$arch"
    else
        fail "damaged-$arch" "QEMU ended with status $status (124: it did not end), wanted 0"
        show
    fi
done
# Boot code may call gunzip; a call to kmain (packed) is refused by name.
printf 'long gunzip(void);\nlong boot_ok(void) { return gunzip(); }\n' >"$tmp/ok.c"
printf 'void kmain(void);\nvoid boot_bad(void) { kmain(); }\n' >"$tmp/bad.c"
if cc -c -o "$tmp/ok.o" "$tmp/ok.c" && cc -c -o "$tmp/bad.o" "$tmp/bad.c" &&
    sh scripts/check-boot-object.sh nm "$tmp/ok.o" gunzip __kernel_end >"$out" 2>"$err"; then
    if sh scripts/check-boot-object.sh nm "$tmp/bad.o" gunzip __kernel_end >"$out" 2>"$err"; then
        fail boot-check "a boot object calling kmain passed"
    elif [ "$(lines "$err")" -eq 1 ] && grep -q "bad.o: boot code refers to what is packed.* kmain" "$err"; then
        pass boot-check
    else
        status=1
        fail boot-check "the refusal does not name the object and kmain in one line"
        show
    fi
else
    status=$?
    fail boot-check "a boot object calling only gunzip was refused"
    show
fi
exit $((failures > 0))
