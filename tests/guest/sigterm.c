// exit: 143
// expect-substring: program killed by SIGTERM: it has no handler
// A signal with no handler takes its default action: SIGTERM ends the
// program, and unikit run exits with 128 + 15 as a shell would report.
#include "guest.h"
#include <signal.h>

int main(void)
{
    printf("sending SIGTERM to myself\n");
    fflush(stdout);
    kill(getpid(), SIGTERM);
    printf("still running\n");
    return 0;
}
