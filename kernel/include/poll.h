/*
 * Waiting for several files at once (poll, select, epoll).
 *
 * A file whose readiness can change names the wait queue it wakes when it
 * does (file_ops.poll_queue). A poll set keeps one waiter on each such
 * queue of the files it was asked about, with a reference to the file so
 * that a close elsewhere cannot free the queue under it, and sleeps once
 * on all of them:
 *
 *     struct poll_set ps;
 *     poll_set_init(&ps, nfiles);
 *     while (!(ready = scan(&ps)) && (rc = poll_set_sleep(&ps, deadline)) == 0)
 *         ;            // scan calls poll_set_file() for every file
 *     poll_set_done(&ps);
 *
 * Files without a queue (regular files, the console) are as ready as their
 * poll method says, for good: waiting on them needs no queue.
 */
#ifndef UNIKIT_POLL_H
#define UNIKIT_POLL_H

#include "sched.h"
#include "types.h"

struct file;

#define POLL_SET_INLINE 8

struct poll_entry {
    struct file *file;
    struct waitq *queue;
    struct waiter waiter;
};

struct poll_set {
    struct poll_entry *entries; /* never moves: queued waiters live in it */
    size_t n, cap;
    bool overflow; /* a file past cap has a queue the set is not on */
    struct poll_entry inline_entries[POLL_SET_INLINE];
};

/* Room for up to cap files (with more, sleeps are cut short to poll again). */
void poll_set_init(struct poll_set *ps, size_t cap);
/* The file's VFS_POLL_* bits now; the first call for a file also queues
 * the set on the file's poll queue, if it has one. */
unsigned poll_set_file(struct poll_set *ps, struct file *f);
/* Sleeps until a queued file's queue is woken or the deadline (0: none).
 * 0, -ETIMEDOUT or -EINTR. */
int poll_set_sleep(struct poll_set *ps, uint64_t deadline_ns);
/* Leaves every queue and drops the file references. */
void poll_set_done(struct poll_set *ps);

#endif
