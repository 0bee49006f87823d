// memory: 64M
// A stack overflow caught by a SIGSEGV handler running on the alternate
// stack (sigaltstack), which leaves with siglongjmp: the handler cannot
// run on the stack that just ran out.
#include "guest.h"
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf jump;
static int depth;
static volatile int limit = 1 << 30; /* far past any stack: the recursion ends by overflowing */

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(jump, 1);
}

static int recurse(volatile char *up)
{
    volatile char frame[1024];
    frame[0] = up ? up[0] : 0;
    if (++depth > limit)
        return 0;
    return recurse(frame) + frame[0];
}

int main(void)
{
    static char altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sa.sa_flags = SA_ONSTACK;
    want("sigaltstack", sigaltstack(&ss, NULL), 0);
    want("sigaction SIGSEGV on the alternate stack", sigaction(SIGSEGV, &sa, NULL), 0);
    if (sigsetjmp(jump, 1) == 0) {
        recurse(NULL);
        check("the recursion overflowed", 0);
    } else {
        check("stack overflow caught on the alternate stack", depth > 1000);
    }
    return guest_done();
}
