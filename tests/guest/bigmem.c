// memory: 128M
// A 64 MiB anonymous mapping in a 128 MiB guest: touching pages across it
// must work (demand paging or eager allocation), and it all goes back.
#include "guest.h"
#include <sys/mman.h>

#define MIB (1024L * 1024L)

int main(void)
{
    long len = 64 * MIB;
    char *p = (char *)want_ptr(
        "mmap 64 MiB",
        mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 0);
    if (p == MAP_FAILED)
        return guest_done();
    /* One byte per MiB, plus both ends: enough to reach every part. */
    int zero = 1;
    for (long off = 0; off < len; off += MIB)
        zero &= p[off] == 0;
    zero &= p[len - 1] == 0;
    check("fresh pages are zero", zero);
    for (long off = 0; off < len; off += MIB)
        p[off] = (char)(off / MIB + 1);
    p[len - 1] = 99;
    int kept = 1;
    for (long off = 0; off < len; off += MIB)
        kept &= p[off] == (char)(off / MIB + 1);
    check("touched pages keep values", kept && p[len - 1] == 99);
    want("munmap 64 MiB", munmap(p, (size_t)len), 0);

    /* Freed memory is reusable: a second 64 MiB fits again in 128 MiB. */
    p = (char *)want_ptr(
        "mmap 64 MiB again",
        mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 0);
    if (p != MAP_FAILED) {
        memset(p, 1, (size_t)len);
        check("whole second mapping written", p[0] == 1 && p[len / 2] == 1 && p[len - 1] == 1);
        munmap(p, (size_t)len);
    }
    return guest_done();
}
