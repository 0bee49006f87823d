// The image's default /etc/passwd and /etc/group name root and, as
// Debian's do, nobody and nogroup (65534), which a server dropping its
// privileges looks up by name (issue #17).
#include "guest.h"
#include <grp.h>
#include <pwd.h>

int main(void)
{
    struct passwd *root = getpwuid(0);
    check("getpwuid(0) is root", root && strcmp(root->pw_name, "root") == 0);
    struct passwd *nobody = getpwnam("nobody");
    check("getpwnam(nobody) found", nobody != NULL);
    if (nobody)
        printf("nobody: uid %u gid %u\n", (unsigned)nobody->pw_uid, (unsigned)nobody->pw_gid);
    struct group *nogroup = getgrnam("nogroup");
    check("getgrnam(nogroup) found", nogroup != NULL);
    if (nogroup)
        printf("nogroup: gid %u\n", (unsigned)nogroup->gr_gid);
    struct passwd *by_id = getpwuid(65534);
    check("getpwuid(65534) is nobody", by_id && strcmp(by_id->pw_name, "nobody") == 0);
    return guest_done();
}
