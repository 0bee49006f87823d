/* Core clock services on top of the platform's counter. */
#include "arch.h"
#include "clock.h"
#include "plat.h"

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

/*
 * With one thread and no timer interrupt yet, sleeping is waiting: the
 * CPU spins politely until the deadline. The scheduler replaces this with
 * a timer wake-up.
 */
void clock_sleep_until(uint64_t deadline_ns)
{
    while (clock_monotonic_ns() < deadline_ns)
        arch_cpu_relax();
}
