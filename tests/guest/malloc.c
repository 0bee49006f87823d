// memory: 64M
// malloc/calloc/realloc/free stress: musl's allocator drives brk, mmap,
// munmap and mremap (large blocks), so this checks them under real use.
#include "guest.h"
#include <stdint.h>

#define SLOTS 512

static uint32_t rng = 12345;

/* A fixed LCG: the same sequence on every run and every platform. */
static uint32_t next(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static unsigned char pattern(size_t slot, size_t i)
{
    return (unsigned char)(slot * 31 + i);
}

int main(void)
{
    static unsigned char *ptr[SLOTS];
    static size_t len[SLOTS];
    int bad = 0;
    for (int round = 0; round < 20000; round++) {
        size_t s = next() % SLOTS;
        if (ptr[s]) {
            /* Every byte of a live block must still hold what was written. */
            for (size_t i = 0; i < len[s]; i += 1 + len[s] / 64)
                bad |= ptr[s][i] != pattern(s, i);
            if (next() % 4 == 0) {
                size_t nl = next() % 4096 + 1;
                unsigned char *q = realloc(ptr[s], nl);
                if (!q) {
                    bad = 1;
                    continue;
                }
                size_t keep = nl < len[s] ? nl : len[s];
                for (size_t i = 0; i < keep; i += 1 + keep / 64)
                    bad |= q[i] != pattern(s, i);
                for (size_t i = 0; i < nl; i++)
                    q[i] = pattern(s, i);
                ptr[s] = q;
                len[s] = nl;
            } else {
                free(ptr[s]);
                ptr[s] = NULL;
            }
        } else {
            /* Mostly small blocks, sometimes big ones that musl maps directly. */
            size_t n = next() % 16 == 0 ? next() % (512 * 1024) + 1 : next() % 2048 + 1;
            ptr[s] = malloc(n);
            if (!ptr[s]) {
                bad = 1;
                continue;
            }
            len[s] = n;
            for (size_t i = 0; i < n; i++)
                ptr[s][i] = pattern(s, i);
        }
    }
    check("blocks kept their contents", !bad);
    for (int s = 0; s < SLOTS; s++)
        free(ptr[s]);

    unsigned char *z = calloc(1000, 1000);
    int zero = z != NULL;
    for (size_t i = 0; zero && i < 1000 * 1000; i += 997)
        zero = z[i] == 0;
    check("calloc zeroed", zero);
    free(z);

    /* Growing one big block by realloc: musl moves it with mremap. */
    unsigned char *big = malloc(256 * 1024);
    int grew = big != NULL;
    if (grew)
        memset(big, 0x33, 256 * 1024);
    for (size_t sz = 512 * 1024; grew && sz <= 8 * 1024 * 1024; sz *= 2) {
        unsigned char *q = realloc(big, sz);
        if (!q) {
            grew = 0;
            break;
        }
        big = q;
        grew = big[0] == 0x33 && big[256 * 1024 - 1] == 0x33;
        memset(big, 0x33, sz);
    }
    check("big realloc keeps data", grew);
    free(big);
    check("malloc huge fails cleanly", malloc((size_t)1 << 50) == NULL && errno == ENOMEM);
    return guest_done();
}
