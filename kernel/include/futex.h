/*
 * Fast user-space mutexes: threads sleep on a program address. The value
 * check and the queueing happen with interrupts masked, like all kernel
 * code, so a wake between them cannot be lost.
 */
#ifndef UNIKIT_FUTEX_H
#define UNIKIT_FUTEX_H

#include "types.h"

#define FUTEX_BITSET_ANY 0xffffffffu

/* Sleeps while *addr == val, until a wake matching bitset, the monotonic
 * deadline (0: none) or a signal: 0, -EAGAIN (value differed), -ETIMEDOUT,
 * -EINTR. addr must be readable. */
int futex_wait(uint32_t *addr, uint32_t val, uint64_t deadline_ns, uint32_t bitset);
/* Wakes up to n waiters on addr whose bitset meets bitset; returns how many. */
int futex_wake(uint32_t *addr, int n, uint32_t bitset);
/* Wakes up to n waiters on addr and moves up to n2 of the rest to addr2. */
int futex_requeue(uint32_t *addr, int n, uint32_t *addr2, int n2);

#endif
