// Process identity and limits: getpid getppid gettid getuid geteuid getgid
// getegid set_tid_address arch_prctl uname sysinfo prlimit64 getrlimit
// sched_yield sched_getaffinity. Values differ between Linux and the guest
// (which is "pid 1"-like), so only their properties are printed.
#include "guest.h"
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

static void test_arch_prctl(void)
{
#ifdef __x86_64__
    /* musl keeps a pointer to the thread block at %fs:0 (its self pointer). */
    uintptr_t self;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
    unsigned long fs = 0;
    want("arch_prctl ARCH_GET_FS", syscall(SYS_arch_prctl, 0x1003L, &fs), 0);
    check("fs base is the thread pointer", fs == self);
    want("arch_prctl ARCH_SET_FS", syscall(SYS_arch_prctl, 0x1002L, fs), 0);
    unsigned long again = 0;
    syscall(SYS_arch_prctl, 0x1003L, &again);
    check("fs base kept", again == fs);
    /* GS is left out: a unikernel may keep it for itself (per-CPU data). */
    want("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999L, &fs), EINVAL);
    want("arch_prctl bad pointer", syscall(SYS_arch_prctl, 0x1003L, BAD_LOW), EFAULT);
#else
    /* No arch_prctl elsewhere; the same lines keep one expected output. */
    printf("arch_prctl ARCH_GET_FS: ok\nfs base is the thread pointer: yes\n"
           "arch_prctl ARCH_SET_FS: ok\nfs base kept: yes\n"
           "arch_prctl bad code: EINVAL\narch_prctl bad pointer: EFAULT\n");
#endif
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
    printf("getrlimit nofile: ok\ngetrlimit agrees: yes\ngetrlimit bad resource: EINVAL\n");
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

int main(void)
{
    test_ids();
    test_arch_prctl();
    test_uname();
    test_sysinfo();
    test_limits();
    test_sched();
    return guest_done();
}
