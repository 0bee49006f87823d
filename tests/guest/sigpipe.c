// exit: 141
// A write to a pipe whose reader is gone, with SIGPIPE left at its default:
// the program ends there, and unikit run exits with 128 + 13 as a shell
// would report (the line after the write never prints). The program has
// no rt_sigaction: a specialised image carries no handlers, and still ends.
#include "guest.h"

int main(void)
{
    int p[2];
    if (pipe(p) < 0)
        return 1;
    close(p[0]);
    printf("writing to a pipe with no reader\n");
    fflush(stdout);
    ssize_t n = write(p[1], "x", 1);
    printf("still alive: %zd\n", n);
    return 0;
}
