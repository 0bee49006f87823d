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
#include "smp.h"
#include "../../../arch/aarch64/a64.h"

#define GICD_BASE    0x08000000UL
#define GICR_BASE    0x080a0000UL /* the first CPU's redistributor; one per CPU follows */
#define GICR_STRIDE  0x20000      /* its RD and SGI frames */
#define GICR_SGI_OFF 0x10000

#define GICD_CTLR          0x0000
#define GICD_TYPER         0x0004
#define GICD_IGROUPR(n)    (0x0080 + 4 * ((n) / 32))
#define GICD_ISENABLER(n)  (0x0100 + 4 * ((n) / 32))
#define GICD_IPRIORITYR(n) (0x0400 + (n))
#define GICD_IROUTER(n)    (0x6000 + 8 * (n))
#define CTLR_ENABLE_GRP1   (1u << 1)
#define CTLR_ARE           (1u << 4)
#define CTLR_RWP           (1u << 31)
#define GICR_TYPER         0x0008
#define TYPER_LAST         (1u << 4)
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
#define ICC_SGI1R_EL1   "s3_0_c12_c11_5"

#define SGI_KICK 0 /* arch_ipi(): entering the kernel is the point */

static unsigned lines;
/* Each CPU's redistributor, by struct cpu index (0: not set up yet). */
static uintptr_t redistributors[MAX_CPUS];
/* Private lines (SGIs, PPIs) unmasked: on every CPU alike. */
static uint32_t private_enabled = 1u << SGI_KICK;

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

/* The redistributor whose affinity is this CPU's MPIDR. */
static uintptr_t find_redistributor(void)
{
    uint64_t mpidr = read_sysreg(mpidr_el1);
    uint32_t aff = (uint32_t)((mpidr >> 32 & 0xff) << 24 | (mpidr & 0xffffff));
    for (uintptr_t rd = GICR_BASE;; rd += GICR_STRIDE) {
        uint64_t typer = *(volatile uint64_t *)reg32(rd, GICR_TYPER);
        if ((uint32_t)(typer >> 32) == aff)
            return rd;
        if (typer & TYPER_LAST)
            panic("no GIC redistributor for CPU %lx", (unsigned long)mpidr);
    }
}

static void enable_private(uintptr_t rd, unsigned irq)
{
    *((volatile uint8_t *)reg32(rd + GICR_SGI_OFF, GICR_IPRIORITYR(irq))) = PRIORITY;
    *reg32(rd + GICR_SGI_OFF, GICR_ISENABLER0) = 1u << irq;
}

/* This CPU's redistributor (awake, its private lines as every CPU has
 * them) and its CPU interface. */
static void gic_cpu_init(void)
{
    uintptr_t rd = find_redistributor();
    *reg32(rd, GICR_WAKER) &= ~WAKER_SLEEP;
    while (*reg32(rd, GICR_WAKER) & WAKER_ASLEEP)
        ;
    *reg32(rd + GICR_SGI_OFF, GICR_IGROUPR0) = 0xffffffff;
    for (unsigned irq = 0; irq < 32; irq++)
        if (private_enabled & (1u << irq))
            enable_private(rd, irq);
    __asm__ volatile("msr " ICC_SRE_EL1 ", %0\n\tisb" ::"r"(1UL));
    __asm__ volatile("msr " ICC_PMR_EL1 ", %0" ::"r"(0xffUL));
    __asm__ volatile("msr " ICC_IGRPEN1_EL1 ", %0\n\tisb" ::"r"(1UL));
    redistributors[this_cpu()->index] = rd;
}

static void gic_init(void)
{
    lines = 32 * ((*reg32(GICD_BASE, GICD_TYPER) & 0x1f) + 1);
    *reg32(GICD_BASE, GICD_CTLR) = CTLR_ARE;
    wait_rwp();
    *reg32(GICD_BASE, GICD_CTLR) = CTLR_ARE | CTLR_ENABLE_GRP1;
    wait_rwp();
    gic_cpu_init();
}

void plat_irq_cpu_init(void)
{
    if (!lines)
        gic_init();
    else if (!redistributors[this_cpu()->index])
        gic_cpu_init();
}

int plat_irq_unmask(unsigned irq)
{
    if (!lines)
        gic_init();
    if (irq >= lines)
        return -1;
    if (irq < 32) {
        private_enabled |= 1u << irq;
        for (unsigned i = 0; i < MAX_CPUS; i++)
            if (redistributors[i])
                enable_private(redistributors[i], irq);
        return 0;
    }
    *reg32(GICD_BASE, GICD_IGROUPR(irq)) |= 1u << (irq % 32);
    *((volatile uint8_t *)reg32(GICD_BASE, GICD_IPRIORITYR(irq))) = PRIORITY;
    *(volatile uint64_t *)reg32(GICD_BASE, GICD_IROUTER(irq)) = 0; /* affinity 0.0.0.0: CPU 0 */
    *reg32(GICD_BASE, GICD_ISENABLER(irq)) = 1u << (irq % 32);
    return 0;
}

/* SGI_KICK to one CPU: affinity levels 3, 2, 1 and a target list bit for level 0. */
void plat_irq_send_ipi(uint64_t hwid)
{
    uint64_t v = (hwid >> 32 & 0xff) << 48 | (hwid >> 16 & 0xff) << 32 | (uint64_t)SGI_KICK << 24 |
                 (hwid >> 8 & 0xff) << 16 | 1u << (hwid & 0xf);
    __asm__ volatile("msr " ICC_SGI1R_EL1 ", %0\n\tisb" ::"r"(v));
}

void plat_irq_handle(void)
{
    uint64_t intid;
    __asm__ volatile("mrs %0, " ICC_IAR1_EL1 : "=r"(intid));
    if (intid >= INTID_SPURIOUS)
        return;
    if (intid != SGI_KICK)
        irq_dispatch((unsigned)intid);
    __asm__ volatile("msr " ICC_EOIR1_EL1 ", %0\n\tisb" ::"r"(intid));
}
