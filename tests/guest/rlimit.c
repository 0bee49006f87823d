// RLIMIT_NOFILE through getrlimit, setrlimit and prlimit64: the soft limit
// lowered makes opening past it EMFILE (and dup2 there EBADF); raised again,
// up to the hard limit, more files open than the old soft limit allowed.
// Soft above hard is EINVAL, a hard limit above the system's maximum EPERM;
// lowering the hard limit works and reads back. The limits themselves
// differ between systems, so only their relations are printed.
#include "guest.h"
#include <sys/resource.h>

static struct rlimit get(int resource)
{
    struct rlimit r = {0, 0};
    if (syscall(SYS_getrlimit, (long)resource, &r) < 0)
        printf("getrlimit: %s\n", errno_name(errno));
    return r;
}

static long set(int resource, rlim_t cur, rlim_t max)
{
    struct rlimit r = {cur, max};
    return syscall(SYS_setrlimit, (long)resource, &r);
}

/* Opens /dev/null until it fails; returns the highest descriptor opened and
   leaves the failure's errno in *err. */
static int open_all(int *err)
{
    int fd, highest = -1;
    while ((fd = (int)sys_open("/dev/null", O_RDONLY, 0)) >= 0)
        highest = fd;
    *err = errno;
    return highest;
}

static void close_from(int first, int last)
{
    for (int fd = first; fd <= last; fd++)
        close(fd);
}

int main(void)
{
    struct rlimit start = get(RLIMIT_NOFILE), pr = {0, 0};
    check("soft at most hard", start.rlim_cur <= start.rlim_max);
    check("hard of 128 or more", start.rlim_max >= 128);
    want("prlimit64 read", syscall(SYS_prlimit64, 0L, (long)RLIMIT_NOFILE, NULL, &pr), 0);
    check("prlimit64 agrees", pr.rlim_cur == start.rlim_cur && pr.rlim_max == start.rlim_max);

    want("lower soft to 32", set(RLIMIT_NOFILE, 32, start.rlim_max), 0);
    check("soft reads 32", get(RLIMIT_NOFILE).rlim_cur == 32);
    check("hard unchanged", get(RLIMIT_NOFILE).rlim_max == start.rlim_max);
    int err, highest = open_all(&err);
    check("opened up to fd 31", highest == 31);
    printf("open past the soft limit: %s\n", errno_name(err));
    want("dup2 past the soft limit", sys_dup2(0L, 40L), EBADF);
    want("F_DUPFD past the soft limit", syscall(SYS_fcntl, 0L, (long)F_DUPFD, 40L), EINVAL);

    /* prlimit64 sets and returns the old value in one call. */
    struct rlimit raise = {100, start.rlim_max}, old = {0, 0};
    want("prlimit64 raise soft to 100",
         syscall(SYS_prlimit64, 0L, (long)RLIMIT_NOFILE, &raise, &old), 0);
    check("prlimit64 old soft 32", old.rlim_cur == 32);
    int more = open_all(&err);
    check("opened past the old soft limit, up to fd 99", more == 99);
    printf("open past the new soft limit: %s\n", errno_name(err));
    close_from(3, more);

    want("soft up to hard", set(RLIMIT_NOFILE, start.rlim_max, start.rlim_max), 0);
    check("soft reads hard", get(RLIMIT_NOFILE).rlim_cur == start.rlim_max);
    want("soft above hard", set(RLIMIT_NOFILE, start.rlim_max + 1, start.rlim_max), EINVAL);
    /* Beyond fs.nr_open even root may not go. */
    want("hard to infinity", set(RLIMIT_NOFILE, 64, RLIM_INFINITY), EPERM);
    want("hard to 2^30", set(RLIMIT_NOFILE, 64, 1UL << 30), EPERM);
    check("limits unchanged by refusals", get(RLIMIT_NOFILE).rlim_cur == start.rlim_max &&
                                              get(RLIMIT_NOFILE).rlim_max == start.rlim_max);

    want("lower hard to 64", set(RLIMIT_NOFILE, 50, 64), 0);
    struct rlimit low = get(RLIMIT_NOFILE);
    check("reads 50 and 64", low.rlim_cur == 50 && low.rlim_max == 64);
    want("soft above the lowered hard", set(RLIMIT_NOFILE, 65, 64), EINVAL);
    highest = open_all(&err);
    check("opened up to fd 49", highest == 49);
    close_from(3, highest);
    want("soft 0", set(RLIMIT_NOFILE, 0, 64), 0);
    check("soft reads 0", get(RLIMIT_NOFILE).rlim_cur == 0);
    want("open with soft 0", sys_open("/dev/null", O_RDONLY, 0), EMFILE);
    want("back to 50", set(RLIMIT_NOFILE, 50, 64), 0);

    /* Other limits are kept and read back too. */
    struct rlimit core = get(RLIMIT_CORE);
    want("RLIMIT_CORE soft to 0", set(RLIMIT_CORE, 0, core.rlim_max), 0);
    check("RLIMIT_CORE reads 0", get(RLIMIT_CORE).rlim_cur == 0);

    struct rlimit r;
    want("getrlimit unknown resource", syscall(SYS_getrlimit, 99L, &r), EINVAL);
    want("setrlimit unknown resource", syscall(SYS_setrlimit, 99L, &r), EINVAL);
    want("getrlimit bad pointer", syscall(SYS_getrlimit, (long)RLIMIT_NOFILE, BAD_LOW), EFAULT);
    want("setrlimit bad pointer", syscall(SYS_setrlimit, (long)RLIMIT_NOFILE, BAD_LOW), EFAULT);
    want("prlimit64 other pid", syscall(SYS_prlimit64, 999999L, (long)RLIMIT_NOFILE, NULL, &r),
         ESRCH);
    return guest_done();
}
