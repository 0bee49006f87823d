// exit: 7
// The plain exit syscall (not exit_group) from the only thread ends the
// whole program with its status, as on Linux.
#include "guest.h"

int main(void)
{
    printf("calling SYS_exit\n");
    /* SYS_exit skips libc's exit path, so flush stdio by hand first. */
    fflush(stdout);
    syscall(SYS_exit, 7L);
    printf("still running after SYS_exit\n");
    return 1;
}
