/* Core clock services on top of the platform's counter. */
#include "arch.h"
#include "clock.h"
#include "plat.h"
#include "sched.h"

static bool precise_time_used;

uint64_t clock_monotonic_ns(void)
{
    precise_time_used = true;
    return plat_monotonic_ns();
}

uint64_t clock_realtime_ns(void)
{
    return plat_wallclock_at_boot_ns() + clock_monotonic_ns();
}

uint64_t clock_realtime_coarse_ns(void)
{
    if (precise_time_used)
        return clock_realtime_ns();
    return plat_wallclock_at_boot_ns();
}

/* Sleeps until the deadline; a signal for the thread ends it early (-EINTR). */
int clock_sleep_until(uint64_t deadline_ns)
{
    while (clock_monotonic_ns() < deadline_ns) {
        int rc = sched_sleep(deadline_ns);
        if (rc == -EINTR)
            return rc;
    }
    return 0;
}
