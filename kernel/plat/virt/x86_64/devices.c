/*
 * Devices on QEMU's microvm: virtio-mmio transports, which QEMU announces
 * on the kernel command line (auto-kernel-cmdline, on by default) as
 * "virtio_mmio.device=SIZE@BASE:IRQ", one token per transport that has a
 * device behind it. IRQ is the IOAPIC input.
 */
#include "lib.h"
#include "plat.h"

#define TOKEN "virtio_mmio.device="

/* Parses a C-style number with an optional K/M suffix; advances *p. */
static uint64_t parse_number(const char **p)
{
    const char *s = *p;
    uint64_t v = 0, base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = *s - 'a' + 10;
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = *s - 'A' + 10;
        else
            break;
        v = v * base + (uint64_t)d;
    }
    if (*s == 'K' || *s == 'k')
        v <<= 10, s++;
    else if (*s == 'M' || *s == 'm')
        v <<= 20, s++;
    *p = s;
    return v;
}

/* One "SIZE@BASE:IRQ" value; false when malformed. */
static bool parse_device(const char *s, struct plat_device *d)
{
    d->size = parse_number(&s);
    if (*s++ != '@')
        return false;
    d->base = parse_number(&s);
    if (*s++ != ':')
        return false;
    d->irq = (unsigned)parse_number(&s);
    d->compatible = "virtio,mmio";
    return d->size && d->base;
}

size_t plat_devices(struct plat_device *out, size_t max)
{
    size_t n = 0;
    for (const char *p = strstr(plat_cmdline(), TOKEN); p; p = strstr(p + 1, TOKEN)) {
        struct plat_device d;
        if (parse_device(p + strlen(TOKEN), &d) && n < max)
            out[n++] = d;
    }
    return n;
}
