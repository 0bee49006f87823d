/*
 * Waiting for readiness: poll, ppoll, select, pselect6 and epoll, and
 * eventfd, which exists to be waited for. Every file answers its poll
 * method; those whose answer can change name a wait queue (file_ops
 * poll_queue: pipes, sockets, eventfds), and the waits here sleep on those
 * queues through a poll set (poll.h) until one is woken or time runs out.
 * In the kernel proper, not the network object: programs without sockets
 * (Go's runtime, for one) use them too.
 */
#include "abi.h"
#include "clock.h"
#include "errno.h"
#include "fd.h"
#include "lib.h"
#include "mm.h"
#include "poll.h"
#include "sched.h"
#include "signal.h"
#include "syscalls.h"
#include "vfs.h"

#define POLLIN     0x1
#define POLLPRI    0x2
#define POLLOUT    0x4
#define POLLERR    0x8
#define POLLHUP    0x10
#define POLLNVAL   0x20
#define POLLRDNORM 0x40
#define POLLWRNORM 0x100

#define EPOLLIN       0x1
#define EPOLLOUT      0x4
#define EPOLLERR      0x8
#define EPOLLHUP      0x10
#define EPOLLRDHUP    0x2000
#define EPOLLONESHOT  (1u << 30)
#define EPOLLET       (1u << 31)
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

#define EFD_SEMAPHORE 1

#define NS_PER_MS 1000000ULL

struct linux_pollfd {
    int fd;
    short events, revents;
};

struct linux_timeval {
    long sec, usec;
};

#if defined(__x86_64__)
#define EPOLL_PACKED __attribute__((packed))
#else
#define EPOLL_PACKED
#endif
struct linux_epoll_event {
    uint32_t events;
    uint64_t data;
} EPOLL_PACKED;

static int install(struct file *f, bool cloexec)
{
    int fd = fd_alloc(f, 0, cloexec);
    if (fd < 0)
        file_put(f);
    return fd;
}

/* ---- eventfd ------------------------------------------------------------ */

struct eventfd {
    struct inode inode;
    uint64_t count;
    bool semaphore;
    struct waitq wq;
};

static const struct file_ops eventfd_ops;

static struct eventfd *eventfd_of(struct file *f)
{
    return container_of(f->inode, struct eventfd, inode);
}

static void eventfd_wake(struct eventfd *e)
{
    waitq_wake_all(&e->wq);
}

static ssize_t eventfd_read(struct file *f, void *buf, size_t len, off_t off)
{
    struct eventfd *e = eventfd_of(f);
    (void)off;
    if (len < sizeof(uint64_t))
        return -EINVAL;
    if (!e->count && (f->flags & VFS_O_NONBLOCK))
        return -EAGAIN;
    int rc = wait_event(&e->wq, e->count != 0, 0);
    if (rc < 0)
        return rc;
    uint64_t v = e->semaphore ? 1 : e->count;
    e->count -= v;
    memcpy(buf, &v, sizeof(v));
    eventfd_wake(e);
    return sizeof(v);
}

static ssize_t eventfd_write(struct file *f, const void *buf, size_t len, off_t off)
{
    struct eventfd *e = eventfd_of(f);
    uint64_t v;
    (void)off;
    if (len < sizeof(v))
        return -EINVAL;
    memcpy(&v, buf, sizeof(v));
    if (v == UINT64_MAX)
        return -EINVAL;
    if (UINT64_MAX - 1 - e->count < v && (f->flags & VFS_O_NONBLOCK))
        return -EAGAIN;
    int rc = wait_event(&e->wq, UINT64_MAX - 1 - e->count >= v, 0);
    if (rc < 0)
        return rc;
    e->count += v;
    eventfd_wake(e);
    return sizeof(v);
}

static unsigned eventfd_poll(struct file *f)
{
    struct eventfd *e = eventfd_of(f);
    return (e->count ? VFS_POLL_IN : 0) | (e->count < UINT64_MAX - 1 ? VFS_POLL_OUT : 0);
}

/* Readers and writers wait on the same queue: a change either way wakes it. */
static struct waitq *eventfd_queue(struct file *f)
{
    return &eventfd_of(f)->wq;
}

static const struct file_ops eventfd_ops = {
    .read = eventfd_read,
    .write = eventfd_write,
    .poll = eventfd_poll,
    .poll_queue = eventfd_queue,
};

static void own_inode_evict(struct inode *ip)
{
    kfree(ip); /* the inode is the first member of its object */
}

static const struct inode_ops own_iops = {.evict = own_inode_evict};

static void own_inode_init(struct inode *ip, const struct file_ops *fops)
{
    static uint64_t ino = 1;
    ip->type = VFS_FIFO;
    ip->mode = 0600;
    ip->ino = ino++;
    ip->iops = &own_iops;
    ip->fops = fops;
    ip->atime_ns = ip->mtime_ns = ip->ctime_ns = vfs_now_ns();
}

SYSCALL_DEFINE2(eventfd2, unsigned, initval, int, flags)
{
    if (flags & ~(EFD_SEMAPHORE | O_NONBLOCK | O_CLOEXEC))
        return -EINVAL;
    struct eventfd *e = kzalloc(sizeof(*e));
    if (!e)
        return -ENOMEM;
    own_inode_init(&e->inode, &eventfd_ops);
    e->count = initval;
    e->semaphore = flags & EFD_SEMAPHORE;
    waitq_init(&e->wq);
    struct file *f =
        vfs_file_alloc(&e->inode, &eventfd_ops,
                       VFS_O_READ | VFS_O_WRITE | (flags & O_NONBLOCK ? VFS_O_NONBLOCK : 0));
    if (!f) {
        kfree(e);
        return -ENFILE;
    }
    return install(f, flags & O_CLOEXEC);
}

SYSCALL_DEFINE1(eventfd, unsigned, initval)
{
    struct syscall_args a = {.a = {initval, 0}};
    return sys_eventfd2(&a);
}

/* ---- waiting for readiness ---------------------------------------------- */

static uint64_t deadline_after_ns(int64_t ns)
{
    return ns < 0 ? 0 : clock_monotonic_ns() + (uint64_t)ns + 1;
}

static int timespec_deadline(const struct linux_timespec *ts, uint64_t *deadline, bool *zero)
{
    *deadline = 0;
    *zero = false;
    if (!ts)
        return 0;
    if (!user_readable(ts, sizeof(*ts)))
        return -EFAULT;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
        return -EINVAL;
    int64_t ns = ts->tv_sec * 1000000000LL + ts->tv_nsec;
    *zero = ns == 0;
    *deadline = deadline_after_ns(ns);
    return 0;
}

static short poll_bits(unsigned vfs_bits)
{
    short r = 0;
    if (vfs_bits & VFS_POLL_IN)
        r |= POLLIN | POLLRDNORM;
    if (vfs_bits & VFS_POLL_OUT)
        r |= POLLOUT | POLLWRNORM;
    if (vfs_bits & VFS_POLL_ERR)
        r |= POLLERR;
    if (vfs_bits & VFS_POLL_HUP)
        r |= POLLHUP;
    return r;
}

static int poll_scan(struct linux_pollfd *fds, unsigned nfds, struct poll_set *ps)
{
    int ready = 0;
    for (unsigned i = 0; i < nfds; i++) {
        fds[i].revents = 0;
        if (fds[i].fd < 0)
            continue;
        struct file *f = fd_get(fds[i].fd);
        if (!f) {
            fds[i].revents = POLLNVAL;
        } else {
            fds[i].revents = poll_bits(poll_set_file(ps, f)) & (fds[i].events | POLLERR | POLLHUP);
        }
        ready += fds[i].revents != 0;
    }
    return ready;
}

static long poll_until(struct linux_pollfd *fds, unsigned nfds, uint64_t deadline, bool once)
{
    if (nfds > (unsigned)fd_limit())
        return -EINVAL;
    if (nfds && !user_writable(fds, nfds * sizeof(*fds)))
        return -EFAULT;
    struct poll_set ps;
    poll_set_init(&ps, nfds);
    int ready, rc = 0;
    while (!(ready = poll_scan(fds, nfds, &ps)) && !once &&
           (rc = poll_set_sleep(&ps, deadline)) == 0)
        ;
    poll_set_done(&ps);
    return ready || rc == -ETIMEDOUT ? ready : rc;
}

SYSCALL_DEFINE3(poll, struct linux_pollfd *, fds, unsigned, nfds, int, timeout_ms)
{
    return poll_until(fds, nfds,
                      deadline_after_ns(timeout_ms < 0 ? -1 : timeout_ms * (int64_t)NS_PER_MS),
                      timeout_ms == 0);
}

SYSCALL_DEFINE5(ppoll, struct linux_pollfd *, fds, unsigned, nfds, const struct linux_timespec *,
                ts, const uint64_t *, sigmask, size_t, setsize)
{
    uint64_t deadline;
    bool zero;
    int rc = timespec_deadline(ts, &deadline, &zero);
    if (rc == 0)
        rc = (int)signal_wait_mask(sigmask, setsize);
    return rc < 0 ? rc : poll_until(fds, nfds, deadline, zero);
}

/* select: three bitmaps over [0, nfds). */
struct fdsets {
    unsigned long *in, *out, *ex;
};

#define LONG_BITS (8 * sizeof(unsigned long))

static bool bit_get(const unsigned long *set, int fd)
{
    return set && (set[fd / LONG_BITS] >> (fd % LONG_BITS)) & 1;
}

static int select_scan(int nfds, const struct fdsets *want, struct fdsets *got, struct poll_set *ps)
{
    int ready = 0;
    size_t words = ((size_t)nfds + LONG_BITS - 1) / LONG_BITS;
    for (unsigned long **s = &got->in; s <= &got->ex; s++)
        if (*s)
            memset(*s, 0, words * sizeof(long));
    for (int fd = 0; fd < nfds; fd++) {
        bool in = bit_get(want->in, fd), out = bit_get(want->out, fd), ex = bit_get(want->ex, fd);
        if (!in && !out && !ex)
            continue;
        struct file *f = fd_get(fd);
        if (!f)
            return -EBADF;
        unsigned bits = poll_set_file(ps, f);
        bool r_in = in && (bits & (VFS_POLL_IN | VFS_POLL_HUP | VFS_POLL_ERR));
        bool r_out = out && (bits & (VFS_POLL_OUT | VFS_POLL_ERR));
        bool r_ex = ex && (bits & VFS_POLL_ERR);
        if (r_in)
            got->in[fd / LONG_BITS] |= 1UL << (fd % LONG_BITS);
        if (r_out)
            got->out[fd / LONG_BITS] |= 1UL << (fd % LONG_BITS);
        if (r_ex)
            got->ex[fd / LONG_BITS] |= 1UL << (fd % LONG_BITS);
        ready += r_in + r_out + r_ex;
    }
    return ready;
}

static long select_until(int nfds, struct fdsets *user, uint64_t deadline, bool once)
{
    if (nfds < 0 || nfds > fd_limit())
        return -EINVAL;
    size_t bytes = ((size_t)nfds + LONG_BITS - 1) / LONG_BITS * sizeof(long);
    unsigned long want_words[3][FD_LIMIT / LONG_BITS];
    struct fdsets want = {0};
    unsigned long **w = &want.in, **u = &user->in;
    for (int i = 0; i < 3; i++) {
        if (!u[i])
            continue;
        if (bytes && !user_writable(u[i], bytes))
            return -EFAULT;
        memcpy(want_words[i], u[i], bytes);
        w[i] = want_words[i];
    }
    struct poll_set ps;
    poll_set_init(&ps, (size_t)nfds);
    int ready, rc = 0;
    while (!(ready = select_scan(nfds, &want, user, &ps)) && !once &&
           (rc = poll_set_sleep(&ps, deadline)) == 0)
        ;
    poll_set_done(&ps);
    return ready || rc == -ETIMEDOUT ? ready : rc;
}

SYSCALL_DEFINE5(select, int, nfds, unsigned long *, in, unsigned long *, out, unsigned long *, ex,
                struct linux_timeval *, tv)
{
    struct fdsets sets = {in, out, ex};
    if (!tv)
        return select_until(nfds, &sets, 0, false);
    if (!user_readable(tv, sizeof(*tv)))
        return -EFAULT;
    if (tv->sec < 0 || tv->usec < 0)
        return -EINVAL;
    int64_t ns = tv->sec * 1000000000LL + tv->usec * 1000LL;
    return select_until(nfds, &sets, deadline_after_ns(ns), ns == 0);
}

/* pselect6's sixth argument points at the mask and its size, not at the mask. */
struct pselect_mask {
    const uint64_t *mask;
    size_t size;
};

SYSCALL_DEFINE6(pselect6, int, nfds, unsigned long *, in, unsigned long *, out, unsigned long *, ex,
                const struct linux_timespec *, ts, const struct pselect_mask *, sigmask)
{
    struct fdsets sets = {in, out, ex};
    uint64_t deadline;
    bool zero;
    int rc = timespec_deadline(ts, &deadline, &zero);
    if (rc == 0 && sigmask) {
        if (!user_readable(sigmask, sizeof(*sigmask)))
            return -EFAULT;
        rc = (int)signal_wait_mask(sigmask->mask, sigmask->size);
    }
    return rc < 0 ? rc : select_until(nfds, &sets, deadline, zero);
}

/* ---- epoll -------------------------------------------------------------- */

struct epoll_item {
    int fd;
    struct file *file; /* not a reference: a closed fd drops out of the set */
    uint64_t serial;   /* file's: a new file at the old one's address is not it */
    uint32_t events;
    uint64_t data;
    uint32_t last; /* bits last reported, for EPOLLET's output edge */
};

struct epoll {
    struct inode inode;
    struct epoll_item *items;
    size_t n, cap;
};

static void epoll_release(struct file *f)
{
    struct epoll *ep = container_of(f->inode, struct epoll, inode);
    kfree(ep->items);
    ep->items = NULL;
    ep->n = 0;
}

static const struct file_ops epoll_ops = {.release = epoll_release};

static struct epoll *epoll_of(int fd)
{
    struct file *f = fd_get(fd);
    return f && f->ops == &epoll_ops ? container_of(f->inode, struct epoll, inode) : NULL;
}

SYSCALL_DEFINE1(epoll_create1, int, flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    struct epoll *ep = kzalloc(sizeof(*ep));
    if (!ep)
        return -ENOMEM;
    own_inode_init(&ep->inode, &epoll_ops);
    struct file *f = vfs_file_alloc(&ep->inode, &epoll_ops, VFS_O_READ);
    if (!f) {
        kfree(ep);
        return -ENFILE;
    }
    return install(f, flags & O_CLOEXEC);
}

SYSCALL_DEFINE1(epoll_create, int, size)
{
    if (size <= 0)
        return -EINVAL;
    struct syscall_args a = {.a = {0}};
    return sys_epoll_create1(&a);
}

/* Whether it still names the file it was added for: its fd open on that
 * very file, not on a newer one the allocator placed at the same address. */
static bool epoll_item_live(const struct epoll_item *it)
{
    struct file *f = fd_get(it->fd);
    return f && f == it->file && f->serial == it->serial;
}

/* Forgets items whose fd was closed, as Linux does at close: before an add,
 * so that a new file on a reused number is not taken for the old one. */
static void epoll_prune(struct epoll *ep)
{
    for (size_t i = 0; i < ep->n;)
        if (epoll_item_live(&ep->items[i]))
            i++;
        else
            ep->items[i] = ep->items[--ep->n];
}

static struct epoll_item *epoll_find(struct epoll *ep, int fd, struct file *f)
{
    for (size_t i = 0; i < ep->n; i++)
        if (ep->items[i].fd == fd && ep->items[i].file == f && ep->items[i].serial == f->serial)
            return &ep->items[i];
    return NULL;
}

static int epoll_add(struct epoll *ep, int fd, struct file *f, const struct linux_epoll_event *ev)
{
    if (ep->n == ep->cap) {
        size_t cap = ep->cap ? ep->cap * 2 : 16;
        struct epoll_item *items = krealloc(ep->items, cap * sizeof(*items));
        if (!items)
            return -ENOMEM;
        ep->items = items;
        ep->cap = cap;
    }
    ep->items[ep->n++] = (struct epoll_item){fd, f, f->serial, ev->events, ev->data, 0};
    return 0;
}

SYSCALL_DEFINE4(epoll_ctl, int, epfd, int, op, int, fd, struct linux_epoll_event *, uev)
{
    struct epoll *ep = epoll_of(epfd);
    struct file *f = fd_get(fd);
    if (!ep || !f)
        return -EBADF;
    if (f->ops == &epoll_ops && fd == epfd)
        return -EINVAL;
    struct linux_epoll_event ev = {0, 0};
    if (op != EPOLL_CTL_DEL) {
        if (!user_readable(uev, sizeof(ev)))
            return -EFAULT;
        memcpy(&ev, uev, sizeof(ev));
    }
    epoll_prune(ep);
    struct epoll_item *it = epoll_find(ep, fd, f);
    switch (op) {
    case EPOLL_CTL_ADD:
        return it ? -EEXIST : epoll_add(ep, fd, f, &ev);
    case EPOLL_CTL_MOD:
        if (!it)
            return -ENOENT;
        it->events = ev.events;
        it->data = ev.data;
        it->last = 0;
        return 0;
    case EPOLL_CTL_DEL:
        if (!it)
            return -ENOENT;
        *it = ep->items[--ep->n];
        return 0;
    }
    return -EINVAL;
}

static uint32_t epoll_bits(unsigned vfs_bits)
{
    return (uint32_t)(uint16_t)poll_bits(vfs_bits) & (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP);
}

/* Level-triggered, except that EPOLLET reports EPOLLOUT only when it
 * appears: input stays level-triggered, which an edge-triggered program
 * that reads until EAGAIN cannot tell apart. */
static int epoll_scan(struct epoll *ep, struct linux_epoll_event *out, int max, struct poll_set *ps)
{
    int n = 0;
    for (size_t i = 0; i < ep->n && n < max;) {
        struct epoll_item *it = &ep->items[i];
        if (!epoll_item_live(it)) {
            *it = ep->items[--ep->n]; /* closed: Linux drops it too */
            continue;
        }
        uint32_t ready =
            epoll_bits(poll_set_file(ps, it->file)) & (it->events | EPOLLERR | EPOLLHUP);
        uint32_t report = ready;
        if (it->events & EPOLLET)
            report &= ~(it->last & EPOLLOUT);
        it->last = ready;
        if (report && (it->events & ~(EPOLLET | EPOLLONESHOT))) {
            struct linux_epoll_event ev = {report, it->data};
            memcpy(&out[n++], &ev, sizeof(ev));
            if (it->events & EPOLLONESHOT)
                it->events &= EPOLLET | EPOLLONESHOT;
        }
        i++;
    }
    return n;
}

static long epoll_wait_until(int epfd, struct linux_epoll_event *events, int max, uint64_t deadline,
                             bool once)
{
    struct epoll *ep = epoll_of(epfd);
    if (!ep)
        return -EBADF;
    if (max <= 0)
        return -EINVAL;
    if (!user_writable(events, (size_t)max * sizeof(*events)))
        return -EFAULT;
    struct poll_set ps;
    poll_set_init(&ps, ep->n);
    int n, rc = 0;
    while (!(n = epoll_scan(ep, events, max, &ps)) && !once &&
           (rc = poll_set_sleep(&ps, deadline)) == 0)
        ;
    poll_set_done(&ps);
    return n || rc == -ETIMEDOUT ? n : rc;
}

SYSCALL_DEFINE4(epoll_wait, int, epfd, struct linux_epoll_event *, events, int, max, int,
                timeout_ms)
{
    return epoll_wait_until(
        epfd, events, max, deadline_after_ns(timeout_ms < 0 ? -1 : timeout_ms * (int64_t)NS_PER_MS),
        timeout_ms == 0);
}

SYSCALL_DEFINE6(epoll_pwait, int, epfd, struct linux_epoll_event *, events, int, max, int,
                timeout_ms, const uint64_t *, sigmask, size_t, setsize)
{
    long rc = signal_wait_mask(sigmask, setsize);
    if (rc < 0)
        return rc;
    return epoll_wait_until(
        epfd, events, max, deadline_after_ns(timeout_ms < 0 ? -1 : timeout_ms * (int64_t)NS_PER_MS),
        timeout_ms == 0);
}
