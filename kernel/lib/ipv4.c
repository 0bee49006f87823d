/* Dotted-quad IPv4 addresses, as the boot command line gives them (net.ip=). */
#include "lib.h"

bool ipv4_parse(const char *s, const char **end, uint32_t *addr)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (*s < '0' || *s > '9')
            return false;
        uint32_t part = 0;
        while (*s >= '0' && *s <= '9' && part <= 255)
            part = part * 10 + (uint32_t)(*s++ - '0');
        if (part > 255 || (i < 3 && *s++ != '.'))
            return false;
        v = v << 8 | part;
    }
    *end = s;
    *addr = v;
    return true;
}

bool ipv4_parse_cidr(const char *s, uint32_t *addr, unsigned *prefix)
{
    const char *p;
    if (!ipv4_parse(s, &p, addr) || *p++ != '/' || *p < '0' || *p > '9')
        return false;
    for (*prefix = 0; *p >= '0' && *p <= '9' && *prefix <= 32; p++)
        *prefix = *prefix * 10 + (unsigned)(*p - '0');
    return true;
}
