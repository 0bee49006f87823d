// expect-substring: 1000
// System-call numbers that Linux does not define: ENOSYS, and the program
// keeps running. In the guest each also prints one warning naming the
// number (DESIGN.md), so the guest run looks for these lines, not exact output.
#include "guest.h"

int main(void)
{
    want("undefined number", syscall(1000L), ENOSYS);
    /* A gap in both the x86_64 and the aarch64 tables. */
    want("unused number", syscall(400L), ENOSYS);
    /* Out of range both ways: the dispatcher must bound-check the number. */
    want("negative number", syscall(-1L), ENOSYS);
    want("huge number", syscall(1L << 20), ENOSYS);
    printf("still running\n");
    return guest_done();
}
