// Process identity and limits: getpid getppid gettid getuid geteuid getgid
// getegid set_tid_address arch_prctl (x86_64) uname sysinfo prlimit64 getrlimit
// sched_yield sched_getaffinity. Values differ between Linux and the guest
// (which is "pid 1"-like), so only their properties are printed.
#include "guest.h"
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

static void test_ids(void)
{
    long pid = syscall(SYS_getpid);
    check("getpid positive", pid > 0);
    check("getppid non-negative", syscall(SYS_getppid) >= 0);
    /* One thread: its id is the process id. */
    long tid = syscall(SYS_gettid);
    check("gettid equals getpid", tid == pid);
    long uid = syscall(SYS_getuid), euid = syscall(SYS_geteuid);
    long gid = syscall(SYS_getgid), egid = syscall(SYS_getegid);
    check("uid valid", uid >= 0 && euid >= 0);
    check("gid valid", gid >= 0 && egid >= 0);
    check("uid equals euid", uid == euid);
    check("gid equals egid", gid == egid);
    /* set_tid_address returns the caller's thread id. */
    static int tid_slot;
    check("set_tid_address returns tid", syscall(SYS_set_tid_address, &tid_slot) == tid);
}

/* Initialised data in TLS: musl copies it from the program's PT_TLS at startup. */
static __thread int tls_probe = 42;

#if defined(__x86_64__)
static long raw_syscall2(long n, long a, long b)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

static uintptr_t tp_read(void)
{
    unsigned long fs = 0;
    return raw_syscall2(SYS_arch_prctl, 0x1003L /* ARCH_GET_FS */, (long)&fs) == 0 ? fs : 0;
}

/*
 * Sets the thread pointer to tp, reads it back after another system call,
 * and restores old; returns what was read. Raw syscalls only: while the
 * pointer is changed, libc's TLS (errno) must not be touched.
 */
static uintptr_t tp_set_and_read(uintptr_t tp, uintptr_t old)
{
    unsigned long got = 0;
    if (raw_syscall2(SYS_arch_prctl, 0x1002L /* ARCH_SET_FS */, (long)tp) == 0)
        raw_syscall2(SYS_arch_prctl, 0x1003L, (long)&got);
    raw_syscall2(SYS_arch_prctl, 0x1002L, (long)old);
    return got;
}
#elif defined(__aarch64__)
/* The program owns TPIDR_EL0 and sets it without the kernel (musl's __set_thread_area). */
static uintptr_t tp_read(void)
{
    uintptr_t tp;
    __asm__ volatile("mrs %0, tpidr_el0" : "=r"(tp));
    return tp;
}

/* As on x86_64, with getpid between setting and reading: the kernel must keep it. */
static uintptr_t tp_set_and_read(uintptr_t tp, uintptr_t old)
{
    uintptr_t got;
    register long x8 __asm__("x8") = SYS_getpid;
    register long x0 __asm__("x0");
    __asm__ volatile("msr tpidr_el0, %[tp]\n\t"
                     "svc #0\n\t"
                     "mrs %[got], tpidr_el0\n\t"
                     "msr tpidr_el0, %[old]"
                     : [got] "=&r"(got), "=r"(x0)
                     : [tp] "r"(tp), [old] "r"(old), "r"(x8)
                     : "memory");
    return got;
}
#endif

/*
 * The thread pointer (FS base on x86_64, TPIDR_EL0 on aarch64): musl points
 * it at its thread block at startup, and everything in TLS (errno) goes
 * through it, so the kernel must set it up right and keep it.
 */
static void test_thread_pointer(void)
{
    /* musl's thread block begins with a pointer to itself. */
    uintptr_t self = (uintptr_t)pthread_self();
    check("thread block points to itself", *(uintptr_t *)self == self);
    check("TLS initialised from the program", tls_probe == 42);
    uintptr_t tp = tp_read();
    check("thread pointer read", tp != 0);
#if defined(__x86_64__)
    /* Variant II TLS: the pointer is the thread block itself. */
    check("thread pointer is the thread block", tp == self);
#else
    /* Variant I: the pointer follows the thread block; TLS data follows it. */
    uintptr_t var = (uintptr_t)&tls_probe;
    check("thread pointer is the thread block", tp > self && tp - self < 1024 && var > tp);
#endif
    uintptr_t other = tp + 4096;
    check("thread pointer set and kept across a syscall", tp_set_and_read(other, tp) == other);
    check("thread pointer restored", tp_read() == tp);
    /* TLS still works after all that: errno lives there. */
    errno = 0;
    syscall(SYS_close, 99L);
    check("errno via TLS", errno == EBADF);
}

static void test_uname(void)
{
    struct utsname u;
    want("uname", syscall(SYS_uname, &u), 0);
    check("sysname Linux", strcmp(u.sysname, "Linux") == 0);
#if defined(__x86_64__)
    check("machine matches", strcmp(u.machine, "x86_64") == 0);
#elif defined(__aarch64__)
    check("machine matches", strcmp(u.machine, "aarch64") == 0);
#endif
    check("release set", u.release[0] != 0);
    check("nodename terminated", memchr(u.nodename, 0, sizeof u.nodename) != NULL);
    want("uname bad pointer", syscall(SYS_uname, BAD_LOW), EFAULT);
}

static void test_sysinfo(void)
{
    struct sysinfo si;
    memset(&si, 0, sizeof si);
    want("sysinfo", syscall(SYS_sysinfo, &si), 0);
    unsigned long unit = si.mem_unit ? si.mem_unit : 1;
    check("totalram positive", si.totalram > 0);
    check("freeram within total", si.freeram <= si.totalram);
    check("total at least 8 MiB", (unsigned long long)si.totalram * unit >= 8ULL << 20);
    check("procs at least 1", si.procs >= 1);
    want("sysinfo bad pointer", syscall(SYS_sysinfo, BAD_KERNEL), EFAULT);
}

static void test_limits(void)
{
    struct rlimit r;
    want("prlimit64 get stack", syscall(SYS_prlimit64, 0L, (long)RLIMIT_STACK, NULL, &r), 0);
    check("stack limit positive", r.rlim_cur > 0 && r.rlim_cur <= r.rlim_max);
    want("prlimit64 get nofile", syscall(SYS_prlimit64, 0L, (long)RLIMIT_NOFILE, NULL, &r), 0);
    check("nofile at least 64", r.rlim_cur >= 64);
    /* Lowering the soft limit is always allowed, and is seen again. */
    struct rlimit lower = {r.rlim_cur / 2, r.rlim_max}, old, now;
    want("prlimit64 set nofile", syscall(SYS_prlimit64, 0L, (long)RLIMIT_NOFILE, &lower, &old), 0);
    check("prlimit64 returns old", old.rlim_cur == r.rlim_cur);
    syscall(SYS_prlimit64, 0L, (long)RLIMIT_NOFILE, NULL, &now);
    check("prlimit64 new limit seen", now.rlim_cur == lower.rlim_cur);
    syscall(SYS_prlimit64, 0L, (long)RLIMIT_NOFILE, &r, NULL);
    struct rlimit inverted = {2, 1};
    want("prlimit64 soft above hard",
         syscall(SYS_prlimit64, 0L, (long)RLIMIT_NOFILE, &inverted, NULL), EINVAL);
    want("prlimit64 bad resource", syscall(SYS_prlimit64, 0L, 1000L, NULL, &r), EINVAL);
    want("prlimit64 bad pointer", syscall(SYS_prlimit64, 0L, (long)RLIMIT_STACK, NULL, BAD_LOW),
         EFAULT);
#ifdef SYS_getrlimit
    want("getrlimit nofile", syscall(SYS_getrlimit, (long)RLIMIT_NOFILE, &now), 0);
    check("getrlimit agrees", now.rlim_cur == r.rlim_cur);
    want("getrlimit bad resource", syscall(SYS_getrlimit, 1000L, &now), EINVAL);
#else
    /* No getrlimit call here (aarch64): musl's getrlimit() is prlimit64 without a new limit. */
    want("getrlimit nofile", getrlimit(RLIMIT_NOFILE, &now), 0);
    check("getrlimit agrees", now.rlim_cur == r.rlim_cur);
    want("getrlimit bad resource", getrlimit(1000, &now), EINVAL);
#endif
}

static void test_sched(void)
{
    want("sched_yield", syscall(SYS_sched_yield), 0);
    cpu_set_t set;
    CPU_ZERO(&set);
    /* The raw call returns the size of the kernel's mask in bytes. */
    long n = want("sched_getaffinity", syscall(SYS_sched_getaffinity, 0L, sizeof set, &set), 0);
    check("affinity size sane", n > 0 && n <= (long)sizeof set && n % 8 == 0);
    check("at least one cpu", CPU_COUNT(&set) >= 1);
    want("sched_getaffinity size 0", syscall(SYS_sched_getaffinity, 0L, 0L, &set), EINVAL);
    want("sched_getaffinity bad pointer",
         syscall(SYS_sched_getaffinity, 0L, sizeof set, BAD_KERNEL), EFAULT);
}

/* /proc/self/exe names the running program (Go's os.Executable reads it). */
static void test_proc_self_exe(void)
{
    char path[256];
    struct stat st;
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n < 0) {
        want("readlink /proc/self/exe", -1, 0);
        return;
    }
    path[n] = '\0';
    check("/proc/self/exe is an absolute path", path[0] == '/');
    /* Not compared with stat("/proc/self/exe"): qemu-aarch64 (the native
       aarch64 run) answers that one with the emulator itself. */
    check("/proc/self/exe names the program's file",
          stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) && st.st_size > 0);
}

int main(void)
{
    test_ids();
    test_thread_pointer();
    test_uname();
    test_sysinfo();
    test_limits();
    test_sched();
    test_proc_self_exe();
    return guest_done();
}
