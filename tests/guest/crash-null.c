// exit: 139
// expect-regex: (segmentation|page) fault
// expect-regex: (rip|pc) 0x[0-9a-f]+ <main\+0x[0-9a-f]+>
// expect-regex: (fault|address|addr)[^0-9]*(0x0+|\(nil\)|0{8,16})([^0-9a-z]|$)
// A write through a NULL pointer: the guest must report the fault with its
// address (0) and end with status 139, as a shell shows a SIGSEGV death.
#include "guest.h"

int main(void)
{
    /* write(2), not stdio: nothing may be left in a buffer at the crash. */
    static const char msg[] = "about to write through NULL\n";
    if (write(1, msg, sizeof msg - 1) < 0)
        return 2;
    /* Both volatile: the compiler may neither drop the store nor make it a trap. */
    volatile int *volatile p = NULL;
    *p = 1;
    static const char after[] = "survived the NULL write\n";
    if (write(1, after, sizeof after - 1) < 0)
        return 3;
    return 0;
}
