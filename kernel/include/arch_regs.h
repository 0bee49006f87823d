/*
 * The program's registers as the kernel saves them on every entry from
 * the program (system call, interrupt), at the top of the running thread's
 * kernel stack. The Linux layer reads and edits them for clone and for
 * signal frames; the layout belongs to kernel/arch/ARCH/entry.S.
 */
#ifndef UNIKIT_ARCH_REGS_H
#define UNIKIT_ARCH_REGS_H

#include "types.h"

#if defined(__x86_64__)

struct arch_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

static inline void arch_regs_set_return(struct arch_regs *r, uint64_t v)
{
    r->rax = v;
}
static inline uint64_t arch_regs_return(const struct arch_regs *r)
{
    return r->rax;
}
static inline uint64_t arch_regs_sp(const struct arch_regs *r)
{
    return r->rsp;
}
static inline void arch_regs_set_sp(struct arch_regs *r, uint64_t sp)
{
    r->rsp = sp;
}
static inline uint64_t arch_regs_pc(const struct arch_regs *r)
{
    return r->rip;
}
/* Makes the program run its last system call again: back over the 2-byte
 * `syscall`, with the number the entry kept in the error slot. */
static inline long arch_regs_syscall_nr(const struct arch_regs *r)
{
    return (long)r->error;
}
static inline void arch_regs_restart_syscall(struct arch_regs *r)
{
    r->rip -= 2;
    r->rax = r->error;
}

#elif defined(__aarch64__)

struct arch_regs {
    uint64_t x[31];
    uint64_t sp; /* SP_EL0 */
    uint64_t elr, spsr, esr, far;
};

static inline void arch_regs_set_return(struct arch_regs *r, uint64_t v)
{
    r->x[0] = v;
}
static inline uint64_t arch_regs_return(const struct arch_regs *r)
{
    return r->x[0];
}
static inline uint64_t arch_regs_sp(const struct arch_regs *r)
{
    return r->sp;
}
static inline void arch_regs_set_sp(struct arch_regs *r, uint64_t sp)
{
    r->sp = sp;
}
static inline uint64_t arch_regs_pc(const struct arch_regs *r)
{
    return r->elr;
}
/* Makes the program run its last system call again: back over `svc #0`,
 * with the first argument the entry kept in far (unused by a system call). */
static inline long arch_regs_syscall_nr(const struct arch_regs *r)
{
    return (long)r->x[8];
}
static inline void arch_regs_restart_syscall(struct arch_regs *r)
{
    r->elr -= 4;
    r->x[0] = r->far;
}

#else
#error "unknown architecture"
#endif

#endif
