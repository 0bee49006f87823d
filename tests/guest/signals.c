// Signal state: rt_sigaction rt_sigprocmask sigaltstack, with EINVAL,
// ENOMEM and EFAULT. No signal is delivered here; this checks bookkeeping.
#include "guest.h"
#include <signal.h>

/* The kernel's sigset is 64 bits; musl's sigset_t is bigger. */
#define KSIGSET 8L

static void on_usr1(int sig)
{
    (void)sig;
}

static void test_sigaction(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    memset(&old, 0, sizeof old);
    want("query SIGUSR1", sigaction(SIGUSR1, NULL, &old), 0);
    check("SIGUSR1 default", old.sa_handler == SIG_DFL);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    want("install SIGUSR1", sigaction(SIGUSR1, &sa, NULL), 0);
    memset(&old, 0, sizeof old);
    want("read back SIGUSR1", sigaction(SIGUSR1, NULL, &old), 0);
    check("handler kept", old.sa_handler == on_usr1);
    check("SA_RESTART kept", (old.sa_flags & SA_RESTART) != 0);
    check("mask kept", sigismember(&old.sa_mask, SIGUSR2) == 1);
    sa.sa_handler = SIG_IGN;
    want("ignore SIGUSR1", sigaction(SIGUSR1, &sa, &old), 0);
    check("old was handler", old.sa_handler == on_usr1);
    sigaction(SIGUSR1, NULL, &old);
    check("now ignored", old.sa_handler == SIG_IGN);

    want("set SIGKILL", sigaction(SIGKILL, &sa, NULL), EINVAL);
    want("set SIGSTOP", sigaction(SIGSTOP, &sa, NULL), EINVAL);
    want("query SIGKILL", sigaction(SIGKILL, NULL, &old), 0);
    /* Raw calls: musl would catch some of these before the kernel. */
    want("rt_sigaction signal 0", syscall(SYS_rt_sigaction, 0L, NULL, &old, KSIGSET), EINVAL);
    want("rt_sigaction signal 65", syscall(SYS_rt_sigaction, 65L, NULL, &old, KSIGSET), EINVAL);
    want("rt_sigaction bad sigsetsize", syscall(SYS_rt_sigaction, (long)SIGUSR1, NULL, &old, 4L),
         EINVAL);
    want("rt_sigaction bad pointer",
         syscall(SYS_rt_sigaction, (long)SIGUSR1, BAD_LOW, NULL, KSIGSET), EFAULT);
}

static int has(unsigned long long set, int sig)
{
    return (int)((set >> (sig - 1)) & 1);
}

static void test_sigprocmask(void)
{
    unsigned long long set = 1ULL << (SIGUSR1 - 1), old = ~0ULL, cur = 0;
    want("block SIGUSR1", syscall(SYS_rt_sigprocmask, (long)SIG_BLOCK, &set, &old, KSIGSET), 0);
    check("was not blocked", !has(old, SIGUSR1));
    syscall(SYS_rt_sigprocmask, (long)SIG_BLOCK, NULL, &cur, KSIGSET);
    check("now blocked", has(cur, SIGUSR1));
    set = 1ULL << (SIGUSR2 - 1);
    want("setmask SIGUSR2", syscall(SYS_rt_sigprocmask, (long)SIG_SETMASK, &set, &old, KSIGSET), 0);
    check("old had SIGUSR1", has(old, SIGUSR1));
    syscall(SYS_rt_sigprocmask, (long)SIG_SETMASK, NULL, &cur, KSIGSET);
    check("mask is SIGUSR2 only", has(cur, SIGUSR2) && !has(cur, SIGUSR1));
    want("unblock SIGUSR2", syscall(SYS_rt_sigprocmask, (long)SIG_UNBLOCK, &set, NULL, KSIGSET), 0);
    syscall(SYS_rt_sigprocmask, (long)SIG_SETMASK, NULL, &cur, KSIGSET);
    check("SIGUSR2 unblocked", !has(cur, SIGUSR2));
    /* SIGKILL and SIGSTOP cannot be blocked: the kernel drops them silently. */
    set = (1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1));
    want("block SIGKILL", syscall(SYS_rt_sigprocmask, (long)SIG_BLOCK, &set, NULL, KSIGSET), 0);
    syscall(SYS_rt_sigprocmask, (long)SIG_SETMASK, NULL, &cur, KSIGSET);
    check("SIGKILL not blocked", !has(cur, SIGKILL) && !has(cur, SIGSTOP));
    want("sigprocmask bad how", syscall(SYS_rt_sigprocmask, 99L, &set, NULL, KSIGSET), EINVAL);
    want("sigprocmask bad sigsetsize", syscall(SYS_rt_sigprocmask, (long)SIG_BLOCK, &set, NULL, 4L),
         EINVAL);
    want("sigprocmask bad pointer",
         syscall(SYS_rt_sigprocmask, (long)SIG_BLOCK, BAD_KERNEL, NULL, KSIGSET), EFAULT);
}

static void test_sigaltstack(void)
{
    static char stack_mem[64 * 1024];
    stack_t ss, old;
    memset(&old, 0, sizeof old);
    want("query altstack", syscall(SYS_sigaltstack, NULL, &old), 0);
    check("initially disabled", (old.ss_flags & SS_DISABLE) != 0);
    ss.ss_sp = stack_mem;
    ss.ss_size = sizeof stack_mem;
    ss.ss_flags = 0;
    want("set altstack", syscall(SYS_sigaltstack, &ss, NULL), 0);
    memset(&old, 0, sizeof old);
    syscall(SYS_sigaltstack, NULL, &old);
    check("altstack kept",
          old.ss_sp == stack_mem && old.ss_size == sizeof stack_mem && old.ss_flags == 0);
    ss.ss_size = 1024;
    want("altstack too small", syscall(SYS_sigaltstack, &ss, NULL), ENOMEM);
    ss.ss_size = sizeof stack_mem;
    ss.ss_flags = 0x1234;
    want("altstack bad flags", syscall(SYS_sigaltstack, &ss, NULL), EINVAL);
    want("altstack bad pointer", syscall(SYS_sigaltstack, BAD_LOW, NULL), EFAULT);
    ss.ss_flags = SS_DISABLE;
    want("disable altstack", syscall(SYS_sigaltstack, &ss, NULL), 0);
    syscall(SYS_sigaltstack, NULL, &old);
    check("disabled again", (old.ss_flags & SS_DISABLE) != 0);
}

int main(void)
{
    test_sigaction();
    test_sigprocmask();
    test_sigaltstack();
    return guest_done();
}
