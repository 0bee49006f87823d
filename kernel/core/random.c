/*
 * Random bytes: RDRAND (or the architecture's equivalent) when the CPU has
 * it, else a generator seeded from the cycle counter and the wall clock.
 * The fallback is not cryptographically strong; it says so once.
 */
#include "arch.h"
#include "lib.h"
#include "plat.h"
#include "random.h"

static uint64_t state[2];
static bool hardware;

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void random_init(void)
{
    uint64_t probe;
    hardware = arch_random64(&probe);
    uint64_t seed = arch_cycles() ^ probe;
    state[0] = splitmix(&seed);
    state[1] = splitmix(&seed);
}

/* xorshift128+ */
static uint64_t next_soft(void)
{
    uint64_t a = state[0], b = state[1];
    state[0] = b;
    a ^= a << 23;
    state[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
    return state[1] + b;
}

static uint64_t next64(void)
{
    uint64_t v;
    if (hardware && arch_random64(&v))
        return v;
    static bool warned;
    if (!warned) {
        warned = true;
        kprintf("unikit: warning: the CPU has no hardware random source; "
                "random numbers are not cryptographically strong\n");
    }
    return next_soft();
}

void random_bytes(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        uint64_t v = next64();
        size_t n = MIN(len, sizeof(v));
        memcpy(p, &v, n);
        p += n;
        len -= n;
    }
}
