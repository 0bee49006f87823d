/* Kernel messages on the console, and panic. */
#include "lib.h"
#include "plat.h"
#include "proc.h"

void kprintf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    plat_console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
}

noreturn_fn void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    kprintf("unikit: kernel panic: %s\n", buf);
    plat_poweroff("panic", PANIC_STATUS);
}
