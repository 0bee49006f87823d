/*
 * Linux's aarch64 signal frame: struct rt_sigframe (siginfo, then the
 * ucontext whose sigcontext holds the registers and, in its reserved
 * area, an fpsimd record and an end marker), with a frame record above it
 * for unwinders. The handler returns to x30: the libc's restorer when it
 * gives one, else a two-instruction trampoline in the kernel's text, which
 * the program can run since it runs at EL1 (Linux uses its vDSO there).
 */
#include "arch.h"
#include "lib.h"
#include "signal.h"
#include "syscalls.h"
#include "vm.h"

#define FPSIMD_MAGIC 0x46508001u
#define NZCV_MASK    0xf0000000ull

struct fpsimd_record {
    uint32_t magic, size;
    uint32_t fpsr, fpcr;
    uint64_t vregs[64]; /* q0-q31 */
};

struct a64_sigcontext {
    uint64_t fault_address;
    uint64_t regs[31];
    uint64_t sp, pc, pstate;
    uint8_t reserved[4096] __attribute__((aligned(16)));
};

struct a64_ucontext {
    uint64_t flags, link;
    struct linux_stack stack;
    uint64_t sigmask;
    uint8_t pad[1024 / 8 - sizeof(uint64_t)];
    struct a64_sigcontext mcontext;
};

struct rt_sigframe {
    struct linux_siginfo info;
    struct a64_ucontext uc;
};

struct frame_record {
    uint64_t fp, lr;
};

/* The layout arch_fpu_save uses: q0-q31, FPSR, FPCR. */
struct fpu_state {
    uint64_t q[64];
    uint64_t fpsr, fpcr;
};

extern char a64_sigreturn_trampoline[];
__asm__(".text\n"
        ".globl a64_sigreturn_trampoline\n"
        "a64_sigreturn_trampoline:\n"
        "    mov x8, #139\n" /* rt_sigreturn */
        "    svc #0\n");

uintptr_t sigframe_stack_below(const struct arch_regs *r)
{
    return r->sp; /* no red zone on aarch64 */
}

static void save_fpsimd(struct fpsimd_record *rec)
{
    static struct fpu_state fs __attribute__((aligned(64)));
    arch_fpu_save(&fs);
    rec->magic = FPSIMD_MAGIC;
    rec->size = sizeof(*rec);
    rec->fpsr = (uint32_t)fs.fpsr;
    rec->fpcr = (uint32_t)fs.fpcr;
    memcpy(rec->vregs, fs.q, sizeof(fs.q));
}

static void restore_fpsimd(const struct fpsimd_record *rec)
{
    static struct fpu_state fs __attribute__((aligned(64)));
    if (rec->magic != FPSIMD_MAGIC || rec->size != sizeof(*rec))
        return;
    memcpy(fs.q, rec->vregs, sizeof(fs.q));
    fs.fpsr = rec->fpsr;
    fs.fpcr = rec->fpcr;
    arch_fpu_restore(&fs);
}

bool sigframe_setup(struct arch_regs *r, int sig, const struct linux_siginfo *info,
                    const struct linux_sigaction *act, uint64_t old_mask, uintptr_t sp,
                    const struct linux_stack *old_alt)
{
    struct frame_record *rec = (struct frame_record *)((sp - sizeof(*rec)) & ~15UL);
    struct rt_sigframe *f = (struct rt_sigframe *)(((uintptr_t)rec - sizeof(*f)) & ~15UL);
    if (!vm_prefault((uintptr_t)f, sp - (uintptr_t)f, VM_WRITE))
        return false;
    memset(f, 0, sizeof(*f));
    f->info = *info;
    f->uc.stack = *old_alt;
    f->uc.sigmask = old_mask;
    struct a64_sigcontext *c = &f->uc.mcontext;
    c->fault_address = r->far;
    memcpy(c->regs, r->x, sizeof(c->regs));
    c->sp = r->sp;
    c->pc = r->elr;
    c->pstate = r->spsr;
    save_fpsimd((struct fpsimd_record *)c->reserved); /* then a zero end marker */
    rec->fp = r->x[29];
    rec->lr = r->x[30];
    r->x[0] = (uint64_t)sig;
    r->x[1] = (uintptr_t)&f->info;
    r->x[2] = (uintptr_t)&f->uc;
    r->x[29] = (uintptr_t)rec;
    r->x[30] = (act->flags & SA_RESTORER) && act->restorer ? (uintptr_t)act->restorer
                                                           : (uintptr_t)a64_sigreturn_trampoline;
    r->sp = (uintptr_t)f;
    r->elr = (uintptr_t)act->handler;
    return true;
}

bool sigframe_restore(struct arch_regs *r, uint64_t *mask, struct linux_stack *alt)
{
    const struct rt_sigframe *f = (const struct rt_sigframe *)r->sp;
    if ((r->sp & 15) || !user_readable(f, sizeof(*f)))
        return false;
    const struct a64_sigcontext *c = &f->uc.mcontext;
    memcpy(r->x, c->regs, sizeof(r->x));
    r->sp = c->sp;
    r->elr = c->pc;
    r->spsr = (r->spsr & ~NZCV_MASK) | (c->pstate & NZCV_MASK);
    restore_fpsimd((const struct fpsimd_record *)c->reserved);
    *mask = f->uc.sigmask;
    *alt = f->uc.stack;
    return true;
}
