/* Futexes (futex.h): waiters in a few buckets hashed by address. */
#include "errno.h"
#include "futex.h"
#include "sched.h"

#define BUCKETS 64

struct futex_waiter {
    struct futex_waiter *next;
    uint32_t *addr;
    uint32_t bitset;
    struct thread *thread;
    bool woken;
};

static struct futex_waiter *buckets[BUCKETS];

static struct futex_waiter **bucket_of(const uint32_t *addr)
{
    uintptr_t a = (uintptr_t)addr;
    return &buckets[(a >> 2 ^ a >> 8) % BUCKETS];
}

static void unlink_waiter(struct futex_waiter *w)
{
    for (struct futex_waiter **p = bucket_of(w->addr); *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            return;
        }
    }
}

int futex_wait(uint32_t *addr, uint32_t val, uint64_t deadline_ns, uint32_t bitset)
{
    if (*(volatile uint32_t *)addr != val)
        return -EAGAIN;
    struct futex_waiter w = {.addr = addr, .bitset = bitset, .thread = current};
    struct futex_waiter **b = bucket_of(addr);
    w.next = *b;
    *b = &w;
    int rc = 0;
    while (!w.woken && rc == 0)
        rc = sched_sleep(deadline_ns);
    if (!w.woken)
        unlink_waiter(&w);
    return w.woken ? 0 : rc;
}

int futex_wake(uint32_t *addr, int n, uint32_t bitset)
{
    int woken = 0;
    struct futex_waiter **p = bucket_of(addr);
    while (*p && woken < n) {
        struct futex_waiter *w = *p;
        if (w->addr == addr && (w->bitset & bitset)) {
            *p = w->next;
            w->woken = true;
            thread_wake(w->thread);
            woken++;
        } else {
            p = &w->next;
        }
    }
    return woken;
}

int futex_requeue(uint32_t *addr, int n, uint32_t *addr2, int n2)
{
    int woken = futex_wake(addr, n, FUTEX_BITSET_ANY);
    int moved = 0;
    struct futex_waiter **p = bucket_of(addr);
    while (*p && moved < n2) {
        struct futex_waiter *w = *p;
        if (w->addr != addr) {
            p = &w->next;
            continue;
        }
        *p = w->next;
        w->addr = addr2;
        struct futex_waiter **b2 = bucket_of(addr2);
        w->next = *b2;
        *b2 = w;
        moved++;
        if (b2 == bucket_of(addr))
            p = bucket_of(addr); /* the list changed under us: start over */
    }
    return woken + moved;
}
