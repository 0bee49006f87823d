// native: no
// The program leads its session and its process group, as a container's
// first process does (not natively: the harness's shell leads there), so
// it can neither start a session nor move to another group.
#include "guest.h"

int main(void)
{
    check("process group is its own", getpgid(0) == getpid() && getpgrp() == getpid());
    check("session is its own", getsid(0) == getpid());
    want("setsid", setsid(), EPERM);
    want("setpgid", setpgid(0, 0), EPERM);
    want("getpgid of another", getpgid(12345), ESRCH);
    return guest_done();
}
