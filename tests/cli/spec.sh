#!/bin/sh
# Specialisation: `unikit build` links only the system calls the program
# can make. hello's kernel leaves out threads, signal frames, pipes, epoll
# and SMP start-up (its symbols, with UNIKIT_KEEP_SYMBOLS=1); a call made
# only through syscall(2) with a constant is found and works; a computed
# number keeps the full kernel and says so; the Unikfile's syscalls: adds a
# call, specialize: false turns it off, and a name no table has is one
# error naming the field and line; `inspect --explain` for hello, httpd
# and a program whose only sockets come from socketpair (AF_UNIX, the
# kernel's own: no network object). Volumes: hello leaves out the 9P
# client, an image declaring volumes: links it, `run -v` on another image
# links its kernel again with it (and reads the host's file), and a kernel
# without it refuses to boot with volumes rather than ignore them.
# `run --trace-syscalls` prints each call hello makes, once; a call made by
# code the analysis cannot see is left out, and its warning says so.
# One line per check: "ok spec-X", "FAIL spec-X" or "skip spec-X: why".

suite=spec
tests="hello-symbols-x86_64 hello-symbols-aarch64 full-symbols build-line via-syscall computed
unikfile-adds specialize-false bad-name explain-hello explain-httpd explain-socketpair
declared-volumes run-v-relinks-x86_64 run-v-relinks-aarch64 no-volume-kernel trace-syscalls
left-out-call"
. "$(dirname "$0")/lib.sh"
fixtures=$fixtures/spec
out=$tmp/out err=$tmp/err

# symbols_absent NAME IMAGE SYMBOL...: none of SYMBOLs is in IMAGE's symbol table.
symbols_absent() {
    name=$1 image=$2
    shift 2
    syms=$(nm "$image" 2>/dev/null | awk '{ print $NF }')
    [ -n "$syms" ] || { fail "$name" "nm found no symbols in $image"; return 1; }
    echo "$syms" | grep -qx sys_write || echo "$syms" | grep -qx sys_writev ||
        { fail "$name" "no sys_write/sys_writev: not the kernel's symbols"; return 1; }
    for s in "$@"; do
        if echo "$syms" | grep -qx "$s"; then
            fail "$name" "$image links $s"
            return 1
        fi
    done
    pass "$name"
}

# The subsystems hello must not carry: threads, signal frames, pipes, epoll,
# SMP, AF_UNIX sockets.
left_out="sys_clone thread_clone sys_rt_sigaction sigframe_setup sys_rt_sigreturn vfs_pipe sys_pipe2
sys_epoll_create1 sys_epoll_wait sys_eventfd2 smp_start arch_cpu_start sys_socketpair unix_pair
p9fs_mount_volumes vol_writeback p9_connect"
for arch in x86_64 aarch64; do
    # shellcheck disable=SC2086 # one argument per symbol
    if UNIKIT_KEEP_SYMBOLS=1 u build -q --arch "$arch" -o "$tmp/hello-$arch.elf" "$root/examples/hello"; then
        symbols_absent "hello-symbols-$arch" "$tmp/hello-$arch.elf" $left_out
    else
        fail "hello-symbols-$arch" "build failed"
        show
    fi
done

# The same hello with specialize: false links all of them.
mkdir -p "$tmp/full"
cp "$root/examples/hello/hello.c" "$tmp/full/"
printf 'name: full\nbuild:\n  sources: [hello.c]\narch: [x86_64]\nspecialize: false\n' >"$tmp/full/Unikfile"
if UNIKIT_KEEP_SYMBOLS=1 u build -q -o "$tmp/full.elf" "$tmp/full"; then
    missing=""
    for s in $left_out; do
        nm "$tmp/full.elf" | awk '{ print $NF }' | grep -qx "$s" || missing="$missing $s"
    done
    [ -z "$missing" ] && pass full-symbols || fail full-symbols "the full kernel lacks$missing"
else
    fail full-symbols "build failed"
    show
fi

# build's line: the size and what specialisation saved.
u build "$root/examples/hello"
if [ $status -eq 0 ] && grep -Eq '^built hello:latest \(x86_64, [0-9.]+ kB; specialised to [0-9]+ of [0-9]+ system calls, [0-9.]+ kB smaller\)$' "$out"; then
    pass build-line
else
    fail build-line "no 'built ... specialised ... smaller' line"
    show
fi

# unikfile NAME SOURCE EXTRA: a folder with a Unikfile building SOURCE for x86_64.
unikfile() {
    mkdir -p "$tmp/$1"
    cp "$fixtures/$2" "$tmp/$1/"
    printf 'name: %s\nbuild:\n  sources: [%s]\narch: [x86_64, aarch64]\n%s' "$1" "$2" "$3" >"$tmp/$1/Unikfile"
}

# A call made only through syscall(2), with a constant, is in the set and works.
unikfile via via-syscall.c ""
u build "$tmp/via"
if [ $status -ne 0 ] || ! grep -q "specialised to" "$out"; then
    fail via-syscall "build: not specialised"
    show
else
    u inspect --explain via
    if ! grep -E '^  system calls: ' "$out" | grep -qw getppid; then
        fail via-syscall "getppid is not in the set"
        show
    else
        ok=1
        for arch in x86_64 aarch64; do
            u run --arch "$arch" via
            if [ $status -ne 0 ] || ! grep -qx "getppid through syscall(2): ok" "$out" ||
                grep -q "not implemented" "$err"; then
                ok=0
                fail via-syscall "run on $arch"
                show
            fi
        done
        [ $ok = 1 ] && pass via-syscall
    fi
fi

# A computed number: the full kernel, and the build says why.
unikfile computed computed.c ""
u build "$tmp/computed"
if [ $status -eq 0 ] && grep -q "not specialised: the analysis could not bound the calls" "$out" &&
    u inspect --explain computed && grep -q "^x86_64: not specialised" "$out"; then
    u run --arch x86_64 computed 39
    if [ $status -eq 0 ] && grep -qx "call 39: ok" "$out"; then
        pass computed
    else
        fail computed "run: getpid (39) failed"
        show
    fi
else
    fail computed "not reported as unbounded"
    show
fi

# syscalls: adds a call the analysis cannot see; pipes then go in.
mkdir -p "$tmp/adds"
cp "$root/examples/hello/hello.c" "$tmp/adds/"
printf 'name: adds\nbuild:\n  sources: [hello.c]\narch: [x86_64]\nsyscalls: [pipe2, open]\n' >"$tmp/adds/Unikfile"
u build "$tmp/adds"
if [ $status -eq 0 ] && u inspect --explain adds &&
    grep -q "^  added by the Unikfile's syscalls: pipe2$" "$out" &&
    grep -Eq '^  pipes +(linked|part) .*pipe2' "$out"; then
    pass unikfile-adds
else
    fail unikfile-adds "pipe2 not added, or pipes not linked"
    show
fi

# specialize: false: the full table, said so at build.
u build "$tmp/full"
if [ $status -eq 0 ] && grep -q "not specialised: the Unikfile says specialize: false" "$out"; then
    pass specialize-false
else
    fail specialize-false "no 'not specialised' line"
    show
fi

# A name no architecture has: one error naming the file, line and field.
mkdir -p "$tmp/bad"
cp "$root/examples/hello/hello.c" "$tmp/bad/"
printf 'name: bad\nbuild:\n  sources: [hello.c]\narch: [x86_64]\nsyscalls:\n  - read\n  - nosuchcall\n' >"$tmp/bad/Unikfile"
expect_error bad-name 1 "Unikfile:7: field 'syscalls': 'nosuchcall' is not a Linux system call" build "$tmp/bad"

# --explain: per architecture, subsystems with sizes and the calls that pulled them in.
explain_ok() { # NAME IMAGE PATTERN...
    name=$1 image=$2
    shift 2
    u inspect --explain "$image"
    why=""
    [ $status -eq 0 ] || why="exit status $status;"
    for p in "$@"; do
        grep -Eq -e "$p" "$out" || why="$why no line /$p/;"
    done
    if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why"; show; fi
}
explain_ok explain-hello hello '^x86_64: specialised$' '^aarch64: specialised$' \
    '^  analysis: complete' '^  pipes +left out +0 +[1-9][0-9]*' \
    '^  poll-epoll-eventfd +part ' '^  files +part +[0-9]+ +[0-9]+  .*writev' \
    '^  kernel total: [0-9]+ bytes of [0-9]+ in the full kernel$' \
    '^  volumes: left out .*run -v' '^  volumes +left out +0 +[1-9][0-9]*'
u build "$root/examples/httpd"
explain_ok explain-httpd httpd '^x86_64: specialised$' '^  network +(linked|part) +[0-9]+ .*socket' \
    '^  network +(linked|part) +[0-9]+ .*accept' '^  system calls: .*bind'
mkdir -p "$tmp/pair"
cat >"$tmp/pair/pair.c" <<'EOF'
#include <sys/socket.h>
#include <unistd.h>
int main(void)
{
    int sv[2];
    char c;
    return socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || write(sv[0], "x", 1) != 1 ||
           read(sv[1], &c, 1) != 1 || c != 'x';
}
EOF
printf 'name: pair\nbuild:\n  sources: [pair.c]\narch: [x86_64]\n' >"$tmp/pair/Unikfile"
u build "$tmp/pair"
explain_ok explain-socketpair pair '^  network +left out +0 +0 *$' \
    '^  unix-sockets +(linked|part) +[1-9][0-9]* .*socketpair'

# volumes: in the Unikfile links the 9P client: each run mounts them.
mkdir -p "$tmp/declared"
cp "$root/examples/hello/hello.c" "$tmp/declared/"
printf 'name: declared\nbuild:\n  sources: [hello.c]\narch: [x86_64]\nvolumes: [/data]\n' \
    >"$tmp/declared/Unikfile"
if UNIKIT_KEEP_SYMBOLS=1 u build -q -o "$tmp/declared.elf" "$tmp/declared" &&
    nm "$tmp/declared.elf" | awk '{ print $NF }' | grep -qx p9fs_mount_volumes &&
    u build -q "$tmp/declared" && u inspect --explain declared &&
    grep -q '^  volumes: linked (the Unikfile declares volumes:)$' "$out"; then
    pass declared-volumes
else
    fail declared-volumes "no 9P client, or --explain does not say why"
    show
fi

# run -v on an image without the client: linked again with it, the host's file read.
mkdir -p "$tmp/volread" "$tmp/hostdir"
cat >"$tmp/volread/volread.c" <<'EOF'
#include <stdio.h>
int main(void)
{
    char line[64];
    FILE *f = fopen("/data/note", "r");
    if (!f || !fgets(line, sizeof(line), f))
        return 1;
    printf("read: %s", line);
    return 0;
}
EOF
printf 'name: volread\nbuild:\n  sources: [volread.c]\narch: [x86_64, aarch64]\n' >"$tmp/volread/Unikfile"
echo "from the host" >"$tmp/hostdir/note"
u build -q "$tmp/volread"
for arch in x86_64 aarch64; do
    u run --rm --arch "$arch" -v "$tmp/hostdir:/data" volread
    if [ $status -eq 0 ] && grep -qx "read: from the host" "$out"; then
        pass "run-v-relinks-$arch"
    else
        fail "run-v-relinks-$arch" "exit status $status"
        show
    fi
done

# The image as built (no client) booted with a volume anyway: it stops, saying why.
UNIKIT_BENCH_IMAGE="$tmp/hello-x86_64.elf" u run --rm --arch x86_64 -v "$tmp/hostdir:/data" hello
if [ $status -ne 0 ] && cat "$out" "$err" | grep -q "linked without volume support"; then
    pass no-volume-kernel
else
    fail no-volume-kernel "exit status $status, no panic naming volume support"
    show
fi
# --trace-syscalls: each call once on stderr, the program's output unchanged.
u run --rm --arch x86_64 --trace-syscalls hello
if [ $status -eq 0 ] && grep -qx "Hello from a unikernel!" "$out" &&
    [ "$(grep -c '^unikit: trace: writev (system call 20)$' "$err")" = 1 ] &&
    grep -qx 'unikit: trace: exit_group (system call 231)' "$err" &&
    ! grep -q "not in this image's kernel" "$err"; then
    pass trace-syscalls
else
    fail trace-syscalls "no trace of writev and exit_group, once each"
    show
fi
# A call the analysis cannot see (machine code made at run time, as a
# plug-in's would be) is left out: ENOSYS, and the warning says so.
mkdir -p "$tmp/jit"
cat >"$tmp/jit/jit.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
int main(void)
{
    /* mov $39, %eax (getpid); syscall; ret */
    static const unsigned char code[] = {0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xc3};
    void *p = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    memcpy(p, code, sizeof(code));
    long r = ((long (*)(void))p)();
    printf("getpid from made code: %s\n", r == -ENOSYS ? "ENOSYS" : "ran");
    return 0;
}
EOF
printf 'name: jit\nbuild:\n  sources: [jit.c]\narch: [x86_64]\n' >"$tmp/jit/Unikfile"
u build -q "$tmp/jit"
u run --rm --trace-syscalls jit
if [ $status -eq 0 ] && grep -qx "getpid from made code: ENOSYS" "$out" &&
    grep -q "warning: getpid (system call 39) is left out of this image's kernel" "$err" &&
    grep -qx "unikit: trace: getpid (system call 39): not in this image's kernel" "$err"; then
    pass left-out-call
else
    fail left-out-call "no ENOSYS, or no warning naming the left-out call"
    show
fi
[ "$failures" -eq 0 ]

