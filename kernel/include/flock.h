/*
 * File locks, with Linux's semantics for the one process unikit runs:
 *
 * - record locks (fcntl F_SETLK...): byte ranges, read (shared) or write
 *   (exclusive). A classic POSIX lock belongs to the process, so two of
 *   them never conflict; an OFD lock belongs to one open file, so two
 *   open()s of a file conflict with each other and with the process's
 *   POSIX locks. Setting a range replaces, splits or merges its owner's
 *   ranges there.
 * - whole-file locks (flock): shared or exclusive, owned by the open file,
 *   and independent of record locks, as on Linux.
 *
 * Locks are kept per inode. Every wait for a lock sleeps on one wait
 * queue, woken whenever any lock goes away.
 */
#ifndef UNIKIT_FLOCK_H
#define UNIKIT_FLOCK_H

#include "types.h"

struct inode;
struct file;

enum lock_type { LOCK_READ, LOCK_WRITE, LOCK_NONE };

#define LOCK_OFFSET_MAX INT64_MAX /* a range ending here reaches any later end of file */

/* A record lock asked for, or found in the way. */
struct lock_range {
    enum lock_type type; /* LOCK_NONE: unlock (lock_set), nothing in the way (lock_test) */
    int64_t start, end;  /* bytes start..end, both included */
    struct file *ofd;    /* the owning open file; NULL: the process (a POSIX lock) */
};

/* The first lock of another owner that r conflicts with, copied into r;
   r->type becomes LOCK_NONE when none is. */
void lock_test(struct inode *ip, struct lock_range *r);
/* Takes (or with LOCK_NONE drops) r's range for its owner: 0, -EAGAIN when
   another owner is in the way and wait is false, -EINTR when a signal ends
   the wait, -ENOLCK when out of memory. */
int lock_set(struct inode *ip, const struct lock_range *r, bool wait);
/* flock(2) for f: the same answers; converting drops the old lock first. */
int flock_set(struct file *f, enum lock_type type, bool wait);

/* A descriptor of f is closing: the process's record locks on f's inode go. */
void lock_close_fd(struct file *f);
/* f's last reference is going: its OFD and flock locks go. */
void lock_release_file(struct file *f);

#endif
