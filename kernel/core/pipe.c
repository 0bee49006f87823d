/*
 * Pipes: a ring buffer of up to PIPE_CAPACITY bytes between a read end and
 * a write end. The buffer starts at one page and doubles as data arrives,
 * so an idle pipe costs little on a small machine.
 *
 * Both ends are files on one anonymous FIFO inode, which has no name and
 * goes away with its last reference.
 */
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "sched.h"
#include "vfs.h"

#define PIPE_INITIAL 4096
#define PIPE_ATOMIC  4096 /* PIPE_BUF: writes up to this size are never split */

struct pipe {
    struct inode inode;
    uint8_t *buf;
    size_t cap, head, count; /* data is buf[head .. head+count) modulo cap */
    size_t limit;            /* what cap may grow to: F_SETPIPE_SZ's size */
    unsigned readers, writers;
    struct waitq readable, writable; /* readers wait for data, writers for room */
};

static const struct inode_ops pipe_iops;
static const struct file_ops pipe_read_ops, pipe_write_ops;
static uint64_t pipe_ino = 1;

static struct pipe *pipe_of(struct file *f)
{
    return container_of(f->inode, struct pipe, inode);
}

bool vfs_is_pipe(struct file *f)
{
    return f->ops == &pipe_read_ops || f->ops == &pipe_write_ops;
}

static ssize_t pipe_read(struct file *f, void *buf, size_t len, off_t off)
{
    (void)off;
    struct pipe *p = pipe_of(f);
    if (len == 0)
        return 0;
    if (p->count == 0 && p->writers && (f->flags & VFS_O_NONBLOCK))
        return -EAGAIN;
    int rc = wait_event(&p->readable, p->count || !p->writers, 0);
    if (rc)
        return rc;
    if (p->count == 0)
        return 0; /* no writer left: end of file */
    size_t n = MIN(len, p->count);
    size_t first = MIN(n, p->cap - p->head);
    memcpy(buf, p->buf + p->head, first);
    memcpy((uint8_t *)buf + first, p->buf, n - first);
    p->head = (p->head + n) % p->cap;
    p->count -= n;
    if (p->count == 0)
        p->head = 0;
    waitq_wake_all(&p->writable);
    return (ssize_t)n;
}

/* Moves the data to a buffer of cap bytes (at least count); false when out of memory. */
static bool pipe_realloc(struct pipe *p, size_t cap)
{
    uint8_t *nb = kmalloc(cap);
    if (!nb)
        return false;
    size_t first = MIN(p->count, p->cap - p->head);
    if (p->count) {
        memcpy(nb, p->buf + p->head, first);
        memcpy(nb + first, p->buf, p->count - first);
    }
    kfree(p->buf);
    p->buf = nb;
    p->cap = cap;
    p->head = 0;
    return true;
}

/* Grows the buffer toward its limit so that want more bytes fit (on no
 * memory it keeps the smaller buffer: the write is shorter, not lost). */
static void pipe_grow(struct pipe *p, size_t want)
{
    size_t cap = p->cap ? p->cap : MIN((size_t)PIPE_INITIAL, p->limit);
    while (cap < p->limit && cap - p->count < want)
        cap = MIN(cap * 2, p->limit);
    if (cap != p->cap)
        pipe_realloc(p, cap);
}

size_t vfs_pipe_size(struct file *f)
{
    return pipe_of(f)->limit;
}

long vfs_pipe_set_size(struct file *f, size_t size)
{
    struct pipe *p = pipe_of(f);
    if (size < p->count)
        return -EBUSY;
    if (p->cap > size && !pipe_realloc(p, size))
        return -ENOMEM;
    p->limit = size;
    waitq_wake_all(&p->writable); /* a bigger pipe has room for a waiting writer */
    return (long)size;
}

static void pipe_put_bytes(struct pipe *p, const uint8_t *src, size_t n)
{
    size_t tail = (p->head + p->count) % p->cap;
    size_t first = MIN(n, p->cap - tail);
    memcpy(p->buf + tail, src, first);
    memcpy(p->buf, src + first, n - first);
    p->count += n;
}

/* Room for the next piece of a write: all of it when it is small enough to
 * be atomic (PIPE_BUF), else any. */
static bool pipe_has_room(struct pipe *p, size_t want)
{
    size_t space = p->cap - p->count;
    return space >= MIN(want, (size_t)PIPE_ATOMIC) && space > 0;
}

static ssize_t pipe_write(struct file *f, const void *buf, size_t len, off_t off)
{
    (void)off;
    struct pipe *p = pipe_of(f);
    size_t done = 0;
    /* EPIPE: the write system call raises SIGPIPE too (kernel/linux/read_write.c). */
    while (done < len) {
        if (p->readers == 0)
            return done ? (ssize_t)done : -EPIPE;
        pipe_grow(p, len - done);
        if (!p->buf)
            return done ? (ssize_t)done : -ENOMEM;
        if (!pipe_has_room(p, len - done)) {
            if (f->flags & VFS_O_NONBLOCK)
                return done ? (ssize_t)done : -EAGAIN;
            int rc = wait_event(&p->writable, pipe_has_room(p, len - done) || !p->readers, 0);
            if (rc)
                return done ? (ssize_t)done : rc;
            continue;
        }
        size_t n = MIN(len - done, p->cap - p->count);
        pipe_put_bytes(p, (const uint8_t *)buf + done, n);
        done += n;
        waitq_wake_all(&p->readable);
    }
    return (ssize_t)done;
}

static ssize_t pipe_nread(struct file *f)
{
    return (ssize_t)pipe_of(f)->count;
}

static unsigned pipe_poll_read(struct file *f)
{
    struct pipe *p = pipe_of(f);
    unsigned ev = p->count ? VFS_POLL_IN : 0;
    return p->writers ? ev : ev | VFS_POLL_HUP;
}

static unsigned pipe_poll_write(struct file *f)
{
    struct pipe *p = pipe_of(f);
    if (p->readers == 0)
        return VFS_POLL_ERR;
    return p->count < PIPE_CAPACITY ? VFS_POLL_OUT : 0;
}

/* Writes and the write end's close wake readable, reads and the read
 * end's close writable: exactly when each end's poll answer changes. */
static struct waitq *pipe_queue_read(struct file *f)
{
    return &pipe_of(f)->readable;
}

static struct waitq *pipe_queue_write(struct file *f)
{
    return &pipe_of(f)->writable;
}

static void pipe_release_read(struct file *f)
{
    struct pipe *p = pipe_of(f);
    p->readers--;
    waitq_wake_all(&p->writable);
}

static void pipe_release_write(struct file *f)
{
    struct pipe *p = pipe_of(f);
    p->writers--;
    waitq_wake_all(&p->readable);
}

static void pipe_evict(struct inode *ip)
{
    struct pipe *p = container_of(ip, struct pipe, inode);
    kfree(p->buf);
    kfree(p);
}

static const struct inode_ops pipe_iops = {
    .evict = pipe_evict,
};

static const struct file_ops pipe_read_ops = {
    .read = pipe_read,
    .nread = pipe_nread,
    .poll = pipe_poll_read,
    .poll_queue = pipe_queue_read,
    .release = pipe_release_read,
};

static const struct file_ops pipe_write_ops = {
    .write = pipe_write,
    .nread = pipe_nread,
    .poll = pipe_poll_write,
    .poll_queue = pipe_queue_write,
    .release = pipe_release_write,
};

int vfs_pipe(unsigned flags, struct file **rd, struct file **wr)
{
    struct pipe *p = kzalloc(sizeof(*p));
    if (!p)
        return -ENFILE;
    uint64_t now = vfs_now_ns();
    p->inode.type = VFS_FIFO;
    p->inode.mode = 0600;
    p->inode.ino = pipe_ino++;
    p->inode.atime_ns = p->inode.mtime_ns = p->inode.ctime_ns = now;
    p->inode.iops = &pipe_iops;
    p->readers = p->writers = 1;
    p->limit = PIPE_CAPACITY;
    unsigned common = flags & VFS_O_NONBLOCK;
    *rd = vfs_file_alloc(&p->inode, &pipe_read_ops, VFS_O_READ | common);
    *wr = *rd ? vfs_file_alloc(&p->inode, &pipe_write_ops, VFS_O_WRITE | common) : NULL;
    if (!*wr) {
        if (*rd)
            file_put(*rd); /* the last reference: frees the pipe too */
        else
            kfree(p);
        return -ENFILE;
    }
    return 0;
}
