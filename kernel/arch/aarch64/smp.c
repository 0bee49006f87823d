/*
 * aarch64 with more CPUs: PSCI CPU_ON starts one at secondary_start
 * (boot.S), interrupts between CPUs are the GIC's (plat), and TLB
 * maintenance is already broadcast to every CPU in the inner-shareable
 * domain (paging.c), so no shootdown is needed.
 */
#include "a64.h"
#include "arch.h"
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "smp.h"

#define PSCI_CPU_ON 0xc4000003 /* SMC64 calling convention */

/* Read by secondary_start with the MMU off, then at its linked address. */
struct a64_ap_boot {
    uint64_t ttbr0, ttbr1, stack, ttbr0_program, percpu, cpu;
} a64_ap_boot __attribute__((aligned(64)));

_Static_assert(__builtin_offsetof(struct a64_ap_boot, cpu) == AP_BOOT_CPU, "boot.S offsets");

extern char secondary_start[];
extern uint64_t boot_tables[5][512];

static uint64_t image_phys(const void *p)
{
    return (uintptr_t)p - KERNEL_VMA;
}

/* QEMU's virt (and KVM) answer PSCI through HVC when the kernel starts
 * at EL1, which is how unikit runs it. */
static long psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3) : "memory");
    return (long)x0;
}

/* A top-level table for the jump: boot.S's TTBR0 first-level table still
 * maps devices and the first GiB of RAM, the kernel's, where they are. */
static uint64_t identity_ttbr0(void)
{
    static uint64_t l0_pa;
    if (!l0_pa) {
        l0_pa = page_alloc(1);
        if (!l0_pa)
            return 0;
        uint64_t *l0 = phys_to_virt(l0_pa);
        memset(l0, 0, PAGE_SIZE);
        l0[0] = image_phys(boot_tables[1]) | DESC_TABLE;
    }
    return l0_pa;
}

int arch_cpu_start(struct cpu *cpu, uintptr_t stack_top)
{
    /* The boot CPU's own part of the GIC too, if it has not needed it
       yet: the new CPU's kicks and the timer must reach it. */
    plat_irq_cpu_init();
    uint64_t ttbr0 = identity_ttbr0();
    struct a64_percpu *pc = kzalloc(sizeof(*pc));
    if (!ttbr0 || !pc)
        return -1;
    pc->kstack_top = stack_top;
    pc->cpu = cpu;
    a64_ap_boot = (struct a64_ap_boot){
        .ttbr0 = ttbr0,
        .ttbr1 = read_sysreg(ttbr1_el1),
        .stack = stack_top,
        .ttbr0_program = read_sysreg(ttbr0_el1),
        .percpu = (uintptr_t)pc,
        .cpu = (uintptr_t)cpu,
    };
    /* The new CPU reads it with its caches off: out to memory first. */
    __asm__ volatile("dc civac, %0\n\tdsb sy" ::"r"(&a64_ap_boot) : "memory");
    long rc =
        psci_call(PSCI_CPU_ON, cpu->hwid, image_phys(secondary_start), image_phys(&a64_ap_boot));
    return rc == 0 ? 0 : -1;
}

noreturn_fn void a64_secondary_main(struct cpu *cpu)
{
    plat_irq_cpu_init();
    smp_secondary_main(cpu);
}

void arch_ipi(struct cpu *cpu)
{
    plat_irq_send_ipi(cpu->hwid);
}

void arch_tlb_sync(void)
{
}
