/*
 * The lock table (flock.h): for each inode that has locks, its record
 * locks (in Linux's order, which decides the range a test reports: each
 * owner's together, sorted by start, owners in the order they came) and
 * its flock locks. An owner is the open file for OFD and flock
 * locks, and the process for POSIX locks.
 *
 * A program holds few locks at a time, on few files: plain lists do.
 */
#include "errno.h"
#include "flock.h"
#include "mm.h"
#include "sched.h"
#include "vfs.h"

struct lock {
    struct lock *next;
    enum lock_type type;
    int64_t start, end;
    const void *owner;
};

struct locked_inode {
    struct locked_inode *next;
    struct inode *ip;
    struct lock *records; /* fcntl locks */
    struct lock *flocks;  /* flock locks, whole file */
};

static struct locked_inode *locked;
static struct waitq lock_waiters = WAITQ_INIT;
static const char process_owner; /* the owner of every POSIX lock */

static const void *owner_of(const struct lock_range *r)
{
    return r->ofd ? (const void *)r->ofd : &process_owner;
}

static struct locked_inode *find_locked(struct inode *ip)
{
    for (struct locked_inode *li = locked; li; li = li->next)
        if (li->ip == ip)
            return li;
    return NULL;
}

static struct locked_inode *find_or_add_locked(struct inode *ip)
{
    struct locked_inode *li = find_locked(ip);
    if (li)
        return li;
    li = kzalloc(sizeof(*li));
    if (!li)
        return NULL;
    li->ip = ip;
    li->next = locked;
    locked = li;
    return li;
}

/* Forgets li once it holds no lock. */
static void drop_if_empty(struct locked_inode *li)
{
    if (li->records || li->flocks)
        return;
    for (struct locked_inode **pp = &locked; *pp; pp = &(*pp)->next) {
        if (*pp == li) {
            *pp = li->next;
            kfree(li);
            return;
        }
    }
}

static bool types_conflict(enum lock_type a, enum lock_type b)
{
    return a == LOCK_WRITE || b == LOCK_WRITE;
}

static struct lock *record_conflict(struct inode *ip, const struct lock_range *r)
{
    struct locked_inode *li = find_locked(ip);
    const void *owner = owner_of(r);
    for (struct lock *l = li ? li->records : NULL; l; l = l->next) {
        if (l->owner != owner && l->start <= r->end && r->start <= l->end &&
            types_conflict(l->type, r->type))
            return l;
    }
    return NULL;
}

void lock_test(struct inode *ip, struct lock_range *r)
{
    struct lock *l = record_conflict(ip, r);
    if (!l) {
        r->type = LOCK_NONE;
        return;
    }
    r->type = l->type;
    r->start = l->start;
    r->end = l->end;
    r->ofd = l->owner == &process_owner ? NULL : (struct file *)l->owner;
}

/* Frees what is left of the spare locks a change allocated. */
static void free_spares(struct lock **spare, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kfree(spare[i]);
}

static struct lock *take_spare(struct lock **spare)
{
    struct lock *l = *spare;
    *spare = NULL;
    return l;
}

/* Removes start..end from owner's ranges: at most one range holds it
   entirely, and is split in two with *spare. */
static void carve(struct lock **list, const void *owner, int64_t start, int64_t end,
                  struct lock **spare)
{
    struct lock **pp = list;
    while (*pp) {
        struct lock *l = *pp;
        if (l->owner != owner || l->end < start || l->start > end) {
            pp = &l->next;
        } else if (l->start < start && l->end > end) {
            struct lock *tail = take_spare(spare);
            *tail = *l;
            tail->start = end + 1;
            l->end = start - 1;
            l->next = tail;
            return;
        } else if (l->start < start) {
            l->end = start - 1;
            pp = &l->next;
        } else if (l->end > end) {
            l->start = end + 1;
            pp = &l->next;
        } else {
            *pp = l->next;
            kfree(l);
        }
    }
}

/* Whether l, one of owner's ranges of type t, touches start..end's ends. */
static bool adjacent(const struct lock *l, const void *owner, enum lock_type t, int64_t start,
                     int64_t end)
{
    if (l->owner != owner || l->type != t)
        return false;
    return (start > 0 && l->end == start - 1) || (end < LOCK_OFFSET_MAX && l->start == end + 1);
}

/* Where a range of owner starting at start goes, in Linux's order: an
   owner's ranges together, by start; a new owner's after all others. */
static struct lock **owner_slot(struct lock **list, const void *owner, int64_t start)
{
    struct lock **pp = list;
    while (*pp && (*pp)->owner != owner)
        pp = &(*pp)->next;
    while (*pp && (*pp)->owner == owner && (*pp)->start < start)
        pp = &(*pp)->next;
    return pp;
}

/* Adds n (over a carved range) to the list, merged with owner's ranges of
   the same type that it touches, as Linux merges them. */
static void insert_merged(struct lock **list, struct lock *n)
{
    struct lock **pp = list;
    while (*pp) {
        struct lock *l = *pp;
        if (adjacent(l, n->owner, n->type, n->start, n->end)) {
            n->start = MIN(n->start, l->start);
            n->end = MAX(n->end, l->end);
            *pp = l->next;
            kfree(l);
        } else {
            pp = &l->next;
        }
    }
    pp = owner_slot(list, n->owner, n->start);
    n->next = *pp;
    *pp = n;
}

static int wait_for_record(struct inode *ip, const struct lock_range *r, bool wait)
{
    if (r->type == LOCK_NONE || !record_conflict(ip, r))
        return 0;
    if (!wait)
        return -EAGAIN;
    return wait_event(&lock_waiters, !record_conflict(ip, r), 0);
}

int lock_set(struct inode *ip, const struct lock_range *r, bool wait)
{
    int err = wait_for_record(ip, r, wait);
    if (err)
        return err;
    struct locked_inode *li = r->type == LOCK_NONE ? find_locked(ip) : find_or_add_locked(ip);
    if (!li)
        return r->type == LOCK_NONE ? 0 : -ENOLCK;
    struct lock *spare[2] = {kmalloc(sizeof(struct lock)), kmalloc(sizeof(struct lock))};
    if (!spare[0] || !spare[1]) {
        free_spares(spare, 2);
        drop_if_empty(li);
        return -ENOLCK;
    }
    carve(&li->records, owner_of(r), r->start, r->end, &spare[1]);
    if (r->type != LOCK_NONE) {
        struct lock *n = take_spare(&spare[0]);
        *n = (struct lock){.type = r->type, .start = r->start, .end = r->end, .owner = owner_of(r)};
        insert_merged(&li->records, n);
    }
    free_spares(spare, 2);
    drop_if_empty(li);
    waitq_wake_all(&lock_waiters); /* a range may have been given up */
    return 0;
}

static struct lock **flock_of(struct locked_inode *li, const struct file *f)
{
    struct lock **pp = &li->flocks;
    while (*pp && (*pp)->owner != f)
        pp = &(*pp)->next;
    return pp;
}

static bool flock_conflict(struct inode *ip, const struct file *f, enum lock_type type)
{
    struct locked_inode *li = find_locked(ip);
    for (struct lock *l = li ? li->flocks : NULL; l; l = l->next)
        if (l->owner != f && types_conflict(l->type, type))
            return true;
    return false;
}

/* Drops f's flock lock on li, if it has one. */
static void flock_drop(struct locked_inode *li, const struct file *f)
{
    struct lock **pp = flock_of(li, f);
    if (!*pp)
        return;
    struct lock *l = *pp;
    *pp = l->next;
    kfree(l);
    waitq_wake_all(&lock_waiters);
}

static int flock_wait(struct file *f, enum lock_type type, bool wait)
{
    if (!flock_conflict(f->inode, f, type))
        return 0;
    if (!wait)
        return -EAGAIN;
    return wait_event(&lock_waiters, !flock_conflict(f->inode, f, type), 0);
}

int flock_set(struct file *f, enum lock_type type, bool wait)
{
    struct locked_inode *li = find_locked(f->inode);
    if (li && *flock_of(li, f) && (*flock_of(li, f))->type == type)
        return 0;
    if (li) { /* a conversion: Linux too lets the old lock go first */
        flock_drop(li, f);
        drop_if_empty(li);
    }
    if (type == LOCK_NONE)
        return 0;
    int err = flock_wait(f, type, wait);
    if (err)
        return err;
    struct lock *n = kzalloc(sizeof(*n));
    li = n ? find_or_add_locked(f->inode) : NULL;
    if (!li) {
        kfree(n);
        return -ENOLCK;
    }
    *n = (struct lock){.next = li->flocks, .type = type, .end = LOCK_OFFSET_MAX, .owner = f};
    li->flocks = n;
    return 0;
}

/* Removes owner's record locks from li. */
static void drop_records_of(struct locked_inode *li, const void *owner)
{
    struct lock **pp = &li->records;
    while (*pp) {
        struct lock *l = *pp;
        if (l->owner == owner) {
            *pp = l->next;
            kfree(l);
        } else {
            pp = &l->next;
        }
    }
}

void lock_close_fd(struct file *f)
{
    struct locked_inode *li = find_locked(f->inode);
    if (!li)
        return;
    drop_records_of(li, &process_owner);
    drop_if_empty(li);
    waitq_wake_all(&lock_waiters);
}

void lock_release_file(struct file *f)
{
    struct locked_inode *li = find_locked(f->inode);
    if (!li)
        return;
    drop_records_of(li, f);
    flock_drop(li, f);
    drop_if_empty(li);
    waitq_wake_all(&lock_waiters);
}
