/* Waiting on many files' wait queues at once: see poll.h. */
#include "poll.h"

#include "clock.h"
#include "errno.h"
#include "mm.h"
#include "vfs.h"

/* Only when memory ran out for the set: files it could not queue on are re-polled this often. */
#define OVERFLOW_RECHECK_NS 10000000ULL

void poll_set_init(struct poll_set *ps, size_t cap)
{
    ps->n = 0;
    ps->overflow = false;
    ps->entries = cap > POLL_SET_INLINE ? kmalloc(cap * sizeof(*ps->entries)) : NULL;
    /* Out of memory: wait on the first few files only, and poll the rest on each wake. */
    ps->cap = ps->entries ? cap : POLL_SET_INLINE;
    if (!ps->entries)
        ps->entries = ps->inline_entries;
}

/* True when the current thread already waits on q (a file given twice, or
 * two files sharing a queue): a waiter must not be queued twice. */
static bool queued_on(struct waitq *q)
{
    for (struct waiter *w = q->head; w; w = w->next)
        if (w->thread == current)
            return true;
    return false;
}

unsigned poll_set_file(struct poll_set *ps, struct file *f)
{
    struct waitq *q = f->ops->poll_queue ? f->ops->poll_queue(f) : NULL;
    if (q && ps->n == ps->cap && !queued_on(q))
        ps->overflow = true;
    else if (q && !queued_on(q)) {
        struct poll_entry *e = &ps->entries[ps->n++];
        e->file = f;
        e->queue = q;
        file_get(f);
        waitq_add(q, &e->waiter);
    }
    return vfs_poll(f);
}

int poll_set_sleep(struct poll_set *ps, uint64_t deadline_ns)
{
    /* The waiters are queued: any of their queues wakes this thread. */
    if (!ps->overflow)
        return sched_sleep(deadline_ns);
    uint64_t cap = clock_monotonic_ns() + OVERFLOW_RECHECK_NS;
    int rc = sched_sleep(deadline_ns && deadline_ns < cap ? deadline_ns : cap);
    return rc == -ETIMEDOUT && (!deadline_ns || deadline_ns > cap) ? 0 : rc;
}

void poll_set_done(struct poll_set *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        waitq_remove(ps->entries[i].queue, &ps->entries[i].waiter);
        file_put(ps->entries[i].file);
    }
    if (ps->entries != ps->inline_entries)
        kfree(ps->entries);
    ps->entries = NULL;
    ps->n = ps->cap = 0;
}
