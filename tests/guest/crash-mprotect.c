// exit: 139
// expect-regex: (segmentation|page) fault
// A page made read-only with mprotect faults on the next write: the guest
// must enforce page protections, not only record them.
#include "guest.h"
#include <sys/mman.h>

static void say(const char *s)
{
    if (write(1, s, strlen(s)) < 0)
        _exit(2);
}

int main(void)
{
    volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 3;
    p[0] = 1;
    say("write before mprotect ok\n");
    if (mprotect((void *)p, 4096, PROT_READ) != 0)
        return 4;
    say(p[0] == 1 ? "read after mprotect ok\n" : "read after mprotect WRONG\n");
    p[0] = 2;
    say("survived the write to a read-only page\n");
    return 0;
}
