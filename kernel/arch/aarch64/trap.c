/*
 * Synchronous exceptions. `svc #0` from the program is a system call
 * (x8 the number, x0-x5 the arguments, x0 the result); an abort inside a
 * mapped area is demand paging; anything else the program raises ends it
 * as Linux's default signal action would, and anything the kernel raises
 * is a panic.
 */
#include "a64.h"
#include "arch.h"
#include "lib.h"
#include "proc.h"
#include "signal.h"
#include "smp.h"
#include "syscalls.h"
#include "vm.h"

#define EC_UNKNOWN     0x00
#define EC_SVC64       0x15
#define EC_IABT_SAME   0x21
#define EC_PC_ALIGN    0x22
#define EC_DABT_SAME   0x25
#define EC_SP_ALIGN    0x26
#define EC_FP_EXC      0x2c
#define EC_BRK         0x3c
#define SPSR_MODE_MASK 0xf

#define SIGILL  4
#define SIGTRAP 5
#define SIGBUS  7
#define SIGFPE  8
#define SIGSEGV 11

static unsigned exception_class(const struct trap_frame *tf)
{
    return (unsigned)(tf->esr >> 26) & 0x3f;
}

static bool from_program(const struct trap_frame *tf)
{
    return (tf->spsr & SPSR_MODE_MASK) == SPSR_MODE_EL1T;
}

static void do_syscall(struct trap_frame *tf)
{
    struct syscall_args args = {
        .nr = (long)tf->x[8],
        .a = {(long)tf->x[0], (long)tf->x[1], (long)tf->x[2], (long)tf->x[3], (long)tf->x[4],
              (long)tf->x[5]},
    };
    tf->far = tf->x[0]; /* the first argument, should a signal handler make it restart */
    tf->x[0] = (uint64_t)syscall_dispatch(&args);
    signal_deliver((struct arch_regs *)tf, true);
}

/* Data and instruction aborts: translation faults in an area are demand
 * paging; a permission fault may be the first store to a shared file page
 * kept read-only to notice it (vm.c). */
static bool handle_abort(const struct trap_frame *tf)
{
    unsigned ec = exception_class(tf);
    unsigned fsc = tf->esr & 0x3f;
    bool translation = (fsc & 0x3c) == 0x04, permission = (fsc & 0x3c) == 0x0c;
    if (!translation && !permission)
        return false;
    int access = ec == EC_IABT_SAME ? VM_EXEC : (tf->esr & (1 << 6)) ? VM_WRITE : VM_READ;
    return vm_handle_fault(tf->far, access);
}

static int exception_signal(unsigned ec)
{
    switch (ec) {
    case EC_UNKNOWN:
        return SIGILL;
    case EC_PC_ALIGN:
    case EC_SP_ALIGN:
        return SIGBUS;
    case EC_FP_EXC:
        return SIGFPE;
    case EC_BRK:
        return SIGTRAP;
    default:
        return SIGSEGV;
    }
}

/* siginfo's si_code: SEGV_MAPERR or SEGV_ACCERR for aborts, else the first code. */
static int fault_code(const struct trap_frame *tf)
{
    unsigned ec = exception_class(tf);
    if (ec == EC_DABT_SAME || ec == EC_IABT_SAME)
        return ((tf->esr & 0x3c) == 0x04) ? 1 : 2;
    return 1;
}

static void describe(const struct trap_frame *tf, char *buf, size_t size)
{
    unsigned ec = exception_class(tf);
    if (ec == EC_DABT_SAME || ec == EC_IABT_SAME) {
        unsigned fsc = tf->esr & 0x3f;
        const char *access = ec == EC_IABT_SAME     ? "executing"
                             : (tf->esr & (1 << 6)) ? "writing"
                                                    : "reading";
        const char *why = (fsc & 0x3c) == 0x04 ? "no mapping" : "protection violation";
        snprintf(buf, size, "page fault %s address 0x%lx (%s)", access, tf->far, why);
    } else if (ec == EC_UNKNOWN) {
        snprintf(buf, size, "undefined instruction");
    } else {
        snprintf(buf, size, "exception class 0x%x (ESR 0x%lx)", ec, tf->esr);
    }
}

static void dump_registers(const struct trap_frame *tf)
{
    for (int i = 0; i < 30; i += 3)
        kprintf("unikit:   x%-2d %016lx x%-2d %016lx x%-2d %016lx\n", i, tf->x[i], i + 1,
                tf->x[i + 1], i + 2, tf->x[i + 2]);
    kprintf("unikit:   x30 %016lx sp  %016lx pstate %lx esr %lx\n", tf->x[30], tf->sp, tf->spsr,
            tf->esr);
}

_Static_assert(sizeof(struct trap_frame) == sizeof(struct arch_regs), "one frame layout");

static void handle_trap(struct trap_frame *tf)
{
    unsigned ec = exception_class(tf);
    char what[128];
    const char *sym;
    uintptr_t off;

    if (ec == EC_SVC64 && from_program(tf)) {
        do_syscall(tf);
        return;
    }
    if ((ec == EC_DABT_SAME || ec == EC_IABT_SAME) && handle_abort(tf))
        return;
    describe(tf, what, sizeof(what));
    if (!from_program(tf)) {
        kprintf("unikit: kernel fault: %s at pc 0x%lx\n", what, tf->elr);
        dump_registers(tf);
        panic("fault in the kernel");
    }
    bool abort = ec == EC_DABT_SAME || ec == EC_IABT_SAME;
    bool past_file_end = abort && vm_past_file_end(tf->far);
    int sig = past_file_end ? SIGBUS : exception_signal(ec);
    if (signal_fault((struct arch_regs *)tf, sig, past_file_end ? BUS_ADRERR : fault_code(tf),
                     tf->far))
        return;
    kprintf("unikit: program crashed: %s\n", what);
    if (proc_symbol(tf->elr, &sym, &off))
        kprintf("unikit:   at pc 0x%lx <%s+0x%lx>\n", tf->elr, sym, off);
    else
        kprintf("unikit:   at pc 0x%lx\n", tf->elr);
    dump_registers(tf);
    proc_kill(sig, what);
}

/* A fault may come from kernel code touching a program page, with the
 * kernel lock already held. */
void trap_dispatch(struct trap_frame *tf)
{
    bool taken = kernel_enter();
    handle_trap(tf);
    kernel_leave(taken);
}
