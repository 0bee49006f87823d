/*
 * What core code may ask of the CPU architecture (kernel/arch/ARCH/).
 */
#ifndef UNIKIT_ARCH_H
#define UNIKIT_ARCH_H

#include "arch_regs.h"
#include "types.h"

/* CPU set-up after boot: descriptor tables, traps, syscall entry, FPU/SSE. */
void arch_cpu_init(void);
/* Kernel page tables: the direct map of [0, ram_end) and the kernel image. */
void arch_paging_init(uintptr_t ram_end);

/* Device registers at physical address pa, uncached, reached through
 * phys_to_virt() afterwards (the direct map). */
void arch_map_mmio(uintptr_t pa, size_t size);

/* Program mappings in the lower half. prot uses VM_READ/VM_WRITE/VM_EXEC. */
int arch_map_page(uintptr_t va, uintptr_t pa, int prot);
/* Removes a mapping; returns its physical page, or 0 if none was mapped. */
uintptr_t arch_unmap_page(uintptr_t va);
void arch_protect_page(uintptr_t va, int prot);
bool arch_page_present(uintptr_t va);
/* True when the page is mapped and its entry allows access (VM_READ/VM_WRITE/VM_EXEC). */
bool arch_page_allows(uintptr_t va, int access);
/* The first page-aligned address in [va, end) that may be mapped, skipping
 * whole empty page tables; end when there is none. */
uintptr_t arch_next_mapped(uintptr_t va, uintptr_t end);

/* Jumps to the program with a clean register file; never returns. */
noreturn_fn void arch_enter_program(uintptr_t entry, uintptr_t sp);

/* ---- threads ----
 * Each thread has a kernel stack; entries from the program save its
 * registers (arch_regs.h) at the top of it. */
static inline struct arch_regs *arch_regs_at(uintptr_t kstack_top)
{
    return (struct arch_regs *)kstack_top - 1;
}
/* The kernel stack the next entry from the program lands on. */
void arch_set_kernel_stack(uintptr_t top);
/* Saves the running kernel context's callee-saved registers and stack
 * pointer in *save_sp and resumes the context saved at next_sp. */
void arch_switch(uintptr_t *save_sp, uintptr_t next_sp);
/* Prepares a fresh kernel stack: arch_switch to the returned stack
 * pointer calls start(arg), which must never return. */
uintptr_t arch_kstack_init(uintptr_t kstack_top, void (*start)(void *), void *arg);
/* Returns to the program with the registers saved at the top of the
 * current kernel stack. */
noreturn_fn void arch_return_to_program(void);
/* The program's floating-point and vector registers (the kernel uses none). */
extern size_t arch_fpu_state_size; /* bytes, at most ARCH_FPU_STATE_MAX */
#define ARCH_FPU_STATE_MAX 2048
void arch_fpu_save(void *state); /* state 64-byte aligned */
void arch_fpu_restore(const void *state);

/* ---- timer ----
 * One-shot: timer_interrupt() (sched.h) runs once the monotonic clock
 * passes deadline_ns; 0 cancels. */
void arch_timer_arm(uint64_t deadline_ns);
/* The thread pointer register (FS base on x86_64, TPIDR_EL0 on aarch64). */
void arch_set_tls(uintptr_t tp);
uintptr_t arch_get_tls(void);

/* A free-running cycle counter, and its rate once known (0 before). */
uint64_t arch_cycles(void);
/* Cycle counter value captured at the first kernel instruction. */
extern uint64_t arch_boot_cycles;

/* Hardware randomness when the CPU has it; false otherwise. */
bool arch_random64(uint64_t *out);

void arch_irq_disable(void);
void arch_irq_enable(void);
/* A CPU spinning for a lock: pause, and answer what other CPUs ask of it
 * that cannot wait for the lock (a TLB shootdown). */
void arch_cpu_relax(void);
/* With interrupts masked: unmasks them, waits for one, masks them again,
 * with no window for an interrupt to slip by before the wait. */
void arch_wait(void);

/* ---- more CPUs (smp.h) ---- */
struct cpu;
/* Starts the secondary CPU cpu->hwid: it sets itself up on the stack at
 * stack_top and calls smp_secondary_main(cpu). 0, or -1 when it cannot. */
int arch_cpu_start(struct cpu *cpu, uintptr_t stack_top);
/* Interrupts cpu (smp_kick()); the interrupt itself does nothing but
 * bring it into the kernel. */
void arch_ipi(struct cpu *cpu);
/* After program mappings were removed or narrowed: no CPU may go on using
 * the old ones once this returns (x86: shootdown by IPI; aarch64's
 * broadcast TLB maintenance needs nothing more). */
void arch_tlb_sync(void);

/* CPU feature bits as the program sees them in AT_HWCAP. */
unsigned long arch_hwcap(void);
/* Platform string for AT_PLATFORM and uname machine. */
const char *arch_name(void);

#endif
