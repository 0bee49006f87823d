# Kernel sources each kernel unit test (tests/unit/ktest_NAME.c) compiles for the host.
KTEST_SRCS_vfs := kernel/core/vfs.c kernel/core/namei.c kernel/core/ramfs.c kernel/core/devfs.c \
	kernel/core/pipe.c kernel/core/fd.c kernel/core/flock.c kernel/core/cpio.c kernel/core/waitq.c kernel/linux/fs.c \
	kernel/linux/read_write.c kernel/linux/stat.c kernel/linux/dir.c kernel/linux/fcntl.c
KTEST_SRCS_resolv := kernel/core/resolv.c kernel/lib/ipv4.c kernel/core/vfs.c kernel/core/namei.c \
	kernel/core/ramfs.c kernel/core/devfs.c kernel/core/pipe.c kernel/core/fd.c kernel/core/flock.c kernel/core/cpio.c kernel/core/waitq.c
KTEST_SRCS_inflate := kernel/lib/inflate.c
KTEST_LIBS_inflate := -lz
KTEST_SRCS_sched := kernel/core/sched.c kernel/core/waitq.c
# The kernel's sched_yield would stand in for libc's, which the leak checker calls at exit.
KTEST_CFLAGS_sched := -Dsched_yield=kernel_sched_yield
