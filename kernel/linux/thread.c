/*
 * Threads as Linux gives them to pthreads and the Go runtime: clone with
 * CLONE_VM|CLONE_THREAD, the tid address cleared and futex-woken at exit,
 * futex, gettid, yield and affinity (threads are not pinned: any CPU
 * runs any thread).
 */
#include "abi.h"
#include "arch.h"
#include "clock.h"
#include "futex.h"
#include "lib.h"
#include "proc.h"
#include "sched.h"
#include "smp.h"
#include "syscalls.h"

#define CLONE_VM             0x00000100
#define CLONE_FS             0x00000200
#define CLONE_FILES          0x00000400
#define CLONE_SIGHAND        0x00000800
#define CLONE_VFORK          0x00004000
#define CLONE_THREAD         0x00010000
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID   0x01000000
#define CLONE_THREAD_FLAGS   (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)

#define FUTEX_WAIT           0
#define FUTEX_WAKE           1
#define FUTEX_REQUEUE        3
#define FUTEX_CMP_REQUEUE    4
#define FUTEX_WAKE_OP        5
#define FUTEX_WAIT_BITSET    9
#define FUTEX_WAKE_BITSET    10
#define FUTEX_PRIVATE_FLAG   128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK       (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))

#define MEMBARRIER_CMD_QUERY                      0
#define MEMBARRIER_CMD_GLOBAL                     1
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED          8
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16

/* ---- clone ------------------------------------------------------------------ */

static long clone_thread(unsigned long flags, uintptr_t sp, int *ptid, int *ctid, uintptr_t tls)
{
    if ((flags & CLONE_THREAD_FLAGS) != CLONE_THREAD_FLAGS || (flags & CLONE_VFORK)) {
        /* fork, vfork and posix_spawn need a second address space. */
        syscall_warn_current("without CLONE_VM|CLONE_THREAD (a new process: fork, vfork, "
                             "posix_spawn) is not supported; returning ENOSYS");
        return -ENOSYS;
    }
    if ((flags & CLONE_PARENT_SETTID) && !user_writable(ptid, sizeof(*ptid)))
        return -EFAULT;
    if ((flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) &&
        !user_writable(ctid, sizeof(*ctid)))
        return -EFAULT;
    struct thread *t = thread_clone();
    if (!t)
        return -ENOMEM;
    struct arch_regs *r = arch_regs_at(t->kstack_top);
    arch_regs_set_return(r, 0);
    if (sp)
        arch_regs_set_sp(r, sp);
    if (flags & CLONE_SETTLS)
        t->tls = tls;
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_child_tid = ctid;
    if (flags & CLONE_PARENT_SETTID)
        *ptid = t->tid;
    if (flags & CLONE_CHILD_SETTID)
        *ctid = t->tid;
    thread_start(t);
    return t->tid;
}

#if defined(__x86_64__)
SYSCALL_DEFINE5(clone, unsigned long, flags, uintptr_t, sp, int *, ptid, int *, ctid, uintptr_t,
                tls)
#else
SYSCALL_DEFINE5(clone, unsigned long, flags, uintptr_t, sp, int *, ptid, uintptr_t, tls, int *,
                ctid)
#endif
{
    return clone_thread(flags, sp, ptid, ctid, tls);
}

/* ---- exit ------------------------------------------------------------------- */

SYSCALL_DEFINE1(exit, int, status)
{
    int *tidp = current->clear_child_tid;
    if (tidp && user_writable(tidp, sizeof(*tidp))) {
        *tidp = 0;
        futex_wake((uint32_t *)tidp, 1, FUTEX_BITSET_ANY);
    }
    thread_exit(status & 0xff);
}

SYSCALL_DEFINE1(set_tid_address, int *, tidptr)
{
    current->clear_child_tid = tidptr;
    return current->tid;
}

SYSCALL_DEFINE0(gettid)
{
    return current->tid;
}

/* sched_getcpu(): the CPU this thread runs on now (one NUMA node). */
SYSCALL_DEFINE3(getcpu, unsigned *, cpu, unsigned *, node, void *, tcache)
{
    (void)tcache; /* unused since Linux 2.6.24 */
    if ((cpu && !user_writable(cpu, sizeof(*cpu))) || (node && !user_writable(node, sizeof(*node))))
        return -EFAULT;
    if (cpu)
        *cpu = this_cpu()->index;
    if (node)
        *node = 0;
    return 0;
}

SYSCALL_DEFINE0(sched_yield)
{
    sched_yield();
    return 0;
}

SYSCALL_DEFINE2(set_robust_list, void *, head, unsigned long, len)
{
    (void)head; /* robust mutexes of dead threads: threads never die holding one here */
    return len == 24 ? 0 : -EINVAL;
}

SYSCALL_DEFINE3(sched_setaffinity, int, pid, unsigned long, size, const unsigned long *, mask)
{
    if (pid != 0 && !thread_find(pid))
        return -ESRCH;
    if (!size || !user_readable(mask, size < sizeof(*mask) ? size : sizeof(*mask)))
        return -EFAULT;
    /* Accepted, not enforced: the scheduler has one queue for all CPUs. */
    return (*mask & ((1UL << cpu_count) - 1)) ? 0 : -EINVAL;
}

SYSCALL_DEFINE3(membarrier, int, cmd, unsigned, flags, int, cpu_id)
{
    (void)cpu_id;
    if (flags)
        return -EINVAL;
    switch (cmd) {
    case MEMBARRIER_CMD_QUERY:
        return MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_PRIVATE_EXPEDITED |
               MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
    case MEMBARRIER_CMD_GLOBAL:
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
        return 0; /* one CPU: every thread already sees this one's stores */
    default:
        return -EINVAL;
    }
}

/* ---- futex ------------------------------------------------------------------ */

/* The monotonic deadline of a futex timeout: relative for FUTEX_WAIT,
 * absolute on the chosen clock for FUTEX_WAIT_BITSET. 0: none. */
static long futex_deadline(int cmd, int op, const struct linux_timespec *ts, uint64_t *deadline)
{
    *deadline = 0;
    if (!ts)
        return 0;
    if (!user_readable(ts, sizeof(*ts)))
        return -EFAULT;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
        return -EINVAL;
    uint64_t ns = (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
    uint64_t now = clock_monotonic_ns();
    if (cmd == FUTEX_WAIT) {
        *deadline = now + ns;
    } else if (op & FUTEX_CLOCK_REALTIME) {
        uint64_t real = clock_realtime_ns();
        *deadline = ns > real ? now + (ns - real) : now;
    } else {
        *deadline = ns;
    }
    if (!*deadline)
        *deadline = 1; /* already passed, and not "none" */
    return 0;
}

static int32_t sign_extend12(uint32_t v)
{
    return (int32_t)(v << 20) >> 20;
}

/* FUTEX_WAKE_OP: *uaddr2 = oldval OP oparg, then wake uaddr, and uaddr2 if oldval CMP cmparg. */
static long futex_wake_op(uint32_t *uaddr, int n, uint32_t *uaddr2, int n2, uint32_t encoded)
{
    if (!user_writable(uaddr2, sizeof(*uaddr2)))
        return -EFAULT;
    unsigned op = encoded >> 28 & 7, cmp = encoded >> 24 & 15;
    int32_t oparg = sign_extend12(encoded >> 12 & 0xfff), cmparg = sign_extend12(encoded & 0xfff);
    if (encoded >> 31)
        oparg = 1 << (oparg & 31);
    int32_t old = (int32_t)*uaddr2, val;
    switch (op) {
    case 0:
        val = oparg;
        break;
    case 1:
        val = old + oparg;
        break;
    case 2:
        val = old | oparg;
        break;
    case 3:
        val = old & ~oparg;
        break;
    case 4:
        val = old ^ oparg;
        break;
    default:
        return -ENOSYS;
    }
    bool hit;
    switch (cmp) {
    case 0:
        hit = old == cmparg;
        break;
    case 1:
        hit = old != cmparg;
        break;
    case 2:
        hit = old < cmparg;
        break;
    case 3:
        hit = old <= cmparg;
        break;
    case 4:
        hit = old > cmparg;
        break;
    case 5:
        hit = old >= cmparg;
        break;
    default:
        return -ENOSYS;
    }
    *uaddr2 = (uint32_t)val;
    int woken = futex_wake(uaddr, n, FUTEX_BITSET_ANY);
    if (hit)
        woken += futex_wake(uaddr2, n2, FUTEX_BITSET_ANY);
    return woken;
}

SYSCALL_DEFINE6(futex, uint32_t *, uaddr, int, op, uint32_t, val, const struct linux_timespec *,
                timeout, uint32_t *, uaddr2, uint32_t, val3)
{
    int cmd = op & FUTEX_CMD_MASK;
    uint64_t deadline;
    long rc;
    /* The fourth argument is a count, not a pointer, for these. */
    int n2 = (int)(uintptr_t)timeout;

    if (((uintptr_t)uaddr & 3) || !user_readable(uaddr, sizeof(*uaddr)))
        return -EFAULT;
    switch (cmd) {
    case FUTEX_WAIT:
        val3 = FUTEX_BITSET_ANY;
        /* fall through */
    case FUTEX_WAIT_BITSET:
        if (!val3)
            return -EINVAL;
        rc = futex_deadline(cmd, op, timeout, &deadline);
        return rc ? rc : futex_wait(uaddr, val, deadline, val3);
    case FUTEX_WAKE:
        val3 = FUTEX_BITSET_ANY;
        /* fall through */
    case FUTEX_WAKE_BITSET:
        if (!val3)
            return -EINVAL;
        return futex_wake(uaddr, (int)val, val3);
    case FUTEX_CMP_REQUEUE:
        if (*uaddr != val3)
            return -EAGAIN;
        /* fall through */
    case FUTEX_REQUEUE:
        if (((uintptr_t)uaddr2 & 3) || !user_readable(uaddr2, sizeof(*uaddr2)))
            return -EFAULT;
        return futex_requeue(uaddr, (int)val, uaddr2, n2);
    case FUTEX_WAKE_OP:
        return futex_wake_op(uaddr, (int)val, uaddr2, n2, val3);
    default:
        syscall_warn_current("operation other than WAIT, WAKE, REQUEUE, WAKE_OP and "
                             "the BITSET forms is not implemented; returning ENOSYS");
        return -ENOSYS;
    }
}

/* Restartable sequences and clone3: glibc and musl try them and fall back
 * (to no rseq, to clone) on ENOSYS, which is all they need here: one CPU
 * makes rseq's per-CPU data pointless. No warning: nothing is missing. */
SYSCALL_DEFINE4(rseq, void *, rseq, uint32_t, len, int, flags, uint32_t, sig)
{
    (void)rseq, (void)len, (void)flags, (void)sig;
    return -ENOSYS;
}

SYSCALL_DEFINE2(clone3, void *, args, size_t, size)
{
    (void)args, (void)size;
    return -ENOSYS;
}
