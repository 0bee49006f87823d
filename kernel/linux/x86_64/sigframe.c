/*
 * Linux's x86_64 signal frame: what a handler finds on its stack, and what
 * rt_sigreturn reads back. struct rt_sigframe holds the return address
 * (the libc's restorer, which calls rt_sigreturn), the ucontext with the
 * interrupted registers and mask, and the siginfo; the FPU state (fxsave
 * format) sits above it, pointed to by the context.
 */
#include "lib.h"
#include "signal.h"
#include "syscalls.h"
#include "vm.h"

#define RED_ZONE    128
#define FXSAVE_SIZE 512
#define EFLAGS_DF   0x400
#define EFLAGS_TF   0x100
/* The flags a handler may change in its saved context (Linux's FIX_EFLAGS). */
#define EFLAGS_USER 0x50dd5

struct x86_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;
    uint64_t reserved[8];
};

struct x86_ucontext {
    uint64_t flags, link;
    struct linux_stack stack;
    struct x86_sigcontext mcontext;
    uint64_t sigmask;
};

struct rt_sigframe {
    uint64_t pretcode;
    struct x86_ucontext uc;
    struct linux_siginfo info;
};

uintptr_t sigframe_stack_below(const struct arch_regs *r)
{
    return r->rsp - RED_ZONE;
}

static void save_context(struct x86_sigcontext *c, const struct arch_regs *r)
{
    *c = (struct x86_sigcontext){
        .r8 = r->r8,
        .r9 = r->r9,
        .r10 = r->r10,
        .r11 = r->r11,
        .r12 = r->r12,
        .r13 = r->r13,
        .r14 = r->r14,
        .r15 = r->r15,
        .rdi = r->rdi,
        .rsi = r->rsi,
        .rbp = r->rbp,
        .rbx = r->rbx,
        .rdx = r->rdx,
        .rax = r->rax,
        .rcx = r->rcx,
        .rsp = r->rsp,
        .rip = r->rip,
        .eflags = r->rflags,
        .cs = (uint16_t)r->cs,
        .ss = (uint16_t)r->ss,
        .err = r->error,
        .trapno = r->vector,
    };
}

bool sigframe_setup(struct arch_regs *r, int sig, const struct linux_siginfo *info,
                    const struct linux_sigaction *act, uint64_t old_mask, uintptr_t sp,
                    const struct linux_stack *old_alt)
{
    if (!(act->flags & SA_RESTORER) || !act->restorer)
        return false; /* x86_64 has no vDSO trampoline here: libcs always give one */
    uintptr_t fx = (sp - FXSAVE_SIZE) & ~63UL;
    struct rt_sigframe *f = (struct rt_sigframe *)(((fx - sizeof(*f)) & ~15UL) - 8);
    if (!vm_prefault((uintptr_t)f, (uintptr_t)sp - (uintptr_t)f, VM_WRITE))
        return false;
    __asm__ volatile("fxsave64 (%0)" ::"r"(fx) : "memory");
    memset(f, 0, sizeof(*f));
    f->pretcode = (uintptr_t)act->restorer;
    f->uc.stack = *old_alt;
    save_context(&f->uc.mcontext, r);
    f->uc.mcontext.oldmask = old_mask;
    f->uc.mcontext.cr2 = (sig == SIGSEGV || sig == SIGBUS) ? (uintptr_t)info->addr : 0;
    f->uc.mcontext.fpstate = fx;
    f->uc.sigmask = old_mask;
    f->info = *info;
    r->rdi = (uint64_t)sig;
    r->rsi = (uintptr_t)&f->info;
    r->rdx = (uintptr_t)&f->uc;
    r->rax = 0;
    r->rsp = (uintptr_t)f;
    r->rip = (uintptr_t)act->handler;
    r->rflags &= ~(uint64_t)(EFLAGS_DF | EFLAGS_TF);
    return true;
}

bool sigframe_restore(struct arch_regs *r, uint64_t *mask, struct linux_stack *alt)
{
    /* The handler's return popped pretcode: the frame starts 8 bytes below. */
    const struct rt_sigframe *f = (const struct rt_sigframe *)(r->rsp - 8);
    if (!user_readable(f, sizeof(*f)))
        return false;
    const struct x86_sigcontext *c = &f->uc.mcontext;
    r->r8 = c->r8, r->r9 = c->r9, r->r10 = c->r10, r->r11 = c->r11;
    r->r12 = c->r12, r->r13 = c->r13, r->r14 = c->r14, r->r15 = c->r15;
    r->rdi = c->rdi, r->rsi = c->rsi, r->rbp = c->rbp, r->rbx = c->rbx;
    r->rdx = c->rdx, r->rax = c->rax, r->rcx = c->rcx, r->rsp = c->rsp, r->rip = c->rip;
    r->rflags = (r->rflags & ~(uint64_t)EFLAGS_USER) | (c->eflags & EFLAGS_USER);
    if (c->fpstate && !(c->fpstate & 15) && user_readable((void *)c->fpstate, FXSAVE_SIZE))
        __asm__ volatile("fxrstor64 (%0)" ::"r"(c->fpstate) : "memory");
    *mask = f->uc.sigmask;
    *alt = f->uc.stack;
    return true;
}
