/*
 * Helpers shared by the guest test programs (tests/guest/NAME.c).
 *
 * Each program runs twice: natively as a Linux process (which proves the
 * test itself is right) and inside a unikit image. Its stdout must be the
 * same in both, so programs print properties ("ok", "yes", an errno name),
 * never raw values such as pids, times or addresses.
 *
 * Include this first: it sets _GNU_SOURCE before any libc header.
 */
#ifndef UNIKIT_GUEST_H
#define UNIKIT_GUEST_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int guest_failures;

/* Our own table: strerror() text differs between libcs, these names do not. */
static inline const char *errno_name(int e)
{
    static char other[16];
    switch (e) {
    case 0:
        return "ok";
    case EPERM:
        return "EPERM";
    case ENOENT:
        return "ENOENT";
    case ESRCH:
        return "ESRCH";
    case EINTR:
        return "EINTR";
    case EIO:
        return "EIO";
    case EBADF:
        return "EBADF";
    case EAGAIN:
        return "EAGAIN";
    case ENOMEM:
        return "ENOMEM";
    case EACCES:
        return "EACCES";
    case EFAULT:
        return "EFAULT";
    case EBUSY:
        return "EBUSY";
    case EEXIST:
        return "EEXIST";
    case EXDEV:
        return "EXDEV";
    case ENOTDIR:
        return "ENOTDIR";
    case EISDIR:
        return "EISDIR";
    case EINVAL:
        return "EINVAL";
    case EMFILE:
        return "EMFILE";
    case ENOTTY:
        return "ENOTTY";
    case EFBIG:
        return "EFBIG";
    case ENOSPC:
        return "ENOSPC";
    case ESPIPE:
        return "ESPIPE";
    case EROFS:
        return "EROFS";
    case EPIPE:
        return "EPIPE";
    case ERANGE:
        return "ERANGE";
    case ENAMETOOLONG:
        return "ENAMETOOLONG";
    case ENOSYS:
        return "ENOSYS";
    case ENOTEMPTY:
        return "ENOTEMPTY";
    case ELOOP:
        return "ELOOP";
    case EOVERFLOW:
        return "EOVERFLOW";
    case EOPNOTSUPP:
        return "EOPNOTSUPP";
    case ECONNRESET:
        return "ECONNRESET";
    case ECONNREFUSED:
        return "ECONNREFUSED";
    case ECONNABORTED:
        return "ECONNABORTED";
    case ENOTCONN:
        return "ENOTCONN";
    case EINPROGRESS:
        return "EINPROGRESS";
    case EADDRINUSE:
        return "EADDRINUSE";
    case EISCONN:
        return "EISCONN";
    case EPROTOTYPE:
        return "EPROTOTYPE";
    case EAFNOSUPPORT:
        return "EAFNOSUPPORT";
    case ENOTSOCK:
        return "ENOTSOCK";
    case ENXIO:
        return "ENXIO";
    case ESOCKTNOSUPPORT:
        return "ESOCKTNOSUPPORT";
    case EPROTONOSUPPORT:
        return "EPROTONOSUPPORT";
    case ENOPROTOOPT:
        return "ENOPROTOOPT";
    case ENETUNREACH:
        return "ENETUNREACH";
    case EADDRNOTAVAIL:
        return "EADDRNOTAVAIL";
    default:
        snprintf(other, sizeof other, "errno%d", e);
        return other;
    }
}

/*
 * Prints "LABEL: ok" when ret >= 0, else "LABEL: ENAME" from errno, and
 * counts a failure (with a FAILED line) unless that is the outcome wanted:
 * want_errno 0 means the call must succeed. Returns ret so callers can use it.
 */
static inline long want(const char *label, long ret, int want_errno)
{
    /* Taken before printf, which may itself change errno. */
    int e = ret < 0 ? errno : 0;
    printf("%s: %s\n", label, errno_name(e));
    if (e != want_errno) {
        guest_failures++;
        printf("  FAILED: wanted %s\n", errno_name(want_errno));
    }
    return ret;
}

/* For calls that return a pointer (mmap): MAP_FAILED is (void *)-1. */
static inline void *want_ptr(const char *label, void *p, int want_errno)
{
    want(label, p == (void *)-1 ? -1 : 0, want_errno);
    return p;
}

/* Prints "LABEL: yes" or "LABEL: no"; "no" is a failure. */
static inline int check(const char *label, int cond)
{
    printf("%s: %s\n", label, cond ? "yes" : "no");
    if (!cond) {
        guest_failures++;
        printf("  FAILED\n");
    }
    return cond;
}

/* The end of main: exit status 1 when any check failed, so both runs notice. */
static inline int guest_done(void)
{
    printf("failures: %d\n", guest_failures);
    return guest_failures ? 1 : 0;
}

/*
 * Addresses that are invalid both for a Linux process and in a unikit
 * guest: the unmapped first page, and the start of the kernel half, which a
 * unikernel sharing one address space must still refuse as a user pointer.
 */
#define BAD_LOW    ((void *)8)
#define BAD_KERNEL ((void *)0xffff800000000000UL)

/*
 * syscall() reads every argument as a long: a negative int passed as is
 * may arrive with garbage upper bits, so constants like AT_FDCWD are widened.
 */
#define FDCWD ((long)AT_FDCWD)

/*
 * The legacy path-based calls exist only on x86_64. Elsewhere (aarch64) the
 * *at form is the same call, so the programs and their expected output are
 * shared by every architecture.
 */
#ifdef SYS_open
#define sys_open(p, f, m) syscall(SYS_open, (p), (f), (m))
#else
#define sys_open(p, f, m) syscall(SYS_openat, FDCWD, (p), (f), (m))
#endif
#ifdef SYS_stat
#define sys_stat(p, st)  syscall(SYS_stat, (p), (st))
#define sys_lstat(p, st) syscall(SYS_lstat, (p), (st))
#else
#define sys_stat(p, st)  syscall(SYS_newfstatat, FDCWD, (p), (st), 0)
#define sys_lstat(p, st) syscall(SYS_newfstatat, FDCWD, (p), (st), AT_SYMLINK_NOFOLLOW)
#endif
#ifdef SYS_access
#define sys_access(p, m) syscall(SYS_access, (p), (m))
#else
#define sys_access(p, m) syscall(SYS_faccessat, FDCWD, (p), (m))
#endif
#ifdef SYS_readlink
#define sys_readlink(p, b, n) syscall(SYS_readlink, (p), (b), (n))
#else
#define sys_readlink(p, b, n) syscall(SYS_readlinkat, FDCWD, (p), (b), (n))
#endif
#ifdef SYS_mkdir
#define sys_mkdir(p, m) syscall(SYS_mkdir, (p), (m))
#else
#define sys_mkdir(p, m) syscall(SYS_mkdirat, FDCWD, (p), (m))
#endif
#ifdef SYS_unlink
#define sys_unlink(p) syscall(SYS_unlink, (p))
#else
#define sys_unlink(p) syscall(SYS_unlinkat, FDCWD, (p), 0)
#endif
#ifdef SYS_rename
#define sys_rename(a, b) syscall(SYS_rename, (a), (b))
#else
#define sys_rename(a, b) syscall(SYS_renameat, FDCWD, (a), FDCWD, (b))
#endif
#ifdef SYS_dup2
#define sys_dup2(a, b) syscall(SYS_dup2, (a), (b))
#else
/* dup3 refuses a == b where dup2 returns b: callers avoid that case here. */
#define sys_dup2(a, b) syscall(SYS_dup3, (a), (b), 0)
#endif
#ifdef SYS_pipe
#define sys_pipe(fds) syscall(SYS_pipe, (fds))
#else
#define sys_pipe(fds) syscall(SYS_pipe2, (fds), 0)
#endif

/*
 * Where tests may create files: $WORK_DIR (the native run points it at a
 * fresh temporary folder), else /tmp in the guest's writable root.
 */
static inline const char *work_dir(void)
{
    const char *w = getenv("WORK_DIR");
    if (!w || !*w)
        w = "/tmp";
    /* The guest's root may start without /tmp; EEXIST is the usual answer. */
    if (sys_mkdir(w, 0755) < 0 && errno != EEXIST)
        printf("mkdir work dir: %s\n", errno_name(errno));
    return w;
}

#endif
