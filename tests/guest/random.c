// getrandom: bytes arrive, differ between calls, and bad flags or pointers
// fail with EINVAL or EFAULT.
#include "guest.h"
#include <sys/random.h>

int main(void)
{
    unsigned char a[32], b[32];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    check("getrandom 32", syscall(SYS_getrandom, a, sizeof a, 0L) == 32);
    check("getrandom nonblock", syscall(SYS_getrandom, b, sizeof b, (long)GRND_NONBLOCK) == 32);
    /* 256 bits colliding, or all zero, would mean no randomness at all. */
    check("two draws differ", memcmp(a, b, sizeof a) != 0);
    int zero = 1;
    for (size_t i = 0; i < sizeof a; i++)
        zero &= a[i] == 0;
    check("not all zero", !zero);
    /* Up to 256 bytes always come whole from one call. */
    static unsigned char big[256];
    check("getrandom 256", syscall(SYS_getrandom, big, sizeof big, 0L) == 256);
    check("getrandom zero length", syscall(SYS_getrandom, big, 0L, 0L) == 0);
    want("getrandom bad flags", syscall(SYS_getrandom, a, sizeof a, 0x100L), EINVAL);
    want("getrandom bad pointer", syscall(SYS_getrandom, BAD_KERNEL, 16L, 0L), EFAULT);
    /* The libc wrapper, as programs use it. */
    check("getrandom wrapper", getrandom(a, 8, 0) == 8);
    return guest_done();
}
