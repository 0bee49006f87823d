/*
 * Signals: actions (one table, shared by all threads as CLONE_SIGHAND
 * makes it), per-thread masks, pending sets and alternate stacks, and
 * delivery when the thread next returns to the program: after a system
 * call or an interrupt, or at once for a fault. The frame a handler sees
 * is Linux's (ARCH/sigframe.c), so runtimes that read the ucontext (Go's
 * preemption, its nil-pointer panics) work.
 */
#include "abi.h"
#include "clock.h"
#include "lib.h"
#include "proc.h"
#include "sched.h"
#include "signal.h"
#include "syscalls.h"

#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2
#define MINSIGSTKSZ 2048
#define PROGRAM_PID 1

static struct linux_sigaction actions[NSIG + 1];

/* Set by the first rt_sigaction: a program that cannot install a handler
   needs no frames, and `unikit build` then links neither the frame code
   nor sigreturn (only this pointer refers to run_handler). */
static bool (*handler_runner)(struct arch_regs *r, int sig, const struct linux_siginfo *info);

static uint64_t sigbit(int sig)
{
    return 1ULL << (sig - 1);
}

static uint64_t unblockable(void)
{
    return sigbit(SIGKILL) | sigbit(SIGSTOP);
}

/* Signals whose default action is to do nothing (no job control here). */
static bool ignored_by_default(int sig)
{
    switch (sig) {
    case SIGCHLD:
    case SIGCONT:
    case SIGURG:
    case SIGWINCH:
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        return true;
    default:
        return false;
    }
}

static bool ignored(int sig)
{
    void *h = actions[sig].handler;
    return sig != SIGKILL && (h == SIG_IGN || (h == SIG_DFL && ignored_by_default(sig)));
}

/* Marks sig pending for t and interrupts its sleep if it can take it now. */
static void send_signal(struct thread *t, int sig)
{
    if (ignored(sig))
        return;
    t->sig_pending |= sigbit(sig);
    if (!(t->sig_blocked & sigbit(sig)) || (t->sig_waiting & sigbit(sig)) || sig == SIGKILL)
        thread_wake(t);
}

/* A process-directed signal goes to a thread that does not block it or
   waits for it in sigwaitinfo; when all block it, to the sender, or to the
   program's first thread when the sender is none of the program's (a
   timer's interrupt, a signal from the host): the thread most likely to
   wait for it, rather than whichever one the interrupt found running. */
static struct thread *process_target(int sig)
{
    struct thread *oldest = NULL;
    for (struct thread *c = thread_next(NULL); c; c = thread_next(c)) {
        if (!(c->sig_blocked & sigbit(sig)) || (c->sig_waiting & sigbit(sig)))
            return c;
        oldest = c; /* the list is newest first */
    }
    return current->is_kthread ? oldest : current;
}

static void send_to_process(int sig)
{
    struct thread *t = process_target(sig);
    if (t)
        send_signal(t, sig);
}

/* Takes sig off t's pending set: its siginfo code, SI_TIMER when a timer sent it. */
static int take_pending(struct thread *t, int sig)
{
    bool timer = t->sig_timer & sigbit(sig);
    t->sig_pending &= ~sigbit(sig);
    t->sig_timer &= ~sigbit(sig);
    return timer ? SI_TIMER : SI_TKILL;
}

static int lowest_deliverable(struct thread *t)
{
    uint64_t ready = t->sig_pending & (~t->sig_blocked | unblockable());
    return ready ? __builtin_ctzll(ready) + 1 : 0;
}

/* Where a handler's frame goes: the alternate stack when asked for and not on it already. */
static uintptr_t frame_stack(const struct arch_regs *r, const struct linux_sigaction *act)
{
    struct thread *t = current;
    uintptr_t sp = arch_regs_sp(r);
    bool on_alt = sp > t->sigalt_sp && sp <= t->sigalt_sp + t->sigalt_size;
    if ((act->flags & SA_ONSTACK) && !(t->sigalt_flags & SS_DISABLE) && t->sigalt_size && !on_alt)
        return t->sigalt_sp + t->sigalt_size;
    return sigframe_stack_below(r);
}

/* The mask the handler's return restores: the one from before a
 * ppoll-style wait, if the signal interrupted one. */
static uint64_t mask_to_restore(struct thread *t)
{
    return t->sig_restore ? t->sig_saved : t->sig_blocked;
}

static bool run_handler(struct arch_regs *r, int sig, const struct linux_siginfo *info)
{
    struct thread *t = current;
    struct linux_sigaction act = actions[sig];
    struct linux_stack alt = {(void *)t->sigalt_sp, t->sigalt_flags, t->sigalt_size};
    if (!sigframe_setup(r, sig, info, &act, mask_to_restore(t), frame_stack(r, &act), &alt))
        return false;
    t->sig_restore = false;
    t->sig_blocked |= act.mask | (act.flags & SA_NODEFER ? 0 : sigbit(sig));
    t->sig_blocked &= ~unblockable();
    if (act.flags & SA_RESETHAND)
        actions[sig].handler = SIG_DFL;
    return true;
}

/* Linux never restarts the waits and sleeps that take a timeout (their
 * time would start again): they return EINTR even under SA_RESTART. */
static bool restartable(long nr)
{
    static const char *const never[] = {
        "poll",          "ppoll",           "select",    "pselect6",
        "epoll_wait",    "epoll_pwait",     "nanosleep", "clock_nanosleep",
        "rt_sigsuspend", "rt_sigtimedwait", "pause",
    };
    const char *name = syscall_name(nr);
    for (size_t i = 0; name && i < ARRAY_SIZE(never); i++)
        if (strcmp(name, never[i]) == 0)
            return false;
    return true;
}

static void deliver_one(struct arch_regs *r, bool after_syscall)
{
    int sig;
    while ((sig = lowest_deliverable(current)) != 0) {
        int code = take_pending(current, sig);
        if (ignored(sig))
            continue;
        if (actions[sig].handler == SIG_DFL || sig == SIGKILL)
            proc_kill(sig, "it has no handler");
        struct linux_siginfo info = {.signo = sig, .code = code};
        info.kill.pid = PROGRAM_PID;
        if (after_syscall && (long)arch_regs_return(r) == -EINTR &&
            (actions[sig].flags & SA_RESTART) && restartable(arch_regs_syscall_nr(r)))
            arch_regs_restart_syscall(r);
        if (!handler_runner || !handler_runner(r, sig, &info))
            proc_kill(SIGSEGV, "no room on the stack for a signal frame");
        return; /* one frame at a time: the next waits for this handler's return */
    }
}

void signal_deliver(struct arch_regs *r, bool after_syscall)
{
    deliver_one(r, after_syscall);
    if (current->sig_restore) { /* no handler ran: the wait's mask ends here */
        current->sig_blocked = current->sig_saved;
        current->sig_restore = false;
    }
}

bool signal_fault(struct arch_regs *r, int sig, int code, uintptr_t addr)
{
    void *h = actions[sig].handler;
    if (h == SIG_DFL || h == SIG_IGN || (current->sig_blocked & sigbit(sig)))
        return false; /* Linux too kills a thread that blocks or ignores its own fault */
    struct linux_siginfo info = {.signo = sig, .code = code};
    info.addr = (void *)addr;
    return handler_runner && handler_runner(r, sig, &info);
}

long signal_wait_mask(const uint64_t *umask, size_t setsize)
{
    if (!umask)
        return 0;
    if (setsize != sizeof(uint64_t))
        return -EINVAL;
    if (!user_readable(umask, sizeof(*umask)))
        return -EFAULT;
    current->sig_saved = current->sig_blocked;
    current->sig_restore = true;
    current->sig_blocked = *umask & ~unblockable();
    return 0;
}

/* ---- system calls --------------------------------------------------------------- */

/* Sleeps until a signal the thread does not block is pending: -EINTR, as
   pause and sigsuspend always return. */
static long sleep_for_signal(void)
{
    while (sched_sleep(0) != -EINTR)
        ;
    return -EINTR;
}

SYSCALL_DEFINE0(pause)
{
    return sleep_for_signal();
}

/* The mask holds while waiting; the old one is back once a handler ran. */
SYSCALL_DEFINE2(rt_sigsuspend, const uint64_t *, mask, size_t, setsize)
{
    long rc = signal_wait_mask(mask, setsize);
    return rc ? rc : sleep_for_signal();
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
    if (act) {
        handler_runner = run_handler;
        actions[sig] = *act;
        if (ignored(sig)) /* pending ones are dropped, as Linux does */
            current->sig_pending &= ~sigbit(sig);
    }
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

SYSCALL_DEFINE2(rt_sigpending, uint64_t *, set, unsigned long, setsize)
{
    if (setsize != sizeof(uint64_t))
        return -EINVAL;
    if (!user_writable(set, sizeof(*set)))
        return -EFAULT;
    *set = current->sig_pending & current->sig_blocked;
    return 0;
}

SYSCALL_DEFINE2(sigaltstack, const struct linux_stack *, ss, struct linux_stack *, old)
{
    struct thread *t = current;
    if (ss && !user_readable(ss, sizeof(*ss)))
        return -EFAULT;
    if (old && !user_writable(old, sizeof(*old)))
        return -EFAULT;
    struct linux_stack prev = {(void *)t->sigalt_sp, t->sigalt_flags, t->sigalt_size};
    if (!t->sigalt_size)
        prev.flags = SS_DISABLE;
    if (ss) {
        if (ss->flags & ~(SS_DISABLE | SS_ONSTACK))
            return -EINVAL;
        if (!(ss->flags & SS_DISABLE) && ss->size < MINSIGSTKSZ)
            return -ENOMEM;
        t->sigalt_sp = (uintptr_t)ss->sp;
        t->sigalt_size = ss->flags & SS_DISABLE ? 0 : ss->size;
        t->sigalt_flags = ss->flags & SS_DISABLE;
    }
    if (old)
        *old = prev;
    return 0;
}

SYSCALL_DEFINE0(rt_sigreturn)
{
    struct arch_regs *r = arch_regs_at(current->kstack_top);
    struct linux_stack alt;
    uint64_t mask;
    if (!sigframe_restore(r, &mask, &alt))
        proc_kill(SIGSEGV, "rt_sigreturn with no signal frame on the stack");
    current->sig_blocked = mask & ~unblockable();
    /* The registers are the frame's now, the return value register too:
       the dispatcher stores this result there, so give back what it holds. */
    return (long)arch_regs_return(r);
}

void proc_signal(int sig)
{
    if (sig > 0 && sig <= NSIG && sig != SIGKILL && sig != SIGSTOP)
        send_to_process(sig);
}

void proc_signal_self(int sig)
{
    if (sig > 0 && sig <= NSIG && !current->is_kthread)
        send_signal(current, sig);
}

void proc_signal_timer(int tid, int sig)
{
    if (sig <= 0 || sig > NSIG || sig == SIGKILL || sig == SIGSTOP)
        return;
    struct thread *t = tid ? thread_find(tid) : NULL;
    if (!t)
        t = process_target(sig);
    if (!t || ignored(sig))
        return;
    t->sig_timer |= sigbit(sig);
    send_signal(t, sig);
}

/* sigwaitinfo and sigtimedwait: takes a signal of set, blocked or not,
 * waiting for one until the timeout (NULL: for ever). */
SYSCALL_DEFINE4(rt_sigtimedwait, const uint64_t *, uset, struct linux_siginfo *, uinfo,
                const struct linux_timespec *, timeout, size_t, setsize)
{
    if (setsize != sizeof(uint64_t))
        return -EINVAL;
    if (!user_readable(uset, sizeof(*uset)) || (uinfo && !user_writable(uinfo, sizeof(*uinfo))))
        return -EFAULT;
    uint64_t set = *uset & ~unblockable(), deadline = 0;
    if (timeout) {
        if (!user_readable(timeout, sizeof(*timeout)))
            return -EFAULT;
        if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000)
            return -EINVAL;
        deadline = clock_monotonic_ns() + (uint64_t)timeout->tv_sec * 1000000000 +
                   (uint64_t)timeout->tv_nsec + 1;
    }
    struct thread *t = current;
    long rc = 0;
    t->sig_waiting = set;
    while (!(t->sig_pending & set) && rc == 0)
        rc = sched_sleep(deadline);
    t->sig_waiting = 0;
    uint64_t ready = t->sig_pending & set;
    if (!ready)
        return rc == -ETIMEDOUT ? -EAGAIN : rc;
    int sig = __builtin_ctzll(ready) + 1;
    struct linux_siginfo info = {.signo = sig, .code = take_pending(t, sig)};
    if (info.code != SI_TIMER)
        info.kill.pid = PROGRAM_PID;
    if (uinfo)
        memcpy(uinfo, &info, sizeof(info));
    return sig;
}

static long check_signal(int sig)
{
    return sig < 0 || sig > NSIG ? -EINVAL : 0;
}

SYSCALL_DEFINE2(kill, int, pid, int, sig)
{
    long rc = check_signal(sig);
    if (rc)
        return rc;
    if (pid != PROGRAM_PID && pid != 0 && pid != -1)
        return -ESRCH;
    if (sig)
        send_to_process(sig);
    return 0;
}

SYSCALL_DEFINE3(tgkill, int, tgid, int, tid, int, sig)
{
    long rc = check_signal(sig);
    if (rc)
        return rc;
    struct thread *t = thread_find(tid);
    if (tgid != PROGRAM_PID || !t)
        return -ESRCH;
    if (sig)
        send_signal(t, sig);
    return 0;
}

SYSCALL_DEFINE2(tkill, int, tid, int, sig)
{
    long rc = check_signal(sig);
    if (rc)
        return rc;
    struct thread *t = thread_find(tid);
    if (!t)
        return -ESRCH;
    if (sig)
        send_signal(t, sig);
    return 0;
}
