/*
 * Wait queues (sched.h): lists of waiters, each naming a thread that
 * sleeps in sched_sleep() until a wake makes it runnable. Plain list code
 * on top of thread_wake(), so the kernel unit tests can link it too.
 */
#include "sched.h"

void waitq_init(struct waitq *q)
{
    q->head = q->tail = NULL;
}

void waitq_add(struct waitq *q, struct waiter *w)
{
    w->thread = current;
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
}

void waitq_remove(struct waitq *q, struct waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
}

int waitq_wake(struct waitq *q, int n)
{
    int woken = 0;
    for (struct waiter *w = q->head; w && woken < n; w = w->next) {
        thread_wake(w->thread);
        woken++;
    }
    return woken;
}
