// The smallest guest: stdio output through write/writev and a clean exit_group(0).
#include "guest.h"

int main(void)
{
    printf("hello from the guest\n");
    /* A second line through write(2) directly, after stdio's buffer is flushed. */
    fflush(stdout);
    static const char msg[] = "written with write(2)\n";
    want("write", write(1, msg, sizeof msg - 1), 0);
    return guest_done();
}
