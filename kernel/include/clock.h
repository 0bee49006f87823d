/* Time as core services see it: nanoseconds. */
#ifndef UNIKIT_CLOCK_H
#define UNIKIT_CLOCK_H

#include "types.h"

uint64_t clock_monotonic_ns(void);
uint64_t clock_realtime_ns(void);
/*
 * The wall clock without forcing the cycle counter's calibration: the
 * boot-time RTC reading until something has asked for precise time, then
 * the same as clock_realtime_ns. For file timestamps at boot, which must
 * not cost the program a calibration it may never need.
 */
uint64_t clock_realtime_coarse_ns(void);
/* Sleeps until the monotonic clock reaches deadline_ns: 0, or -EINTR when
 * a signal for the thread came first. */
int clock_sleep_until(uint64_t deadline_ns);

#endif
