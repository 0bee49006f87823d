/*
 * aarch64 with more CPUs. TLB maintenance is already broadcast to every
 * CPU in the inner-shareable domain (paging.c), so no shootdown is needed.
 */
#include "arch.h"
#include "smp.h"

int arch_cpu_start(struct cpu *cpu, uintptr_t stack_top)
{
    (void)cpu;
    (void)stack_top;
    return -1;
}

void arch_ipi(struct cpu *cpu)
{
    (void)cpu;
}

void arch_tlb_sync(void)
{
}
