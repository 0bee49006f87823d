// native-aarch64: no (qemu-aarch64 answers nanosleep with a bad pointer with EINVAL)
// Clocks and sleeping: clock_gettime clock_getres gettimeofday time nanosleep
// clock_nanosleep, each issued as a real syscall (musl would use the vDSO on
// Linux), with EINVAL and EFAULT.
#include "guest.h"
#include <sys/time.h>
#include <time.h>

/* 2020-01-01T00:00:00Z: a wall clock before this was never set. */
#define Y2020 1577836800L

static long long ns(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static long long mono_ns(void)
{
    struct timespec t;
    syscall(SYS_clock_gettime, (long)CLOCK_MONOTONIC, &t);
    return ns(&t);
}

static void test_gettime(void)
{
    struct timespec t;
    want("clock_gettime realtime", syscall(SYS_clock_gettime, (long)CLOCK_REALTIME, &t), 0);
    check("realtime after 2020", t.tv_sec > Y2020);
    check("realtime nsec in range", t.tv_nsec >= 0 && t.tv_nsec < 1000000000L);
    long real_sec = t.tv_sec;
    want("clock_gettime monotonic", syscall(SYS_clock_gettime, (long)CLOCK_MONOTONIC, &t), 0);
    check("monotonic nsec in range", t.tv_nsec >= 0 && t.tv_nsec < 1000000000L);
    want("clock_gettime boottime", syscall(SYS_clock_gettime, (long)CLOCK_BOOTTIME, &t), 0);
    want("clock_gettime monotonic_raw", syscall(SYS_clock_gettime, (long)CLOCK_MONOTONIC_RAW, &t),
         0);
    want("clock_gettime process cputime",
         syscall(SYS_clock_gettime, (long)CLOCK_PROCESS_CPUTIME_ID, &t), 0);
    want("clock_gettime bad clock", syscall(SYS_clock_gettime, 1000L, &t), EINVAL);
    want("clock_gettime bad pointer", syscall(SYS_clock_gettime, (long)CLOCK_MONOTONIC, BAD_LOW),
         EFAULT);

    /* Never going backwards, over many close reads. */
    long long prev = mono_ns();
    int mono = 1, moved = 0;
    for (int i = 0; i < 10000; i++) {
        long long now = mono_ns();
        mono &= now >= prev;
        moved |= now > prev;
        prev = now;
    }
    check("monotonic non-decreasing", mono);
    check("monotonic advances", moved);

    struct timeval tv;
    want("gettimeofday", syscall(SYS_gettimeofday, &tv, NULL), 0);
    check("gettimeofday near realtime", tv.tv_sec >= real_sec && tv.tv_sec - real_sec < 5);
    check("usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    want("gettimeofday bad pointer", syscall(SYS_gettimeofday, BAD_KERNEL, NULL), EFAULT);
#ifdef SYS_time
    time_t tt = 0;
    long r = want("time", syscall(SYS_time, &tt), 0);
    check("time agrees", r == (long)tt && r >= real_sec && r - real_sec < 5);
    check("time null pointer", syscall(SYS_time, NULL) >= real_sec);
#else
    /* No time call here (aarch64): the realtime clock read as time(2) reads it. */
    struct timespec now;
    long r = want("time", syscall(SYS_clock_gettime, (long)CLOCK_REALTIME, &now), 0);
    check("time agrees", r == 0 && now.tv_sec >= real_sec && now.tv_sec - real_sec < 5);
    check("time null pointer", time(NULL) >= real_sec);
#endif

    struct timespec res = {0, 0};
    want("clock_getres monotonic", syscall(SYS_clock_getres, (long)CLOCK_MONOTONIC, &res), 0);
    check("resolution at most 1ms", res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000);
    want("clock_getres realtime", syscall(SYS_clock_getres, (long)CLOCK_REALTIME, &res), 0);
    want("clock_getres null", syscall(SYS_clock_getres, (long)CLOCK_MONOTONIC, NULL), 0);
    want("clock_getres bad clock", syscall(SYS_clock_getres, 1000L, &res), EINVAL);
}

static void test_sleep(void)
{
    struct timespec req = {0, 10 * 1000000L}, rem = {0, 0};
    long long t0 = mono_ns();
    want("nanosleep 10ms", syscall(SYS_nanosleep, &req, &rem), 0);
    long long dt = mono_ns() - t0;
    check("slept at least 10ms", dt >= 10000000LL);
    check("slept under 5s", dt < 5000000000LL);
    struct timespec bad = {0, 1000000000L};
    want("nanosleep nsec too big", syscall(SYS_nanosleep, &bad, NULL), EINVAL);
    bad.tv_sec = -1;
    bad.tv_nsec = 0;
    want("nanosleep negative", syscall(SYS_nanosleep, &bad, NULL), EINVAL);
    want("nanosleep bad pointer", syscall(SYS_nanosleep, BAD_LOW, NULL), EFAULT);
    struct timespec zero = {0, 0};
    want("nanosleep zero", syscall(SYS_nanosleep, &zero, NULL), 0);

    t0 = mono_ns();
    want("clock_nanosleep relative",
         syscall(SYS_clock_nanosleep, (long)CLOCK_MONOTONIC, 0L, &req, NULL), 0);
    check("relative slept 10ms", mono_ns() - t0 >= 10000000LL);

    /* An absolute deadline 20ms ahead: wake no earlier than it. */
    struct timespec now, until;
    syscall(SYS_clock_gettime, (long)CLOCK_MONOTONIC, &now);
    long long deadline = ns(&now) + 20000000LL;
    until.tv_sec = (time_t)(deadline / 1000000000LL);
    until.tv_nsec = (long)(deadline % 1000000000LL);
    want("clock_nanosleep absolute",
         syscall(SYS_clock_nanosleep, (long)CLOCK_MONOTONIC, (long)TIMER_ABSTIME, &until, NULL), 0);
    check("woke after deadline", mono_ns() >= deadline);
    /* A deadline in the past returns at once. */
    t0 = mono_ns();
    want("clock_nanosleep past deadline",
         syscall(SYS_clock_nanosleep, (long)CLOCK_MONOTONIC, (long)TIMER_ABSTIME, &now, NULL), 0);
    check("past deadline is quick", mono_ns() - t0 < 1000000000LL);
    /* clock_nanosleep reports errors in errno via syscall() too. */
    want("clock_nanosleep bad clock", syscall(SYS_clock_nanosleep, 1000L, 0L, &req, NULL), EINVAL);
    bad.tv_sec = 0;
    bad.tv_nsec = 1000000000L;
    want("clock_nanosleep bad nsec",
         syscall(SYS_clock_nanosleep, (long)CLOCK_MONOTONIC, 0L, &bad, NULL), EINVAL);
    struct timespec bad2 = {0, -1};
    want("clock_nanosleep negative nsec",
         syscall(SYS_clock_nanosleep, (long)CLOCK_MONOTONIC, 0L, &bad2, NULL), EINVAL);
}

int main(void)
{
    test_gettime();
    test_sleep();
    return guest_done();
}
