#!/bin/sh
# For `unikit inspect --explain`: which kernel subsystem each symbol of the
# kernel and network objects belongs to, one "SUBSYSTEM SYMBOL" line each,
# written to stdout. A subsystem is a group of source files; the kernel's
# symbols are matched by name against an image linked with them.
# Usage: NM=nm sh scripts/gen-subsystems.sh OBJECT...
set -eu
subsystem_of() {
    case $1 in
    */kernel/core/pipe.c.o) echo pipes ;;
    */kernel/core/unix.c.o | */kernel/linux/socket.c.o) echo unix-sockets ;;
    */kernel/linux/poll.c.o | */kernel/core/poll.c.o) echo poll-epoll-eventfd ;;
    */kernel/linux/thread.c.o | */kernel/core/futex.c.o) echo threads-futexes ;;
    */kernel/core/sched.c.o | */kernel/core/waitq.c.o) echo scheduler ;;
    */kernel/core/smp.c.o | */kernel/arch/*/smp.c.o | */ap_start.S.o) echo smp ;;
    */kernel/linux/signal.c.o | */sigframe.c.o) echo signals ;;
    */kernel/core/proc.c.o | */kernel/core/exec.c.o) echo process-exec-proc ;;
    */kernel/core/vfs.c.o | */kernel/core/namei.c.o | */kernel/core/ramfs.c.o | \
        */kernel/core/devfs.c.o | */kernel/core/cpio.c.o | */kernel/core/fd.c.o | */kernel/core/flock.c.o | \
        */kernel/linux/fs.c.o | */kernel/linux/fsattr.c.o | */kernel/linux/read_write.c.o | \
        */kernel/linux/stat.c.o | */kernel/linux/dir.c.o | */kernel/linux/fcntl.c.o) echo files ;;
    */kernel/core/p9.c.o | */kernel/core/p9fs.c.o | */virtio_9p.c.o) echo volumes ;;
    */kernel/core/tty.c.o | */kernel/linux/tty.c.o | */kernel/core/hoststream.c.o | \
        */virtio_console.c.o) echo stdio-tty ;;
    */kernel/linux/mm.c.o | */kernel/core/vm.c.o | */kernel/core/page.c.o | \
        */kernel/core/heap.c.o | */paging.c.o) echo memory ;;
    */kernel/linux/time.c.o | */kernel/linux/timer.c.o | */kernel/core/clock.c.o) echo time ;;
    */kernel/linux/info.c.o | */kernel/linux/cred.c.o | */kernel/linux/process.c.o | \
        */arch_prctl.c.o | */kernel/core/random.c.o) echo identity-info ;;
    */kernel/linux/dispatch.c.o | */syscall_table.c.o) echo syscall-table ;;
    build/net/*) echo network ;;
    *) echo boot-arch-drivers ;;
    esac
}
# A local name defined in files of different subsystems (a static helper,
# or a clone the compiler made, such as waitq_wake_all.isra.0 in pipe.c,
# unix.c and the network's socket.c) cannot say whose bytes an image
# holds: such names are left out, and count towards no subsystem.
for obj in "$@"; do
    sub=$(subsystem_of "$obj")
    ${NM:-nm} --defined-only "$obj" | awk -v s="$sub" '$2 ~ /^[TtDdBbRr]$/ { print s, $3 }'
done | sort -u | awk '
    { sub_of[NR] = $1; name[NR] = $2; owners[$2]++ }
    END { for (i = 1; i <= NR; i++) if (owners[name[i]] == 1) print sub_of[i], name[i] }'

