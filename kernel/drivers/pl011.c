/* The PL011 UART, used as the aarch64 console (transmit only). */
#include "dev.h"

#define PL011_DR 0x00
#define PL011_FR 0x18
#define FR_TXFF  (1 << 5)

void pl011_write(uintptr_t base, const char *buf, size_t len)
{
    volatile uint32_t *dr = (volatile uint32_t *)(base + PL011_DR);
    volatile uint32_t *fr = (volatile uint32_t *)(base + PL011_FR);
    for (size_t i = 0; i < len; i++) {
        while (*fr & FR_TXFF)
            ;
        *dr = (uint8_t)buf[i];
    }
}
