// args: 1 20000
// native: no
// native-aarch64: no (qemu-aarch64 stands between; unikit's kernel is what is tested)
// A system-call fuzzer: COUNT calls (default 20000) picked from a fixed
// SEED, each with wild arguments: any number in the table but those that
// would end or stall the program itself (exit, signals to itself, blocking
// waits, writes to its own stdout), descriptors and pointers from a pool of
// valid, invalid and hostile values. One call in eight is a memory call
// (mmap, munmap, mprotect, mremap, madvise, brk) on a sandbox region of its
// own, with lengths inside it or larger than the whole address space. The
// kernel must answer every call (an error is fine) without a panic or a
// hang; `make fuzz` runs it longer, with more seeds. Not run natively:
// Linux has calls this program does not survive (seccomp, pkey_mprotect).
#include "guest.h"
#include <stdint.h>
#include <sys/mman.h>

#define MAX_NR 460

/* Calls that would end, stop or mislead the program itself, not the kernel. */
static const long denied[] = {
    SYS_exit,
    SYS_exit_group,
    SYS_kill,
    SYS_tkill,
    SYS_tgkill,
    SYS_rt_sigqueueinfo,
    SYS_rt_tgsigqueueinfo,
    SYS_rt_sigreturn,
    SYS_clone,
    SYS_execve,
    SYS_execveat,
    SYS_reboot,
    SYS_rt_sigsuspend,
    SYS_rt_sigtimedwait,
    SYS_wait4,
    SYS_waitid,
    SYS_futex,
    SYS_set_robust_list,
    SYS_mmap,
    SYS_munmap,
    SYS_mprotect,
    SYS_mremap,
    SYS_madvise,
    SYS_brk,
    SYS_set_tid_address,
    SYS_read,
    SYS_readv,
    SYS_pread64,
    SYS_preadv,
    SYS_preadv2,
    SYS_write,
    SYS_writev,
    SYS_pwrite64,
    SYS_pwritev,
    SYS_pwritev2,
    SYS_sendfile,
    SYS_splice,
    SYS_tee,
    SYS_vmsplice,
    SYS_sendto,
    SYS_sendmsg,
    SYS_sendmmsg,
    SYS_recvfrom,
    SYS_recvmsg,
    SYS_recvmmsg,
    SYS_accept,
    SYS_accept4,
    SYS_connect,
    SYS_ppoll,
    SYS_pselect6,
    SYS_epoll_pwait,
    SYS_nanosleep,
    SYS_clock_nanosleep,
    SYS_close,
    SYS_close_range,
    SYS_dup3,
    SYS_fcntl,
    SYS_ioctl,
    SYS_setitimer,
    SYS_timer_create,
    SYS_timer_settime,
    SYS_timerfd_settime,
    SYS_prlimit64,
    SYS_setrlimit,
    SYS_rt_sigaction,
    SYS_sigaltstack,
    SYS_rseq,
    SYS_prctl,
    SYS_clone3,
    SYS_io_uring_enter,
    SYS_chdir,
    SYS_fchdir,
    SYS_chroot,
    SYS_ptrace,
    SYS_sched_setaffinity,
    SYS_flock,
    SYS_exit,
    SYS_pidfd_send_signal,
    SYS_epoll_pwait2,
    SYS_shutdown,
    SYS_msync,
    SYS_mlock,
    SYS_mlockall,
    SYS_munlock,
    SYS_munlockall,
    SYS_remap_file_pages,
    SYS_userfaultfd,
    SYS_process_vm_writev,
    SYS_membarrier,
#ifdef SYS_pause
    SYS_pause,
    SYS_poll,
    SYS_select,
    SYS_epoll_wait,
    SYS_alarm,
    SYS_dup2,
    SYS_arch_prctl,
    SYS_vfork,
    SYS_fork,
    SYS_setrlimit,
    SYS_modify_ldt,
    SYS_iopl,
    SYS_ioperm,
    SYS_getrlimit,
#endif
};

static uint64_t state;

/* xorshift64*: the same calls for the same seed, everywhere. */
static uint64_t next(void)
{
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ULL;
}

/* Two writable pages with an inaccessible one after them: a length that
   runs past the scratch area gets EFAULT instead of the program's own data. */
#define SCRATCH (2 * 4096)
static char *scratch;

static long wild_value(void)
{
    static const long pool[] = {
        0,
        1,
        2,
        -1,
        3,
        4,
        7,
        8,
        16,
        255,
        4096,
        65535,
        0x7fffffff,
        -4096,
        (long)0x8000000000000000ULL,
        (long)0xffff800000000000ULL,
        0x1000,
        0x7ffffffff000L,
    };
    switch (next() % 6) {
    case 0:
        return (long)(next() % 64);
    case 1:
        return (long)next();
    case 2: /* a pointer into memory the program owns, writable */
        return (long)(scratch + next() % (SCRATCH / 2));
    case 3: /* a string the kernel may take as a path */
        return (long)(next() % 2 ? "/tmp/fuzz" : "/proc/self/maps");
    default:
        return pool[next() % (sizeof(pool) / sizeof(pool[0]))];
    }
}

/* The memory calls' playground: addresses inside it, lengths that stay in
   it, or lengths no address space holds (which must fail at once). */
#define SANDBOX (64 * 4096L)
static char *sandbox;

static long sandbox_addr(void)
{
    return (long)(sandbox + (next() % 64) * 4096 + (next() % 16 == 0 ? 1 : 0));
}

static long sandbox_len(long addr)
{
    if (next() % 8 == 0)
        return (long)(1UL << (47 + next() % 17)); /* past any user address space */
    long room = (long)(sandbox + SANDBOX) - addr;
    return room > 0 ? (long)(next() % (unsigned long)room) : 0;
}

static void memory_call(void)
{
    long addr = sandbox_addr(), len = sandbox_len(addr), prot = (long)(next() % 8);
    switch (next() % 6) {
    case 0:
        syscall(SYS_mmap, addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1L, 0L);
        break;
    case 1:
        syscall(SYS_munmap, addr, len);
        break;
    case 2:
        syscall(SYS_mprotect, addr, len, prot);
        break;
    case 3: /* new size inside the sandbox, old size anything it allows */
        syscall(SYS_mremap, addr, len, sandbox_len(addr) & ~(1UL << 62), (long)(next() % 2));
        break;
    case 4:
        syscall(SYS_madvise, addr, len, (long)(next() % 24));
        break;
    default:
        syscall(SYS_brk, next() % 2 ? 0L : wild_value());
        break;
    }
}

static int allowed(long nr)
{
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
        if (denied[i] == nr)
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
    long count = argc > 2 ? strtol(argv[2], NULL, 0) : 20000;
    state = seed * 0x9E3779B97F4A7C15ULL + 1;
    scratch =
        mmap(NULL, SCRATCH + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (scratch == MAP_FAILED || mprotect(scratch + SCRATCH, 4096, PROT_NONE) < 0) {
        printf("fuzz: no scratch memory\n");
        return 1;
    }
    sandbox = mmap(NULL, SANDBOX, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sandbox == MAP_FAILED) {
        printf("fuzz: no sandbox\n");
        return 1;
    }
    long made = 0;
    while (made < count) {
        if (next() % 8 == 0) {
            memory_call();
            made++;
            continue;
        }
        long nr = (long)(next() % MAX_NR);
        if (!allowed(nr))
            continue;
        long a[6];
        for (int i = 0; i < 6; i++)
            a[i] = wild_value();
        syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        made++;
    }
    printf("fuzz: %ld calls from seed %lu, every one answered\n", made, seed);
    return 0;
}
