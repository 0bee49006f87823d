/*
 * Device interrupts on microvm: the IOAPIC, its input n delivered to the
 * boot CPU as vector VECTOR_IRQ_BASE + n. Lines are level-triggered, as
 * virtio-mmio raises them (the line stays up until the driver acknowledges
 * the device), so no interrupt is lost between two edges. The legacy PICs
 * are masked for good: their vectors would collide with exceptions.
 */
#include "arch.h"
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "../../../arch/x86_64/x86.h"

#define IOAPIC_BASE     0xfec00000UL
#define IOAPIC_REGSEL   0x00
#define IOAPIC_WIN      0x10
#define IOAPIC_VER      0x01
#define IOAPIC_REDIR(n) (0x10 + 2 * (n))
#define REDIR_MASKED    (1u << 16)
#define REDIR_LEVEL     (1u << 15)
#define PIC1_DATA       0x21
#define PIC2_DATA       0xa1

static volatile uint32_t *ioapic;
static unsigned ioapic_lines;

static uint32_t ioapic_read(unsigned reg)
{
    ioapic[IOAPIC_REGSEL / 4] = reg;
    return ioapic[IOAPIC_WIN / 4];
}

static void ioapic_write(unsigned reg, uint32_t v)
{
    ioapic[IOAPIC_REGSEL / 4] = reg;
    ioapic[IOAPIC_WIN / 4] = v;
}

void plat_irq_init(void)
{
    outb(PIC1_DATA, 0xff);
    outb(PIC2_DATA, 0xff);
}

static void ioapic_init(void)
{
    lapic_enable();
    arch_map_mmio(IOAPIC_BASE, PAGE_SIZE);
    ioapic = phys_to_virt(IOAPIC_BASE);
    ioapic_lines = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
    for (unsigned n = 0; n < ioapic_lines; n++) {
        ioapic_write(IOAPIC_REDIR(n), REDIR_MASKED);
        ioapic_write(IOAPIC_REDIR(n) + 1, 0);
    }
}

int plat_irq_unmask(unsigned irq)
{
    if (!ioapic)
        ioapic_init();
    if (irq >= ioapic_lines || VECTOR_IRQ_BASE + irq > VECTOR_IRQ_MAX)
        return -1;
    ioapic_write(IOAPIC_REDIR(irq) + 1, 0); /* destination: APIC 0, the boot CPU */
    ioapic_write(IOAPIC_REDIR(irq), REDIR_LEVEL | (VECTOR_IRQ_BASE + irq));
    return 0;
}
