/*
 * The GICv3 of QEMU's virt machine (unikit runs it with gic-version=3,
 * which KVM on current Arm servers also offers): the distributor routes
 * shared lines (SPIs, INTID 32 and up) to the boot CPU, its redistributor
 * holds the private ones (the timer's PPI), and the CPU interface is a set
 * of system registers. Every line is group 1, one priority; no nesting.
 */
#include "arch.h"
#include "irq.h"
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "../../../arch/aarch64/a64.h"

#define GICD_BASE 0x08000000UL
#define GICR_BASE 0x080a0000UL /* the boot CPU's redistributor */
#define GICR_SGI  (GICR_BASE + 0x10000)

#define GICD_CTLR          0x0000
#define GICD_TYPER         0x0004
#define GICD_IGROUPR(n)    (0x0080 + 4 * ((n) / 32))
#define GICD_ISENABLER(n)  (0x0100 + 4 * ((n) / 32))
#define GICD_IPRIORITYR(n) (0x0400 + (n))
#define GICD_IROUTER(n)    (0x6000 + 8 * (n))
#define CTLR_ENABLE_GRP1   (1u << 1)
#define CTLR_ARE           (1u << 4)
#define CTLR_RWP           (1u << 31)
#define GICR_WAKER         0x0014
#define WAKER_SLEEP        (1u << 1)
#define WAKER_ASLEEP       (1u << 2)
#define GICR_IGROUPR0      0x0080
#define GICR_ISENABLER0    0x0100
#define GICR_IPRIORITYR(n) (0x0400 + (n))
#define PRIORITY           0xa0
#define INTID_SPURIOUS     1020

#define ICC_IAR1_EL1    "s3_0_c12_c12_0"
#define ICC_EOIR1_EL1   "s3_0_c12_c12_1"
#define ICC_PMR_EL1     "s3_0_c4_c6_0"
#define ICC_SRE_EL1     "s3_0_c12_c12_5"
#define ICC_IGRPEN1_EL1 "s3_0_c12_c12_7"

static unsigned lines;

static volatile uint32_t *reg32(uintptr_t base, unsigned off)
{
    return (volatile uint32_t *)((uintptr_t)phys_to_virt(base) + off);
}

static void wait_rwp(void)
{
    while (*reg32(GICD_BASE, GICD_CTLR) & CTLR_RWP)
        ;
}

void plat_irq_init(void)
{
    /* Nothing until a line is wanted: a program without devices or
       timers never pays for the GIC. */
}

static void gic_init(void)
{
    lines = 32 * ((*reg32(GICD_BASE, GICD_TYPER) & 0x1f) + 1);
    *reg32(GICD_BASE, GICD_CTLR) = CTLR_ARE;
    wait_rwp();
    *reg32(GICD_BASE, GICD_CTLR) = CTLR_ARE | CTLR_ENABLE_GRP1;
    wait_rwp();
    *reg32(GICR_BASE, GICR_WAKER) &= ~WAKER_SLEEP;
    while (*reg32(GICR_BASE, GICR_WAKER) & WAKER_ASLEEP)
        ;
    *reg32(GICR_SGI, GICR_IGROUPR0) = 0xffffffff;
    __asm__ volatile("msr " ICC_SRE_EL1 ", %0\n\tisb" ::"r"(1UL));
    __asm__ volatile("msr " ICC_PMR_EL1 ", %0" ::"r"(0xffUL));
    __asm__ volatile("msr " ICC_IGRPEN1_EL1 ", %0\n\tisb" ::"r"(1UL));
}

int plat_irq_unmask(unsigned irq)
{
    if (!lines)
        gic_init();
    if (irq >= lines)
        return -1;
    if (irq < 32) {
        *((volatile uint8_t *)reg32(GICR_SGI, GICR_IPRIORITYR(irq))) = PRIORITY;
        *reg32(GICR_SGI, GICR_ISENABLER0) = 1u << irq;
        return 0;
    }
    *reg32(GICD_BASE, GICD_IGROUPR(irq)) |= 1u << (irq % 32);
    *((volatile uint8_t *)reg32(GICD_BASE, GICD_IPRIORITYR(irq))) = PRIORITY;
    *(volatile uint64_t *)reg32(GICD_BASE, GICD_IROUTER(irq)) = 0; /* affinity 0.0.0.0 */
    *reg32(GICD_BASE, GICD_ISENABLER(irq)) = 1u << (irq % 32);
    return 0;
}

void plat_irq_handle(void)
{
    uint64_t intid;
    __asm__ volatile("mrs %0, " ICC_IAR1_EL1 : "=r"(intid));
    if (intid >= INTID_SPURIOUS)
        return;
    irq_dispatch((unsigned)intid);
    __asm__ volatile("msr " ICC_EOIR1_EL1 ", %0\n\tisb" ::"r"(intid));
}
