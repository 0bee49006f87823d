/* Device interrupt lines and their handlers (irq.h). */
#include "irq.h"
#include "lib.h"
#include "plat.h"

#define MAX_IRQ 256

static struct {
    irq_handler fn;
    void *arg;
} handlers[MAX_IRQ];
static int registered;

int irq_register(unsigned irq, irq_handler fn, void *arg)
{
    if (irq >= MAX_IRQ || handlers[irq].fn)
        return -1;
    handlers[irq].fn = fn;
    handlers[irq].arg = arg;
    if (plat_irq_unmask(irq) < 0) {
        handlers[irq].fn = NULL;
        return -1;
    }
    registered++;
    return 0;
}

int irq_count(void)
{
    return registered;
}

void irq_dispatch(unsigned irq)
{
    if (irq < MAX_IRQ && handlers[irq].fn)
        handlers[irq].fn(handlers[irq].arg);
}
