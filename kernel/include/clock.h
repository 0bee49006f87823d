/* Time as core services see it: nanoseconds. */
#ifndef UNIKIT_CLOCK_H
#define UNIKIT_CLOCK_H

#include "types.h"

uint64_t clock_monotonic_ns(void);
uint64_t clock_realtime_ns(void);
/* Sleeps until the monotonic clock reaches deadline_ns. */
void clock_sleep_until(uint64_t deadline_ns);

#endif
