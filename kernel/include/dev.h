/*
 * Device drivers as the platform sees them. A console writes bytes; net
 * and block devices come with the drivers that need them.
 */
#ifndef UNIKIT_DEV_H
#define UNIKIT_DEV_H

#include "types.h"

/* 16550 UART on an x86 I/O port base (COM1 = 0x3f8). */
void uart16550_init(uint16_t base);
void uart16550_write(uint16_t base, const char *buf, size_t len);

/* ARM PL011 UART at a mapped MMIO base. */
void pl011_write(uintptr_t base, const char *buf, size_t len);

#endif
