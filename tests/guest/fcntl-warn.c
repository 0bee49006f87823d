// native: no
// expect-regex: warning: fcntl \(system call [0-9]+\) command F_SETSIG \(10\) is not implemented
// expect-regex: warning: prctl option 1234567 is not implemented
// An fcntl command or a prctl option unikit does not implement: EINVAL, as
// Linux answers a command it does not know, with a warning naming the
// command, so that a program that fails on it is explained. Not run
// natively: Linux implements F_SETSIG.
#include "guest.h"

int main(void)
{
    want("F_SETSIG", fcntl(1, 10 /* F_SETSIG */, 0), EINVAL);
    want("prctl unknown", syscall(SYS_prctl, 1234567L, 0L, 0L, 0L, 0L), EINVAL);
    printf("still running\n");
    return guest_done();
}
