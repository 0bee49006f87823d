/* aarch64 system registers and descriptor bits (arch-private). */
#ifndef UNIKIT_A64_H
#define UNIKIT_A64_H

#define KERNEL_VMA 0xffffffff80000000

/* Constants shared with assembly, where a UL suffix is not allowed. */
#ifdef __ASSEMBLY__
#define BIT(n) (1 << (n))
#else
#define BIT(n) (1UL << (n))
#endif

/* Translation table descriptors, 4 KiB granule. */
#define DESC_BLOCK    0x1
#define DESC_TABLE    0x3
#define DESC_PAGE     0x3
#define DESC_ATTR(i)  ((i) << 2)
#define DESC_AP_RO    (1 << 7)
#define DESC_SH_INNER (3 << 8)
#define DESC_AF       (1 << 10)
#define DESC_PXN      BIT(53)
#define DESC_UXN      BIT(54)
#define MAIR_DEVICE   0 /* attribute index: Device-nGnRnE */
#define MAIR_NORMAL   1 /* attribute index: Normal, write-back */

/* Program runs in EL1 on SP_EL0 ("EL1t"): D, A and F masked, IRQs taken. */
/* struct a64_percpu, which TPIDR_EL1 points at (the program, at EL1 too,
 * leaves that register alone as it would under Linux, where it cannot
 * reach it). */
#define A64_PERCPU_KSTACK_TOP 0

/* struct a64_ap_boot (smp.c), read by secondary_start in boot.S. */
#define AP_BOOT_TTBR0         0
#define AP_BOOT_TTBR1         8
#define AP_BOOT_STACK         16
#define AP_BOOT_TTBR0_PROGRAM 24
#define AP_BOOT_PERCPU        32
#define AP_BOOT_CPU           40

#define SPSR_EL1T       0x344
#define SPSR_MODE_EL1T  0x4
#define SPSR_IRQ_MASKED 0x80 /* PSTATE.I */

#ifndef __ASSEMBLY__
#include "types.h"

/* Saved by the exception vectors in kernel/arch/aarch64/entry.S. */
struct trap_frame {
    uint64_t x[31];
    uint64_t sp; /* SP_EL0: the program's stack pointer */
    uint64_t elr, spsr, esr, far;
};

#define read_sysreg(r)                                                                             \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("mrs %0, " #r : "=r"(v_));                                                \
        v_;                                                                                        \
    })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" ::"r"((uint64_t)(v)))

static inline uint32_t mmio_read32(uintptr_t addr)
{
    return *(volatile uint32_t *)addr;
}

static inline void mmio_write32(uintptr_t addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}

struct cpu;
struct a64_percpu {
    uint64_t kstack_top; /* where arch_enter/return_to_program put SP_EL1 */
    struct cpu *cpu;
};

void trap_dispatch(struct trap_frame *tf);
void a64_irq(struct trap_frame *tf);
#endif

#endif
