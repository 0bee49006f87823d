// exit: 42
// exit(42): atexit handlers run, stdio is flushed, and exit_group's status
// becomes unikit's own exit status.
#include "guest.h"

static void at_exit(void)
{
    printf("atexit handler ran\n");
}

int main(void)
{
    atexit(at_exit);
    /* Still in stdio's buffer when exit is called: exit must flush it. */
    printf("before exit\n");
    exit(42);
}
