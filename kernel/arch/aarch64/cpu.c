/* aarch64 CPU services for core code. */
#include "a64.h"
#include "arch.h"
#include "lib.h"

#define HWCAP_FP    (1UL << 0)
#define HWCAP_ASIMD (1UL << 1)
#define HWCAP_CPUID (1UL << 11) /* the program may read ID registers: it runs at EL1 */

void arch_cpu_init(void)
{
    /* boot.S set up the vectors, FP/SIMD access and the MMU; nothing is left. */
}

void arch_set_tls(uintptr_t tp)
{
    write_sysreg(tpidr_el0, tp);
}

uintptr_t arch_get_tls(void)
{
    return read_sysreg(tpidr_el0);
}

uint64_t arch_cycles(void)
{
    __asm__ volatile("isb" ::: "memory");
    return read_sysreg(cntvct_el0);
}

/* RNDR (FEAT_RNG) where ID_AA64ISAR0_EL1 says the CPU has it. */
bool arch_random64(uint64_t *out)
{
    if (((read_sysreg(id_aa64isar0_el1) >> 60) & 0xf) == 0)
        return false;
    for (int tries = 0; tries < 10; tries++) {
        uint64_t v, nzcv;
        __asm__ volatile("mrs %0, s3_3_c2_c4_0\n\tmrs %1, nzcv" : "=r"(v), "=r"(nzcv));
        if (!(nzcv & (1UL << 30))) { /* Z clear: the value is good */
            *out = v;
            return true;
        }
    }
    return false;
}

unsigned long arch_hwcap(void)
{
    return HWCAP_FP | HWCAP_ASIMD | HWCAP_CPUID;
}

const char *arch_name(void)
{
    return "aarch64";
}

void arch_irq_disable(void)
{
    __asm__ volatile("msr daifset, #2" ::: "memory");
}

void arch_irq_enable(void)
{
    __asm__ volatile("msr daifclr, #2" ::: "memory");
}

void arch_cpu_relax(void)
{
    __asm__ volatile("yield");
}

void arch_wait(void)
{
    __asm__ volatile("wfi" ::: "memory");
}
