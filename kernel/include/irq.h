/*
 * Device interrupts. The platform numbers them (an IOAPIC input on x86
 * microvm, a GIC SPI on aarch64 virt, as the device list or device tree
 * gives them); a driver registers a handler and the platform unmasks the
 * line. Handlers run with interrupts masked, on no thread in particular:
 * they acknowledge the device and wake a wait queue (sched.h), nothing
 * that can block.
 */
#ifndef UNIKIT_IRQ_H
#define UNIKIT_IRQ_H

#include "types.h"

typedef void (*irq_handler)(void *arg);

/* Routes interrupt line irq to fn(arg) and unmasks it; -1 if the platform
 * has no such line. Level-triggered lines are acknowledged by the platform
 * after fn returns. */
int irq_register(unsigned irq, irq_handler fn, void *arg);

/* How many lines have handlers: with none, only timers can wake the CPU. */
int irq_count(void);

/* For the platform: runs the handler of line irq (interrupts masked). */
void irq_dispatch(unsigned irq);

#endif
