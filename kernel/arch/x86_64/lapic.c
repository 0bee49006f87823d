/*
 * The local APIC: its timer is the scheduler's one-shot timer, and every
 * interrupt ends with its EOI. QEMU (TCG) and KVM both run the APIC timer
 * at a 1 GHz bus clock, so with divide-by-1 a count is a nanosecond; a
 * deadline beyond what 32 bits can count is reached in several steps.
 */
#include "arch.h"
#include "clock.h"
#include "lib.h"
#include "mm.h"
#include "x86.h"

#define LAPIC_BASE       0xfee00000UL
#define LAPIC_EOI        0x0b0
#define LAPIC_SVR        0x0f0
#define LAPIC_LVT_TIMER  0x320
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_DIV  0x3e0
#define LAPIC_ICR_LOW    0x300
#define LAPIC_ICR_HIGH   0x310
#define ICR_PENDING      (1u << 12)
#define SVR_ENABLE       (1u << 8)
#define LVT_MASKED       (1u << 16)
#define TIMER_DIV_1      0xb
#define MAX_COUNT        0xffffffffull

static volatile uint32_t *lapic;

static void lapic_write(unsigned reg, uint32_t v)
{
    lapic[reg / 4] = v;
}

/* Every CPU sees its own local APIC at the same address. */
void lapic_cpu_init(void)
{
    lapic_write(LAPIC_SVR, SVR_ENABLE | VECTOR_SPURIOUS);
    lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
    lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER); /* one-shot */
}

void lapic_enable(void)
{
    if (lapic)
        return;
    arch_map_mmio(LAPIC_BASE, PAGE_SIZE);
    lapic = phys_to_virt(LAPIC_BASE);
    lapic_cpu_init();
}

void lapic_send(uint32_t apic_id, uint32_t icr)
{
    lapic_enable();
    lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
    lapic_write(LAPIC_ICR_LOW, icr);
    while (lapic[LAPIC_ICR_LOW / 4] & ICR_PENDING)
        __asm__ volatile("pause");
}

void lapic_eoi(void)
{
    if (lapic)
        lapic_write(LAPIC_EOI, 0);
}

void arch_timer_arm(uint64_t deadline_ns)
{
    if (!lapic) {
        if (!deadline_ns)
            return;
        lapic_enable();
    }
    if (!deadline_ns) {
        lapic_write(LAPIC_TIMER_INIT, 0);
        return;
    }
    uint64_t now = clock_monotonic_ns();
    uint64_t count = deadline_ns > now ? deadline_ns - now : 1;
    lapic_write(LAPIC_TIMER_INIT, (uint32_t)MIN(count, MAX_COUNT));
}
