/*
 * The machine around the CPU (kernel/plat/NAME/): boot information,
 * console, clock, power-off. Narrow on purpose, as in Solo5.
 */
#ifndef UNIKIT_PLAT_H
#define UNIKIT_PLAT_H

#include "types.h"

struct plat_mem_range {
    uintptr_t start, end;
};

/* Reads the boot information the loader left; first call after entry. */
void plat_init(void *boot_info);
/* The boot command line ("" when none). */
const char *plat_cmdline(void);
/* Usable RAM ranges, in address order; returns the count. */
size_t plat_memory(struct plat_mem_range *ranges, size_t max);

void plat_console_write(const char *buf, size_t len);

/* Monotonic nanoseconds since boot, and the wall clock at boot (from the
 * real-time clock alone: reading it must not force a calibration). */
uint64_t plat_monotonic_ns(void);
uint64_t plat_wallclock_at_boot_ns(void);
/* Cycle counter rate in Hz (calibrated on first call). */
uint64_t plat_cycles_hz(void);

/* The CPUs' hardware IDs (local APIC IDs, MPIDRs), the boot CPU first;
 * returns the count (at most max are stored). */
size_t plat_cpus(uint64_t *hwids, size_t max);

/* A device the machine offers, as its firmware tables describe it. */
struct plat_device {
    const char *compatible; /* "virtio,mmio" */
    uintptr_t base;         /* physical address of its registers */
    size_t size;
    unsigned irq; /* for irq_register() (irq.h) */
};

/* Interrupt controllers: set up, everything masked, before the first
 * irq_register(); then one line routed to irq_dispatch() and unmasked. */
void plat_irq_init(void);
int plat_irq_unmask(unsigned irq);
/* Where the controller says which line fired (aarch64's GIC): the
 * architecture's interrupt entry calls this to dispatch and acknowledge. */
void plat_irq_handle(void);

/* Where the interrupt controller is the platform's (aarch64's GIC): this
 * CPU's own part of it, set up once by each CPU before another starts or
 * as it starts; and an interrupt to the CPU with hardware ID hwid
 * (arch_ipi()). */
void plat_irq_cpu_init(void);
void plat_irq_send_ipi(uint64_t hwid);

/* The machine's devices; returns the count (at most max are stored). */
size_t plat_devices(struct plat_device *out, size_t max);

/*
 * Powers off and makes the monitor exit, with status as its exit status
 * where the platform can carry it. The record (lines such as "exit 3")
 * goes to the host over the control channel first, so the host learns the
 * full story even where the power-off path carries less.
 */
noreturn_fn void plat_poweroff(const char *record, int status);

#endif
