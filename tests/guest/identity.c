// The program starts as root, as a container's does, and can drop to
// nobody as a server does: setgroups, setresgid, setuid, then every id
// reads back as set, and root cannot be taken back (EPERM).
#include "guest.h"
#include <grp.h>
#include <sys/types.h>

static void show_ids(const char *when)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    printf("%s: uid %u %u %u, gid %u %u %u\n", when, r, e, s, gr, ge, gs);
}

int main(void)
{
    show_ids("start");
    gid_t nogroup = 65534, two[2] = {65534, 100}, list[4] = {0};
    want("setgroups", setgroups(2, two), 0);
    check("getgroups counts", getgroups(0, NULL) == 2);
    /* Linux keeps them sorted. */
    check("getgroups lists", getgroups(4, list) == 2 && list[0] == 100 && list[1] == 65534);
    want("getgroups list too short", getgroups(1, list), EINVAL);
    want("setresgid", setresgid(65534, 65534, 65534), 0);
    want("setuid", setuid(65534), 0);
    show_ids("dropped");
    want("setuid back to root", setuid(0), EPERM);
    want("setresuid back to root", setresuid(0, 0, 0), EPERM);
    want("setgroups unprivileged", setgroups(1, &nogroup), EPERM);
    want("setuid to its own id", setuid(65534), 0);
    return guest_done();
}
