// native: no
// expect-substring: io_uring_setup
// A real Linux system call that unikit does not implement: ENOSYS with a
// warning naming it (DESIGN.md: "Never pretend"). Natively Linux would set
// up an io_uring (or a sandbox would refuse with EPERM), hence no native run.
#include "guest.h"
#include <stdint.h>

int main(void)
{
    /* struct io_uring_params is 120 bytes; zeroed asks for defaults. */
    uint64_t params[15];
    memset(params, 0, sizeof params);
    want("io_uring_setup", syscall(SYS_io_uring_setup, 4L, params), ENOSYS);
    printf("still running\n");
    return guest_done();
}
