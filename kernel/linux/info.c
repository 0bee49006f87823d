/* What the program may learn about its system: uname, sysinfo, limits, randomness. */
#include "arch.h"
#include "clock.h"
#include "fd.h"
#include "lib.h"
#include "mm.h"
#include "proc.h"
#include "random.h"
#include "syscalls.h"

#define RLIMIT_STACK  3
#define RLIMIT_NOFILE 7
#define RLIMIT_AS     9
#define RLIM_INFINITY (~0UL)
#define GRND_NONBLOCK 1
#define GRND_RANDOM   2
#define GRND_INSECURE 4

struct linux_utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

struct linux_sysinfo {
    long uptime;
    unsigned long loads[3];
    unsigned long totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    unsigned short procs, pad;
    unsigned long totalhigh, freehigh;
    unsigned int mem_unit; /* on 64-bit Linux the trailing padding is empty */
};

struct linux_rlimit {
    unsigned long cur, max;
};

SYSCALL_DEFINE1(uname, struct linux_utsname *, u)
{
    if (!user_writable(u, sizeof(*u)))
        return -EFAULT;
    memset(u, 0, sizeof(*u));
    strlcpy(u->sysname, "Linux", sizeof(u->sysname));
    strlcpy(u->nodename, proc_hostname(), sizeof(u->nodename));
    /* Programs compare the release to decide which calls to try; claim a recent one. */
    strlcpy(u->release, "6.1.0-unikit", sizeof(u->release));
    strlcpy(u->version, "#1 unikit", sizeof(u->version));
    strlcpy(u->machine, arch_name(), sizeof(u->machine));
    strlcpy(u->domainname, "(none)", sizeof(u->domainname));
    return 0;
}

SYSCALL_DEFINE1(sysinfo, struct linux_sysinfo *, si)
{
    if (!user_writable(si, sizeof(*si)))
        return -EFAULT;
    memset(si, 0, sizeof(*si));
    si->uptime = (long)(clock_monotonic_ns() / 1000000000UL);
    si->totalram = page_total() * PAGE_SIZE;
    si->freeram = page_free_count() * PAGE_SIZE;
    si->procs = 1;
    si->mem_unit = 1;
    return 0;
}

static int rlimit_of(int resource, struct linux_rlimit *r)
{
    switch (resource) {
    case RLIMIT_STACK:
        *r = (struct linux_rlimit){8UL << 20, 8UL << 20};
        return 0;
    case RLIMIT_NOFILE:
        *r = (struct linux_rlimit){(unsigned long)fd_limit(), FD_LIMIT};
        return 0;
    default:
        if (resource < 0 || resource >= 16)
            return -EINVAL;
        *r = (struct linux_rlimit){RLIM_INFINITY, RLIM_INFINITY};
        return 0;
    }
}

SYSCALL_DEFINE4(prlimit64, int, pid, int, resource, const struct linux_rlimit *, new_limit,
                struct linux_rlimit *, old_limit)
{
    struct linux_rlimit cur;
    if (pid != 0 && pid != 1)
        return -ESRCH;
    int err = rlimit_of(resource, &cur);
    if (err)
        return err;
    if (new_limit) {
        if (!user_readable(new_limit, sizeof(*new_limit)))
            return -EFAULT;
        if (new_limit->cur > new_limit->max)
            return -EINVAL;
        /* Hard limits cannot be raised; the descriptor limit is the one enforced. */
        if (new_limit->max > cur.max)
            return -EPERM;
    }
    struct linux_rlimit requested = new_limit ? *new_limit : cur;
    if (old_limit) {
        if (!user_writable(old_limit, sizeof(*old_limit)))
            return -EFAULT;
        *old_limit = cur;
    }
    if (new_limit && resource == RLIMIT_NOFILE)
        return fd_set_limit((int)MIN(requested.cur, (unsigned long)FD_LIMIT));
    return 0;
}

SYSCALL_DEFINE2(getrlimit, int, resource, struct linux_rlimit *, r)
{
    struct linux_rlimit cur;
    int err = rlimit_of(resource, &cur);
    if (err)
        return err;
    if (!user_writable(r, sizeof(*r)))
        return -EFAULT;
    *r = cur;
    return 0;
}

SYSCALL_DEFINE3(getrandom, void *, buf, unsigned long, len, unsigned, flags)
{
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if (len > (1UL << 25))
        len = 1UL << 25; /* Linux caps one call at 32 MiB too */
    if (!user_writable(buf, len))
        return -EFAULT;
    random_bytes(buf, len);
    return (long)len;
}
