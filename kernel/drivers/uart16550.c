/* The 16550 UART, used as the x86 console (transmit only). */
#include "dev.h"
#include "../arch/x86_64/x86.h"

#define UART_THR 0 /* transmit holding register */
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0
#define UART_DLM 1

#define LSR_THRE 0x20

void uart16550_init(uint16_t base)
{
    outb(base + UART_IER, 0x00);
    outb(base + UART_LCR, 0x80); /* divisor latch: 115200 baud */
    outb(base + UART_DLL, 1);
    outb(base + UART_DLM, 0);
    outb(base + UART_LCR, 0x03); /* 8N1 */
    outb(base + UART_FCR, 0x07); /* FIFOs on and cleared */
    outb(base + UART_MCR, 0x03);
}

void uart16550_write(uint16_t base, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (!(inb(base + UART_LSR) & LSR_THRE))
            ;
        outb(base + UART_THR, (uint8_t)buf[i]);
    }
}
