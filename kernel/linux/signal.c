/*
 * Signal state. Handlers and masks are recorded as Linux would keep them,
 * so libc start-up and programs that install handlers run; delivery
 * (raise, kill, faults to handlers) comes with the scheduler. Until then a
 * fault takes the default action, as when no handler is installed.
 */
#include "lib.h"
#include "sched.h"
#include "syscalls.h"

#define NSIG        64
#define SIGKILL     9
#define SIGSTOP     19
#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define SS_ONSTACK  1
#define SS_DISABLE  2
#define MINSIGSTKSZ 2048

struct linux_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

struct linux_stack {
    void *sp;
    int flags;
    unsigned long size;
};

static struct linux_sigaction actions[NSIG + 1];
static struct linux_stack altstack = {NULL, SS_DISABLE, 0};

static uint64_t unblockable(void)
{
    return 1ULL << (SIGKILL - 1) | 1ULL << (SIGSTOP - 1);
}

SYSCALL_DEFINE4(rt_sigaction, int, sig, const struct linux_sigaction *, act,
                struct linux_sigaction *, old, unsigned long, setsize)
{
    if (setsize != sizeof(uint64_t))
        return -EINVAL;
    if (sig < 1 || sig > NSIG || ((sig == SIGKILL || sig == SIGSTOP) && act))
        return -EINVAL;
    if (act && !user_readable(act, sizeof(*act)))
        return -EFAULT;
    if (old && !user_writable(old, sizeof(*old)))
        return -EFAULT;
    if (old)
        *old = actions[sig];
    if (act)
        actions[sig] = *act;
    return 0;
}

SYSCALL_DEFINE4(rt_sigprocmask, int, how, const uint64_t *, set, uint64_t *, old, unsigned long,
                setsize)
{
    if (setsize != sizeof(uint64_t))
        return -EINVAL;
    if (set && !user_readable(set, sizeof(*set)))
        return -EFAULT;
    if (old && !user_writable(old, sizeof(*old)))
        return -EFAULT;
    uint64_t prev = current->sig_blocked, blocked = prev;
    if (set) {
        switch (how) {
        case SIG_BLOCK:
            blocked |= *set;
            break;
        case SIG_UNBLOCK:
            blocked &= ~*set;
            break;
        case SIG_SETMASK:
            blocked = *set;
            break;
        default:
            return -EINVAL;
        }
        current->sig_blocked = blocked & ~unblockable();
    }
    if (old)
        *old = prev;
    return 0;
}

SYSCALL_DEFINE2(sigaltstack, const struct linux_stack *, ss, struct linux_stack *, old)
{
    if (ss && !user_readable(ss, sizeof(*ss)))
        return -EFAULT;
    if (old && !user_writable(old, sizeof(*old)))
        return -EFAULT;
    struct linux_stack prev = altstack;
    if (ss) {
        if (ss->flags & ~(SS_DISABLE | SS_ONSTACK))
            return -EINVAL;
        if (!(ss->flags & SS_DISABLE) && ss->size < MINSIGSTKSZ)
            return -ENOMEM;
        altstack = *ss;
        altstack.flags &= SS_DISABLE;
    }
    if (old)
        *old = prev;
    return 0;
}
