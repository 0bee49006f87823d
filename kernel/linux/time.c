/* Clocks and sleeping. */
#include "abi.h"
#include "clock.h"
#include "lib.h"
#include "syscalls.h"

#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID  3
#define CLOCK_MONOTONIC_RAW      4
#define CLOCK_REALTIME_COARSE    5
#define CLOCK_MONOTONIC_COARSE   6
#define CLOCK_BOOTTIME           7
#define TIMER_ABSTIME            1
#define NSEC_PER_SEC             1000000000L

struct linux_timeval {
    long tv_sec, tv_usec;
};

static int clock_read(int id, uint64_t *ns)
{
    switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        *ns = clock_realtime_ns();
        return 0;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    /* The program has the CPU to itself: its CPU time is the time since boot. */
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
        *ns = clock_monotonic_ns();
        return 0;
    default:
        return -EINVAL;
    }
}

static void to_timespec(uint64_t ns, struct linux_timespec *ts)
{
    ts->tv_sec = (long)(ns / NSEC_PER_SEC);
    ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
}

SYSCALL_DEFINE2(clock_gettime, int, id, struct linux_timespec *, ts)
{
    uint64_t ns;
    int err = clock_read(id, &ns);
    if (err)
        return err;
    if (!user_writable(ts, sizeof(*ts)))
        return -EFAULT;
    to_timespec(ns, ts);
    return 0;
}

SYSCALL_DEFINE2(clock_getres, int, id, struct linux_timespec *, res)
{
    uint64_t ns;
    int err = clock_read(id, &ns);
    if (err)
        return err;
    if (!res)
        return 0;
    if (!user_writable(res, sizeof(*res)))
        return -EFAULT;
    *res = (struct linux_timespec){0, 1};
    return 0;
}

SYSCALL_DEFINE2(gettimeofday, struct linux_timeval *, tv, void *, tz)
{
    (void)tz;
    if (!tv)
        return 0;
    if (!user_writable(tv, sizeof(*tv)))
        return -EFAULT;
    uint64_t ns = clock_realtime_ns();
    tv->tv_sec = (long)(ns / NSEC_PER_SEC);
    tv->tv_usec = (long)(ns % NSEC_PER_SEC / 1000);
    return 0;
}

SYSCALL_DEFINE1(time, long *, t)
{
    long now = (long)(clock_realtime_ns() / NSEC_PER_SEC);
    if (t) {
        if (!user_writable(t, sizeof(*t)))
            return -EFAULT;
        *t = now;
    }
    return now;
}

static long read_timespec(const struct linux_timespec *ts, uint64_t *ns)
{
    if (!user_readable(ts, sizeof(*ts)))
        return -EFAULT;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC)
        return -EINVAL;
    *ns = (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
    return 0;
}

/* Sleeps until deadline (monotonic); on a signal, -EINTR and the time left in rem. */
static long sleep_until(uint64_t deadline, struct linux_timespec *rem)
{
    long rc = clock_sleep_until(deadline);
    if (rem && user_writable(rem, sizeof(*rem))) {
        uint64_t now = clock_monotonic_ns(), left = rc && deadline > now ? deadline - now : 0;
        *rem = (struct linux_timespec){(long)(left / NSEC_PER_SEC), (long)(left % NSEC_PER_SEC)};
    }
    return rc;
}

SYSCALL_DEFINE2(nanosleep, const struct linux_timespec *, req, struct linux_timespec *, rem)
{
    uint64_t ns;
    long err = read_timespec(req, &ns);
    if (err)
        return err;
    return sleep_until(clock_monotonic_ns() + ns, rem);
}

SYSCALL_DEFINE4(clock_nanosleep, int, id, int, flags, const struct linux_timespec *, req,
                struct linux_timespec *, rem)
{
    uint64_t now, ns;
    if (clock_read(id, &now) < 0 || id == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    long err = read_timespec(req, &ns);
    if (err)
        return err;
    uint64_t mono = clock_monotonic_ns();
    uint64_t delay = flags & TIMER_ABSTIME ? (ns > now ? ns - now : 0) : ns;
    return sleep_until(mono + delay, flags & TIMER_ABSTIME ? NULL : rem);
}
