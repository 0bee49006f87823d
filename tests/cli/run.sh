#!/bin/sh
# CLI tests: drive the real unikit binary (the ASan build by default) through
# its verbs and its error paths. One line per test: "ok cli-X", "FAIL cli-X"
# (details on stderr) or "skip cli-X: why".
#
# Every error test asserts three things: the exit status, exactly one line on
# stderr saying what is wrong (naming the file, field or image), and an
# unchanged image store.
#
# Usage: sh tests/cli/run.sh
# Environment: UNIKIT (default build/asan/bin/unikit), CLI_TIMEOUT (60),
# KEEP_TMP=1 keeps the work folder.

suite=cli
tests="build images run build-tag run-args-env run-default-args bad-yaml unknown-field bad-volumes
missing-source dynamic-binary wrong-arch files-dev files-proc files-too-large
files-too-large-with-program files-absolute
files-dotdot files-symlink files-outside-allowed own-passwd unknown-image qemu-unrunnable
truncated-image corrupted-image"
. "$(dirname "$0")/lib.sh"

# images_has NAME: `unikit images` lists NAME with the host architecture.
images_has() {
    awk -v n="$1" -v a="$host_arch" '
        { ref = $1; sub(/:latest$/, "", ref) }
        ref == n && $2 == a { found = 1 }
        END { exit !found }' "$out"
}

# ---- successful verbs ---------------------------------------------------------

u build "$fixtures/hello"
if [ "$status" -eq 0 ]; then
    pass build
else
    fail build "build of fixtures/hello exited $status"
    show
fi

u images
if [ "$status" -eq 0 ] && head -n 1 "$out" | grep -q 'NAME.*ARCH.*SIZE.*CREATED' &&
    images_has hello; then
    pass images
else
    fail images "images must list a NAME ARCH SIZE CREATED header and 'hello $host_arch'"
    show
fi

u run hello
if [ "$status" -eq 0 ] && expect_lines run "hello from unikit"; then
    pass run
elif [ "$status" -ne 0 ]; then
    fail run "run hello exited $status"
    show
fi

u build -t other "$fixtures/hello"
st=$status
u images
if [ "$st" -eq 0 ] && images_has other && images_has hello; then
    pass build-tag
else
    fail build-tag "build -t other: exit $st; images must list both 'other' and 'hello'"
    show
fi

u build "$fixtures/printargs"
if [ "$status" -ne 0 ]; then
    fail run-args-env "build of fixtures/printargs exited $status"
    show
    fail run-default-args "build of fixtures/printargs failed"
else
    # Arguments replace the cmd's arguments; -e overrides the Unikfile's
    # env and keeps the rest; -m overrides memory: 32M.
    u run -e NAME=x -m 64M printargs a b
    if [ "$status" -ne 0 ]; then
        fail run-args-env "run exited $status"
        show
    elif expect_lines run-args-env "argc=3" "argv[1]=a" "argv[2]=b" "NAME=x" "GREETING=hi" \
        "memory: over 48M"; then
        pass run-args-env
    fi
    u run printargs
    if [ "$status" -ne 0 ]; then
        fail run-default-args "run exited $status"
        show
    elif expect_lines run-default-args "argc=2" "argv[1]=default" "NAME=unikfile" "cwd=/" \
        "hostname=unikit" \
        "memory: 17M-48M"; then
        pass run-default-args
    fi
fi

# ---- build errors -------------------------------------------------------------

expect_error bad-yaml 1 'Unikfile' build "$fixtures/bad-yaml"
expect_error unknown-field 1 'colour' build "$fixtures/unknown-field"
expect_error bad-volumes 1 "Unikfile:7: field 'volumes': volume 'data' must be an absolute path" \
    build "$fixtures/bad-volumes"
expect_error missing-source 1 'nosuch\.c' build "$fixtures/missing-source"

# binary_context DIR: a build folder whose Unikfile names ./prog as a binary.
binary_context() {
    mkdir -p "$1"
    cat >"$1/Unikfile" <<EOF
name: $(basename "$1")
build:
  binary: ./prog
cmd: ["/prog"]
EOF
}

# A glibc program linked the default (dynamic) way.
binary_context "$tmp/dynamic"
if ! command -v cc >/dev/null 2>&1; then
    skip dynamic-binary "no cc"
elif ! cc -o "$tmp/dynamic/prog" "$fixtures/hello/hello.c" 2>"$err"; then
    fail dynamic-binary "cc could not build the fixture"
    show
else
    expect_error dynamic-binary 1 'dynamically linked' build "$tmp/dynamic"
fi

# A static program for the other architecture: built by a cross compiler
# when there is one, else a native static program with e_machine patched.
binary_context "$tmp/wrong-arch"
case $host_arch in
x86_64) other=aarch64 cross=aarch64-linux-gnu-gcc machine='\267' ;; # EM_AARCH64 183
*) other=x86_64 cross=x86_64-linux-gnu-gcc machine='\076' ;;        # EM_X86_64 62
esac
prog=$tmp/wrong-arch/prog
if command -v "$cross" >/dev/null 2>&1 &&
    "$cross" -static -o "$prog" "$fixtures/hello/hello.c" 2>/dev/null; then
    expect_error wrong-arch 1 "$other" build "$tmp/wrong-arch"
elif command -v musl-gcc >/dev/null 2>&1 &&
    musl-gcc -static -o "$prog" "$fixtures/hello/hello.c" 2>/dev/null; then
    # e_machine: 2 bytes, little-endian, at offset 18 of the ELF header.
    # shellcheck disable=SC2059 # the format holds the octal escape on purpose
    printf "$machine\\000" | dd of="$prog" bs=1 seek=18 conv=notrunc 2>/dev/null
    expect_error wrong-arch 1 "$other" build "$tmp/wrong-arch"
else
    skip wrong-arch "neither $cross nor musl-gcc"
fi

# ---- files: what may go into an image ------------------------------------------

# files_context DIR FROM TO: a build folder (hello.c, a file d) whose Unikfile's
# line 5 maps FROM to TO.
files_context() {
    mkdir -p "$1"
    cp "$fixtures/hello/hello.c" "$1/"
    echo data >"$1/d"
    printf 'name: %s\nbuild:\n  sources: [hello.c]\nfiles:\n  %s: %s\n' \
        "$(basename "$1")" "$2" "$3" >"$1/Unikfile"
}

# The kernel makes /dev and /proc at boot: an image with files there would
# panic unpacking them, so the build refuses them.
files_context "$tmp/files-dev" ./d /dev/null
expect_error files-dev 1 "files-dev/Unikfile:5: field 'files\.\./d': .*'/dev/null' is in /dev" \
    build "$tmp/files-dev"
files_context "$tmp/files-proc" ./d /proc/self/x
expect_error files-proc 1 "Unikfile:5: field 'files\.\./d': .*in /proc" build "$tmp/files-proc"

# A 2 GiB sparse file is refused at once, before it is copied and linked.
files_context "$tmp/files-big" ./big.img /big.img
truncate -s 2G "$tmp/files-big/big.img"
started=$(date +%s)
if expect_error files-too-large 1 \
    "Unikfile:5: field 'files\.\./big\.img': files come to 2048 MiB .*an image holds: 1000 MiB" \
    build "$tmp/files-big"; then
    took=$(($(date +%s) - started))
    [ "$took" -le 10 ] || fail files-too-large "the refusal took ${took}s, wanted at most 10"
fi

# Files just under the limit, with the program over it: refused before the
# archive is written (the program's size is known only once it is compiled).
files_context "$tmp/files-edge" ./edge.img /edge.img
truncate -s $(((1000 << 20) - 1024)) "$tmp/files-edge/edge.img"
expect_error files-too-large-with-program 1 \
    "files-edge/Unikfile: field 'files': the program and files come to 1001 MiB, more than an image holds: 1000 MiB" \
    build "$tmp/files-edge"

# files: copies only from the build context (the Unikfile's folder).
echo "builder's secret" >"$tmp/secret.txt"
files_context "$tmp/files-abs" /etc/passwd /etc/passwd
expect_error files-absolute 1 "Unikfile:5: field 'files\./etc/passwd': .*absolute host path" \
    build "$tmp/files-abs"
files_context "$tmp/files-dotdot" ../secret.txt /secret.txt
expect_error files-dotdot 1 "Unikfile:5: field 'files\.\.\./secret\.txt': .*outside the build context" \
    build "$tmp/files-dotdot"
files_context "$tmp/files-link" ./etc-link /etc2
ln -s /etc "$tmp/files-link/etc-link"
expect_error files-symlink 1 "Unikfile:5: field 'files\.\./etc-link': '\./etc-link' leads to /etc, outside" \
    build "$tmp/files-link"

# --allow-outside-context widens it, deliberately.
u build --allow-outside-context -t outside "$tmp/files-dotdot"
st=$status
u images
if [ "$st" -eq 0 ] && images_has outside; then
    pass files-outside-allowed
else
    fail files-outside-allowed "build --allow-outside-context exited $st, or images lacks it"
    show
fi

# An image's own /etc/passwd replaces the builder's instead of failing the
# build as "added twice"; the builder's /etc/group (with nogroup) stays.
u build "$fixtures/own-passwd"
if [ "$status" -ne 0 ]; then
    fail own-passwd "build of fixtures/own-passwd exited $status"
    show
else
    u run own-passwd
    if [ "$status" -ne 0 ]; then
        fail own-passwd "run exited $status"
        show
    elif expect_lines own-passwd "app: uid 1234 gid 5678 home /srv/app" "nobody: not found" \
        "nogroup: found"; then
        pass own-passwd
    fi
fi

# ---- run errors ---------------------------------------------------------------

expect_error unknown-image 125 'nosuchimage' run nosuchimage
for n in 0 17 two -1; do
    expect_error "cpus-$n" 125 "--cpus '$n': expected a number from 1 to 16" run --cpus "$n" hello
done
# Each CPU beyond the first needs stacks: memory enough for one is not for 16.
expect_error cpus-memory 125 'too little memory' run -m 2M --cpus 16 hello

# A QEMU on PATH that cannot be executed (its interpreter is missing): the
# child unikit starts it from says why, and run fails with 125.
mkdir "$tmp/badqemu"
printf '#!/nonexistent/interpreter\n' >"$tmp/badqemu/qemu-system-$(uname -m)"
chmod +x "$tmp/badqemu/qemu-system-$(uname -m)"
saved_path=$PATH
PATH="$tmp/badqemu:$PATH"
expect_error qemu-unrunnable 125 \
    "exit status 127\): cannot run .*/badqemu/qemu-system-.*: No such file" run hello
PATH=$saved_path

# corrupt_test NAME HOW: a fresh store holding hello, whose image blob (the
# biggest blob) is damaged by HOW; run must refuse it with status 125 and a
# line saying "corrupted", and must not boot it.
corrupt_test() {
    name=$1 how=$2
    UNIKIT_HOME=$tmp/home-$name
    mkdir -p "$UNIKIT_HOME"
    u build "$fixtures/hello"
    if [ "$status" -ne 0 ]; then
        fail "$name" "build of fixtures/hello exited $status"
        show
        UNIKIT_HOME=$tmp/home
        return
    fi
    blob=$(find "$UNIKIT_HOME/images/blobs/sha256" -type f -exec ls -S {} + 2>/dev/null | head -n 1)
    if [ -z "$blob" ]; then
        fail "$name" "no blob under \$UNIKIT_HOME/images/blobs/sha256"
        UNIKIT_HOME=$tmp/home
        return
    fi
    chmod u+w "$blob"
    size=$(wc -c <"$blob")
    half=$((size / 2))
    case $how in
    truncate)
        head -c "$half" "$blob" >"$tmp/half" && cat "$tmp/half" >"$blob"
        ;;
    flip)
        byte=$(od -An -tu1 -j "$half" -N1 "$blob" | tr -d ' ')
        # shellcheck disable=SC2059 # an octal escape built on purpose
        printf "\\$(printf %03o $((byte ^ 255)))" |
            dd of="$blob" bs=1 seek="$half" conv=notrunc 2>/dev/null
        ;;
    esac
    # Its output would show that the damaged image booted anyway.
    forbid_out="hello from unikit"
    expect_error "$name" 125 'corrupt' run hello
    forbid_out=""
    UNIKIT_HOME=$tmp/home
}
corrupt_test truncated-image truncate
corrupt_test corrupted-image flip

[ "$failures" -eq 0 ]
