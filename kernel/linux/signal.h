/*
 * Signals between the generic Linux layer (signal.c) and the frame code of
 * each architecture (ARCH/sigframe.c), which alone knows the layout of
 * Linux's rt_sigframe there.
 */
#ifndef UNIKIT_LINUX_SIGNAL_H
#define UNIKIT_LINUX_SIGNAL_H

#include "arch_regs.h"
#include "types.h"

#define NSIG     64
#define SIGILL   4
#define SIGTRAP  5
#define SIGABRT  6
#define SIGBUS   7
#define SIGFPE   8
#define SIGKILL  9
#define SIGSEGV  11
#define SIGPIPE  13
#define SIGCHLD  17
#define SIGCONT  18
#define SIGSTOP  19
#define SIGTSTP  20
#define SIGTTIN  21
#define SIGTTOU  22
#define SIGURG   23
#define SIGWINCH 28

#define BUS_ADRERR 2 /* si_code of a touch past the end of a mapped file */

#define SA_SIGINFO   0x00000004
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000
#define SA_RESTORER  0x04000000

#define SS_ONSTACK 1
#define SS_DISABLE 2

#define SI_USER  0
#define SI_TKILL (-6)
#define SI_TIMER (-2)

#define SIG_DFL ((void *)0)
#define SIG_IGN ((void *)1)

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

/* The part of siginfo_t Linux fills for kill and for faults. */
struct linux_siginfo {
    int signo, err, code;
    int pad;
    union {
        struct {
            int pid;
            unsigned uid;
        } kill;
        void *addr;
        char bytes[112];
    };
};

/*
 * ARCH/sigframe.c: builds the frame for handler act on the program's stack
 * (sp: where it goes, the alternate stack or below the red zone), with
 * the registers r and the mask to restore on return; sets r to enter the
 * handler. false when the stack cannot hold it.
 */
bool sigframe_setup(struct arch_regs *r, int sig, const struct linux_siginfo *info,
                    const struct linux_sigaction *act, uint64_t old_mask, uintptr_t sp,
                    const struct linux_stack *old_alt);
/* rt_sigreturn: restores r and *mask from the frame at the program's sp;
 * false when the frame is unreadable. */
bool sigframe_restore(struct arch_regs *r, uint64_t *mask, struct linux_stack *alt);
/* The program's stack pointer when it entered the kernel, less any red zone. */
uintptr_t sigframe_stack_below(const struct arch_regs *r);

/* ppoll, pselect6, epoll_pwait: blocks *umask (when given) for the wait;
 * the old mask returns when the call does, after any handler it let run. */
long signal_wait_mask(const uint64_t *umask, size_t setsize);

/* For the architecture's traps and entry code (via proc.h's callers): */
/* Delivers a pending, unblocked signal before r returns to the program;
 * after_syscall: r holds a system call's result, which -EINTR and a
 * handler with SA_RESTART turn into running the call again. */
void signal_deliver(struct arch_regs *r, bool after_syscall);
/* A fault in the program: to its handler when it has one (true), else false. */
bool signal_fault(struct arch_regs *r, int sig, int code, uintptr_t addr);

#endif
