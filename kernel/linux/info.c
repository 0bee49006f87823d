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
#define RLIM_NLIMITS  16
#define RLIM_INFINITY (~0UL)
#define INF           RLIM_INFINITY
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

/* The hard limits, and the soft ones except RLIMIT_NOFILE's, which the
   descriptor table keeps (fd.h). Unlimited unless set lower here. */
static struct linux_rlimit limits[RLIM_NLIMITS] = {
    {INF, INF},                /* RLIMIT_CPU */
    {INF, INF},                /* RLIMIT_FSIZE */
    {INF, INF},                /* RLIMIT_DATA */
    {8UL << 20, 8UL << 20},    /* RLIMIT_STACK: the main stack's reserve (vm.h) */
    {INF, INF},                /* RLIMIT_CORE */
    {INF, INF},                /* RLIMIT_RSS */
    {INF, INF},                /* RLIMIT_NPROC */
    {FD_SOFT_LIMIT, FD_LIMIT}, /* RLIMIT_NOFILE: the soft one is fd.c's */
    {INF, INF},                /* RLIMIT_MEMLOCK */
    {INF, INF},                /* RLIMIT_AS */
    {INF, INF},                /* RLIMIT_LOCKS */
    {INF, INF},                /* RLIMIT_SIGPENDING */
    {INF, INF},                /* RLIMIT_MSGQUEUE */
    {0, 0},                    /* RLIMIT_NICE */
    {0, 0},                    /* RLIMIT_RTPRIO */
    {INF, INF},                /* RLIMIT_RTTIME */
};

static int rlimit_of(int resource, struct linux_rlimit *r)
{
    if (resource < 0 || resource >= RLIM_NLIMITS)
        return -EINVAL;
    *r = limits[resource];
    if (resource == RLIMIT_NOFILE)
        r->cur = (unsigned long)fd_limit();
    return 0;
}

/*
 * Lowering a limit always works; a hard limit cannot be raised again (as
 * for a Linux process without CAP_SYS_RESOURCE), so RLIMIT_NOFILE stays
 * within the descriptor table's real size. Only RLIMIT_NOFILE is enforced.
 */
static int rlimit_set(int resource, const struct linux_rlimit *want)
{
    if (want->cur > want->max)
        return -EINVAL;
    if (want->max > limits[resource].max)
        return -EPERM;
    if (resource == RLIMIT_NOFILE) {
        int err = fd_set_limit((int)want->cur); /* at most FD_LIMIT: checked above */
        if (err)
            return err;
    }
    limits[resource] = *want;
    return 0;
}

SYSCALL_DEFINE4(prlimit64, int, pid, int, resource, const struct linux_rlimit *, new_limit,
                struct linux_rlimit *, old_limit)
{
    struct linux_rlimit cur, want;
    if (pid != 0 && pid != 1)
        return -ESRCH;
    int err = rlimit_of(resource, &cur);
    if (err)
        return err;
    if (new_limit) {
        if (!user_readable(new_limit, sizeof(*new_limit)))
            return -EFAULT;
        want = *new_limit;
    }
    if (old_limit && !user_writable(old_limit, sizeof(*old_limit)))
        return -EFAULT;
    if (new_limit && (err = rlimit_set(resource, &want)))
        return err;
    if (old_limit)
        *old_limit = cur;
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

SYSCALL_DEFINE2(setrlimit, int, resource, const struct linux_rlimit *, r)
{
    if (resource < 0 || resource >= RLIM_NLIMITS)
        return -EINVAL;
    if (!user_readable(r, sizeof(*r)))
        return -EFAULT;
    struct linux_rlimit want = *r;
    return rlimit_set(resource, &want);
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
