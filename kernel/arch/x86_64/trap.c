/*
 * CPU exceptions. A page fault inside a mapped area is demand paging; any
 * other exception raised by the program ends it the way Linux's default
 * signal action would, after a report naming the fault; one raised by the
 * kernel itself is a panic.
 */
#include "arch.h"
#include "arch_regs.h"
#include "irq.h"
#include "lib.h"
#include "proc.h"
#include "sched.h"
#include "signal.h"
#include "smp.h"
#include "syscalls.h"
#include "vm.h"
#include "x86.h"

#define SIGILL  4
#define SIGTRAP 5
#define SIGBUS  7
#define SIGFPE  8
#define SIGSEGV 11

static const char *const exception_names[32] = {
    [0] = "divide error",
    [1] = "debug",
    [2] = "NMI",
    [3] = "breakpoint",
    [4] = "overflow",
    [5] = "bound range exceeded",
    [6] = "invalid opcode",
    [7] = "FPU not available",
    [8] = "double fault",
    [10] = "invalid TSS",
    [11] = "segment not present",
    [12] = "stack fault",
    [13] = "general protection fault",
    [14] = "page fault",
    [16] = "x87 floating-point error",
    [17] = "alignment check",
    [18] = "machine check",
    [19] = "SIMD floating-point error",
};

static int exception_signal(uint64_t vector)
{
    switch (vector) {
    case 0:
    case 16:
    case 19:
        return SIGFPE;
    case 1:
    case 3:
        return SIGTRAP;
    case 6:
        return SIGILL;
    case 17:
        return SIGBUS;
    default:
        return SIGSEGV;
    }
}

/* siginfo's si_code for the fault: SEGV_MAPERR or SEGV_ACCERR for page
 * faults, the first code of each other signal (FPE_INTDIV, ILL_ILLOPC...). */
static int fault_code(const struct trap_frame *tf)
{
    if (tf->vector == 14)
        return tf->error & 1 ? 2 : 1;
    return 1;
}

static void dump_registers(const struct trap_frame *tf)
{
    kprintf("unikit:   rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", tf->rax, tf->rbx, tf->rcx,
            tf->rdx);
    kprintf("unikit:   rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", tf->rsi, tf->rdi, tf->rbp,
            tf->rsp);
    kprintf("unikit:   r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", tf->r8, tf->r9, tf->r10,
            tf->r11);
    kprintf("unikit:   r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", tf->r12, tf->r13, tf->r14,
            tf->r15);
    kprintf("unikit:   rflags %016lx error %lx\n", tf->rflags, tf->error);
}

static void describe_fault(const struct trap_frame *tf, char *buf, size_t size)
{
    const char *name = exception_names[tf->vector & 31];
    if (!name)
        name = "exception";
    if (tf->vector != 14) {
        snprintf(buf, size, "%s (vector %lu)", name, tf->vector);
        return;
    }
    const char *access = tf->error & 16 ? "executing" : tf->error & 2 ? "writing" : "reading";
    const char *why = tf->error & 1 ? "protection violation" : "no mapping";
    snprintf(buf, size, "page fault %s address 0x%lx (%s)", access, read_cr2(), why);
}

static void report_location(uint64_t rip)
{
    const char *sym;
    uintptr_t off;
    if (proc_symbol(rip, &sym, &off))
        kprintf("unikit:   at rip 0x%lx <%s+0x%lx>\n", rip, sym, off);
    else
        kprintf("unikit:   at rip 0x%lx\n", rip);
}

static void handle_trap(struct trap_frame *tf)
{
    char what[128];

    if (tf->vector == 14) {
        int access = tf->error & 16 ? VM_EXEC : tf->error & 2 ? VM_WRITE : VM_READ;
        if (vm_handle_fault(read_cr2(), access))
            return;
    }
    describe_fault(tf, what, sizeof(what));
    if (tf->rip >= KERNEL_VMA) {
        kprintf("unikit: kernel fault: %s at rip 0x%lx\n", what, tf->rip);
        dump_registers(tf);
        panic("fault in the kernel");
    }
    bool past_file_end = tf->vector == 14 && vm_past_file_end(read_cr2());
    int sig = past_file_end ? SIGBUS : exception_signal(tf->vector);
    if (signal_fault((struct arch_regs *)tf, sig, past_file_end ? BUS_ADRERR : fault_code(tf),
                     tf->vector == 14 ? read_cr2() : tf->rip))
        return;
    kprintf("unikit: program crashed: %s\n", what);
    report_location(tf->rip);
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

/* ---- system calls and interrupts (entry.S) ---------------------------------- */

_Static_assert(sizeof(struct trap_frame) == sizeof(struct arch_regs), "one frame layout");

void x86_syscall(struct arch_regs *r)
{
    struct syscall_args args = {
        .nr = (long)r->rax,
        .a = {(long)r->rdi, (long)r->rsi, (long)r->rdx, (long)r->r10, (long)r->r8, (long)r->r9},
    };
    kernel_lock();
    r->error = r->rax; /* the number, should a signal handler make it restart */
    r->rax = (uint64_t)syscall_dispatch(&args);
    signal_deliver(r, true);
    kernel_unlock();
}

/* Nonzero: the interrupted program gives up the CPU (entry.S calls x86_preempt). */
int x86_irq(struct arch_regs *r)
{
    if (r->vector == VECTOR_SPURIOUS)
        return 0; /* no EOI */
    if (r->vector == VECTOR_TLB_FLUSH) {
        tlb_flush_answer();
        lapic_eoi();
        return 0;
    }
    kernel_lock();
    lapic_eoi();
    if (r->vector == VECTOR_TIMER)
        timer_interrupt();
    else if (r->vector >= VECTOR_IRQ_BASE && r->vector <= VECTOR_IRQ_MAX)
        irq_dispatch((unsigned)(r->vector - VECTOR_IRQ_BASE));
    /* VECTOR_KICK: coming in was the point. */
    if (r->rip < KERNEL_VMA) {
        if (sched_preempt_pending())
            return 1; /* x86_preempt() lets the lock go */
        signal_deliver(r, false);
    } else if (r->rip == (uintptr_t)x86_wait_woken) {
        r->rflags &= ~RFLAGS_IF; /* arch_wait (entry.S) */
    }
    kernel_unlock();
    return 0;
}

void x86_preempt(struct arch_regs *r)
{
    sched_preempt();
    signal_deliver(r, false);
    kernel_unlock();
}
