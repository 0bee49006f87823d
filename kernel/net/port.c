/*
 * What lwIP asks of its host (arch/cc.h, NO_SYS): a millisecond clock,
 * randomness and memory, all from the kernel's own services.
 */
#include "clock.h"
#include "lwip/arch.h"
#include "lwip/sys.h"
#include "mm.h"
#include "random.h"

u32_t sys_now(void)
{
    return (u32_t)(clock_monotonic_ns() / 1000000);
}

unsigned lwip_port_rand(void)
{
    unsigned r;
    random_bytes(&r, sizeof(r));
    return r;
}

void *lwip_port_malloc(size_t size)
{
    return kmalloc(size);
}

void lwip_port_free(void *p)
{
    kfree(p);
}

void *lwip_port_calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    return kzalloc(n * size);
}
