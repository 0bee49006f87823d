/*
 * x86_64 with more CPUs: starting them (INIT, then startup IPIs at the
 * trampoline in ap_start.S), interrupting them, and TLB shootdown.
 *
 * Only the CPU holding the kernel lock changes program mappings, so one
 * shootdown at a time: it sets each other CPU's flag and interrupts it,
 * then waits for the flags to clear. A CPU answers from the interrupt
 * without taking the lock, or from its spin for the lock (arch_cpu_relax),
 * since the holder it waits for is the one asking.
 */
#include "arch.h"
#include "lib.h"
#include "mm.h"
#include "smp.h"
#include "x86.h"

#define ICR_FIXED        0x00000
#define ICR_INIT         0x00500
#define ICR_STARTUP      0x00600
#define ICR_LEVEL_ASSERT 0x04000

struct ap_params {
    uint64_t page_table, stack, cpu_arch, cpu, kernel_cr3, entry;
};

extern const char ap_trampoline[], ap_trampoline_end[], ap_params[];
extern uint64_t boot_pml4[512];
noreturn_fn void x86_ap_main(void *cpu_arch, struct cpu *cpu, uint64_t cr3);

static struct ap_params *trampoline_install(void)
{
    static bool installed;
    if (!installed) {
        memcpy(phys_to_virt(AP_BASE), ap_trampoline, (size_t)(ap_trampoline_end - ap_trampoline));
        /* The kernel's top-level table, with the direct map's first GiB
           also at 0: the trampoline runs there while it turns paging on. */
        uint64_t *pml4 = phys_to_virt(AP_PAGE_TABLE);
        memcpy(pml4, boot_pml4, PAGE_SIZE);
        pml4[0] = boot_pml4[256];
        installed = true;
    }
    return phys_to_virt(AP_BASE + (uintptr_t)(ap_params - ap_trampoline));
}

int arch_cpu_start(struct cpu *cpu, uintptr_t stack_top)
{
    void *ca = x86_cpu_arch_alloc(cpu->index);
    if (!ca)
        return -1;
    struct ap_params *p = trampoline_install();
    *p = (struct ap_params){
        .page_table = AP_PAGE_TABLE,
        .stack = stack_top,
        .cpu_arch = (uintptr_t)ca,
        .cpu = (uintptr_t)cpu,
        .kernel_cr3 = read_cr3(),
        .entry = (uintptr_t)x86_ap_main,
    };
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t id = (uint32_t)cpu->hwid;
    lapic_send(id, ICR_INIT | ICR_LEVEL_ASSERT);
    /* Two startup IPIs, as the MP specification asks; a CPU already
       running ignores the second. */
    lapic_send(id, ICR_STARTUP | (AP_BASE >> 12));
    lapic_send(id, ICR_STARTUP | (AP_BASE >> 12));
    return 0;
}

void arch_ipi(struct cpu *cpu)
{
    lapic_send((uint32_t)cpu->hwid, ICR_FIXED | VECTOR_KICK);
}

void tlb_flush_answer(void)
{
    struct percpu *me = this_percpu();
    if (__atomic_load_n(&me->tlb_flush, __ATOMIC_ACQUIRE)) {
        write_cr3(read_cr3());
        __atomic_store_n(&me->tlb_flush, 0, __ATOMIC_RELEASE);
    }
}

void arch_tlb_sync(void)
{
    struct cpu *self = this_cpu();
    if (cpu_count == 1)
        return;
    for (unsigned i = 0; i < cpu_count; i++) {
        if (i == self->index)
            continue;
        __atomic_store_n(&x86_percpus[i]->tlb_flush, 1, __ATOMIC_RELEASE);
        lapic_send((uint32_t)cpus[i].hwid, ICR_FIXED | VECTOR_TLB_FLUSH);
    }
    for (unsigned i = 0; i < cpu_count; i++)
        while (i != self->index && __atomic_load_n(&x86_percpus[i]->tlb_flush, __ATOMIC_ACQUIRE))
            __asm__ volatile("pause");
}
