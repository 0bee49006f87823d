/*
 * What core code may ask of the CPU architecture (kernel/arch/ARCH/).
 */
#ifndef UNIKIT_ARCH_H
#define UNIKIT_ARCH_H

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
/* The first page-aligned address in [va, end) that may be mapped, skipping
 * whole empty page tables; end when there is none. */
uintptr_t arch_next_mapped(uintptr_t va, uintptr_t end);

/* Jumps to the program with a clean register file; never returns. */
noreturn_fn void arch_enter_program(uintptr_t entry, uintptr_t sp);
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
void arch_cpu_relax(void);
/* Waits for the next interrupt. */
void arch_wait(void);

/* CPU feature bits as the program sees them in AT_HWCAP. */
unsigned long arch_hwcap(void);
/* Platform string for AT_PLATFORM and uname machine. */
const char *arch_name(void);

#endif
