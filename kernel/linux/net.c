/*
 * The Linux socket calls, and the readiness calls that go with them (poll,
 * select, epoll, eventfd), translated to the network stack (net.h) and the
 * VFS. Built into the network object (lib/unikit/ARCH/net.o): a program
 * that never uses these calls carries none of it.
 *
 * Readiness: sockets and eventfds wake net_poll_queue() on every change;
 * poll, select and epoll sleep there. Files without a wait queue of their
 * own (pipes, the console) are re-checked every POLL_RECHECK_NS.
 */
#include "abi.h"
#include "clock.h"
#include "errno.h"
#include "fd.h"
#include "lib.h"
#include "mm.h"
#include "net.h"
#include "sched.h"
#include "syscalls.h"
#include "vfs.h"

#define AF_INET        2
#define SOCK_STREAM    1
#define SOCK_DGRAM     2
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK  O_NONBLOCK
#define SOCK_CLOEXEC   O_CLOEXEC
#define IPPROTO_TCP    6
#define IPPROTO_UDP    17
#define SOL_SOCKET     1
#define SO_REUSEADDR   2
#define SO_TYPE        3
#define SO_ERROR       4
#define SO_SNDBUF      7
#define SO_RCVBUF      8
#define SO_KEEPALIVE   9
#define SO_REUSEPORT   15
#define SO_ACCEPTCONN  30
#define TCP_NODELAY    1
#define MSG_PEEK       0x2
#define MSG_DONTWAIT   0x40
#define SHUT_RD        0
#define SHUT_WR        1
#define SHUT_RDWR      2

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

#define POLL_RECHECK_NS 10000000ULL
#define NS_PER_MS       1000000ULL

struct linux_sockaddr_in {
    uint16_t family;
    uint16_t port; /* network byte order */
    uint32_t addr; /* network byte order */
    uint8_t zero[8];
};

struct linux_msghdr {
    void *name;
    uint32_t namelen;
    struct linux_iovec *iov;
    size_t iovlen;
    void *control;
    size_t controllen;
    int flags;
};

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

static uint16_t swap16(uint16_t v)
{
    return (uint16_t)(v << 8 | v >> 8);
}

/* ---- addresses ---------------------------------------------------------- */

static int addr_in(const void *uaddr, uint32_t len, struct net_addr *out)
{
    struct linux_sockaddr_in sin;
    if (len < sizeof(uint16_t) + sizeof(uint16_t) + sizeof(uint32_t))
        return -EINVAL;
    if (!user_readable(uaddr, MIN(len, sizeof(sin))))
        return -EFAULT;
    memset(&sin, 0, sizeof(sin));
    memcpy(&sin, uaddr, MIN(len, sizeof(sin)));
    if (sin.family != AF_INET)
        return -EAFNOSUPPORT;
    *out = (struct net_addr){sin.addr, swap16(sin.port)};
    return 0;
}

/* Writes a sockaddr_in to (uaddr, *ulen) as Linux does: truncated to the
 * caller's buffer, *ulen set to the full size. */
static int addr_out(const struct net_addr *a, void *uaddr, uint32_t *ulen)
{
    if (!uaddr || !ulen)
        return 0;
    if (!user_writable(ulen, sizeof(*ulen)))
        return -EFAULT;
    struct linux_sockaddr_in sin = {.family = AF_INET, .port = swap16(a->port), .addr = a->ip};
    uint32_t n = MIN(*ulen, (uint32_t)sizeof(sin));
    if (n && !user_writable(uaddr, n))
        return -EFAULT;
    memcpy(uaddr, &sin, n);
    *ulen = sizeof(sin);
    return 0;
}

static struct file *socket_of(int fd, int *err)
{
    struct file *f = fd_get(fd);
    *err = !f ? -EBADF : !net_is_socket(f) ? -ENOTSOCK : 0;
    return *err ? NULL : f;
}

static int install(struct file *f, bool cloexec)
{
    int fd = fd_alloc(f, 0, cloexec);
    if (fd < 0)
        file_put(f);
    return fd;
}

/* ---- socket calls ------------------------------------------------------- */

SYSCALL_DEFINE3(socket, int, domain, int, type, int, protocol)
{
    if (domain != AF_INET)
        return -EAFNOSUPPORT;
    int kind = type & SOCK_TYPE_MASK;
    if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    if ((kind == SOCK_STREAM && protocol && protocol != IPPROTO_TCP) ||
        (kind == SOCK_DGRAM && protocol && protocol != IPPROTO_UDP))
        return -EPROTONOSUPPORT;
    struct file *f;
    int rc = net_socket(kind == SOCK_STREAM  ? NET_STREAM
                        : kind == SOCK_DGRAM ? NET_DGRAM
                                             : -1,
                        type & SOCK_NONBLOCK ? VFS_O_NONBLOCK : 0, &f);
    if (rc < 0)
        return rc;
    return install(f, type & SOCK_CLOEXEC);
}

SYSCALL_DEFINE3(bind, int, fd, const void *, uaddr, uint32_t, len)
{
    int err;
    struct file *f = socket_of(fd, &err);
    struct net_addr a;
    if (!f || (err = addr_in(uaddr, len, &a)) < 0)
        return err;
    return net_bind(f, &a);
}

SYSCALL_DEFINE2(listen, int, fd, int, backlog)
{
    int err;
    struct file *f = socket_of(fd, &err);
    return f ? net_listen(f, backlog) : err;
}

SYSCALL_DEFINE4(accept4, int, fd, void *, uaddr, uint32_t *, ulen, int, flags)
{
    int err;
    struct file *f = socket_of(fd, &err), *nf;
    if (!f)
        return err;
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    struct net_addr peer;
    int rc = net_accept(f, flags & SOCK_NONBLOCK ? VFS_O_NONBLOCK : 0, &nf, &peer);
    if (rc < 0)
        return rc;
    int nfd = install(nf, flags & SOCK_CLOEXEC);
    if (nfd >= 0 && addr_out(&peer, uaddr, ulen) < 0) {
        fd_close(nfd);
        return -EFAULT;
    }
    return nfd;
}

SYSCALL_DEFINE3(accept, int, fd, void *, uaddr, uint32_t *, ulen)
{
    struct syscall_args a = {.a = {fd, (long)uaddr, (long)ulen, 0}};
    return sys_accept4(&a);
}

SYSCALL_DEFINE3(connect, int, fd, const void *, uaddr, uint32_t, len)
{
    int err;
    struct file *f = socket_of(fd, &err);
    struct net_addr a;
    if (!f || (err = addr_in(uaddr, len, &a)) < 0)
        return err;
    return net_connect(f, &a);
}

static int net_flags(int flags)
{
    return (flags & MSG_DONTWAIT ? NET_DONTWAIT : 0) | (flags & MSG_PEEK ? NET_PEEK : 0);
}

SYSCALL_DEFINE6(sendto, int, fd, const void *, buf, size_t, len, int, flags, const void *, uaddr,
                uint32_t, alen)
{
    int err;
    struct file *f = socket_of(fd, &err);
    struct net_addr a;
    if (!f)
        return err;
    if (uaddr && (err = addr_in(uaddr, alen, &a)) < 0)
        return err;
    if (len && !user_readable(buf, len))
        return -EFAULT;
    return net_sendto(f, buf, len, net_flags(flags), uaddr ? &a : NULL);
}

SYSCALL_DEFINE6(recvfrom, int, fd, void *, buf, size_t, len, int, flags, void *, uaddr, uint32_t *,
                ulen)
{
    int err;
    struct file *f = socket_of(fd, &err);
    if (!f)
        return err;
    if (len && !user_writable(buf, len))
        return -EFAULT;
    struct net_addr from = {0, 0};
    ssize_t n = net_recvfrom(f, buf, len, net_flags(flags), &from);
    if (n >= 0 && addr_out(&from, uaddr, ulen) < 0)
        return -EFAULT;
    return n;
}

/* Gathers or scatters a message's vector through one kernel buffer: a
 * datagram must leave or arrive whole. */
static long msg_check(const struct linux_msghdr *m, bool to_user, size_t *total)
{
    if (!user_readable(m, sizeof(*m)) || m->iovlen > 1024)
        return -EFAULT;
    if (m->iovlen && !user_readable(m->iov, m->iovlen * sizeof(*m->iov)))
        return -EFAULT;
    *total = 0;
    for (size_t i = 0; i < m->iovlen; i++) {
        struct linux_iovec v = m->iov[i];
        if (v.iov_len && (to_user ? !user_writable(v.iov_base, v.iov_len)
                                  : !user_readable(v.iov_base, v.iov_len)))
            return -EFAULT;
        *total += v.iov_len;
    }
    return *total > (1u << 30) ? -EMSGSIZE : 0;
}

SYSCALL_DEFINE3(sendmsg, int, fd, const struct linux_msghdr *, m, int, flags)
{
    int err;
    struct file *f = socket_of(fd, &err);
    size_t total;
    if (!f || (err = (int)msg_check(m, false, &total)) < 0)
        return err;
    struct net_addr a;
    if (m->name && (err = addr_in(m->name, m->namelen, &a)) < 0)
        return err;
    uint8_t *buf = kmalloc(total ? total : 1);
    if (!buf)
        return -ENOMEM;
    size_t off = 0;
    for (size_t i = 0; i < m->iovlen; i++) {
        memcpy(buf + off, m->iov[i].iov_base, m->iov[i].iov_len);
        off += m->iov[i].iov_len;
    }
    ssize_t n = net_sendto(f, buf, total, net_flags(flags), m->name ? &a : NULL);
    kfree(buf);
    return n;
}

SYSCALL_DEFINE3(recvmsg, int, fd, struct linux_msghdr *, m, int, flags)
{
    int err;
    struct file *f = socket_of(fd, &err);
    size_t total;
    if (!f || (err = (int)msg_check(m, true, &total)) < 0)
        return err;
    if (!user_writable(m, sizeof(*m)))
        return -EFAULT;
    uint8_t *buf = kmalloc(total ? total : 1);
    if (!buf)
        return -ENOMEM;
    struct net_addr from = {0, 0};
    ssize_t n = net_recvfrom(f, buf, total, net_flags(flags), &from);
    for (size_t i = 0, off = 0; n > 0 && i < m->iovlen && off < (size_t)n; i++) {
        size_t c = MIN(m->iov[i].iov_len, (size_t)n - off);
        memcpy(m->iov[i].iov_base, buf + off, c);
        off += c;
    }
    kfree(buf);
    if (n >= 0) {
        m->controllen = 0;
        m->flags = 0;
        if (m->name && addr_out(&from, m->name, &m->namelen) < 0)
            return -EFAULT;
    }
    return n;
}

SYSCALL_DEFINE2(shutdown, int, fd, int, how)
{
    int err;
    struct file *f = socket_of(fd, &err);
    if (!f)
        return err;
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    return net_shutdown(f, how == SHUT_RD   ? NET_SHUT_RD
                           : how == SHUT_WR ? NET_SHUT_WR
                                            : NET_SHUT_RD | NET_SHUT_WR);
}

static long sockname(int fd, void *uaddr, uint32_t *ulen, bool peer)
{
    int err;
    struct file *f = socket_of(fd, &err);
    struct net_addr a;
    if (!f || (err = net_name(f, peer, &a)) < 0)
        return err;
    if (!uaddr || !ulen)
        return -EFAULT;
    return addr_out(&a, uaddr, ulen);
}

SYSCALL_DEFINE3(getsockname, int, fd, void *, uaddr, uint32_t *, ulen)
{
    return sockname(fd, uaddr, ulen, false);
}

SYSCALL_DEFINE3(getpeername, int, fd, void *, uaddr, uint32_t *, ulen)
{
    return sockname(fd, uaddr, ulen, true);
}

/* Maps (level, name) to the stack's option; -1 for those it does not know. */
static int option(int level, int name)
{
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR:
            return NET_OPT_REUSEADDR;
        case SO_KEEPALIVE:
            return NET_OPT_KEEPALIVE;
        case SO_RCVBUF:
            return NET_OPT_RCVBUF;
        case SO_SNDBUF:
            return NET_OPT_SNDBUF;
        case SO_ERROR:
            return NET_OPT_ERROR;
        case SO_TYPE:
            return NET_OPT_TYPE;
        case SO_ACCEPTCONN:
            return NET_OPT_ACCEPTCONN;
        }
    } else if (level == IPPROTO_TCP && name == TCP_NODELAY) {
        return NET_OPT_NODELAY;
    }
    return -1;
}

SYSCALL_DEFINE5(setsockopt, int, fd, int, level, int, name, const void *, val, uint32_t, len)
{
    int err;
    struct file *f = socket_of(fd, &err);
    if (!f)
        return err;
    if (len < sizeof(int))
        return -EINVAL;
    if (!user_readable(val, sizeof(int)))
        return -EFAULT;
    if (level == SOL_SOCKET && name == SO_REUSEPORT)
        return 0; /* one process: nothing to share a port with */
    int opt = option(level, name);
    return opt < 0 ? -ENOPROTOOPT : net_setopt(f, (enum net_opt)opt, *(const int *)val);
}

SYSCALL_DEFINE5(getsockopt, int, fd, int, level, int, name, void *, val, uint32_t *, ulen)
{
    int err;
    struct file *f = socket_of(fd, &err);
    if (!f)
        return err;
    if (!user_writable(ulen, sizeof(*ulen)))
        return -EFAULT;
    int value = 0, opt = option(level, name);
    if (level == SOL_SOCKET && name == SO_REUSEPORT)
        opt = -2;
    else if (opt < 0)
        return -ENOPROTOOPT;
    if (opt >= 0 && (err = net_getopt(f, (enum net_opt)opt, &value)) < 0)
        return err;
    uint32_t n = MIN(*ulen, (uint32_t)sizeof(int));
    if (n && !user_writable(val, n))
        return -EFAULT;
    memcpy(val, &value, n);
    *ulen = n;
    return 0;
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
    waitq_wake_all(net_poll_queue());
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

static const struct file_ops eventfd_ops = {
    .read = eventfd_read,
    .write = eventfd_write,
    .poll = eventfd_poll,
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

/* True when f wakes net_poll_queue() itself. */
static bool wakes_poll_queue(struct file *f)
{
    return net_is_socket(f) || f->ops == &eventfd_ops;
}

/* Sleeps on the poll queue until woken or the deadline (0: none); files
 * without wait queues cap the sleep. 0, -ETIMEDOUT or -EINTR. */
static int readiness_sleep(uint64_t deadline, bool recheck)
{
    uint64_t until = deadline;
    if (recheck) {
        uint64_t cap = clock_monotonic_ns() + POLL_RECHECK_NS;
        until = deadline && deadline < cap ? deadline : cap;
    }
    struct waiter w;
    waitq_add(net_poll_queue(), &w);
    int rc = sched_sleep(until);
    waitq_remove(net_poll_queue(), &w);
    if (rc == -ETIMEDOUT && until != deadline)
        return 0;
    return rc;
}

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

static int poll_scan(struct linux_pollfd *fds, unsigned nfds, bool *recheck)
{
    int ready = 0;
    *recheck = false;
    for (unsigned i = 0; i < nfds; i++) {
        fds[i].revents = 0;
        if (fds[i].fd < 0)
            continue;
        struct file *f = fd_get(fds[i].fd);
        if (!f) {
            fds[i].revents = POLLNVAL;
        } else {
            fds[i].revents = poll_bits(vfs_poll(f)) & (fds[i].events | POLLERR | POLLHUP);
            *recheck |= !wakes_poll_queue(f);
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
    for (;;) {
        bool recheck;
        int ready = poll_scan(fds, nfds, &recheck);
        if (ready || once)
            return ready;
        int rc = readiness_sleep(deadline, recheck);
        if (rc == -ETIMEDOUT)
            return poll_scan(fds, nfds, &recheck);
        if (rc < 0)
            return rc;
    }
}

SYSCALL_DEFINE3(poll, struct linux_pollfd *, fds, unsigned, nfds, int, timeout_ms)
{
    return poll_until(fds, nfds,
                      deadline_after_ns(timeout_ms < 0 ? -1 : timeout_ms * (int64_t)NS_PER_MS),
                      timeout_ms == 0);
}

SYSCALL_DEFINE4(ppoll, struct linux_pollfd *, fds, unsigned, nfds, const struct linux_timespec *,
                ts, const void *, sigmask)
{
    uint64_t deadline;
    bool zero;
    (void)sigmask; /* signals are not delivered during the wait yet */
    int rc = timespec_deadline(ts, &deadline, &zero);
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

static int select_scan(int nfds, const struct fdsets *want, struct fdsets *got, bool *recheck)
{
    int ready = 0;
    size_t words = ((size_t)nfds + LONG_BITS - 1) / LONG_BITS;
    *recheck = false;
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
        unsigned bits = vfs_poll(f);
        *recheck |= !wakes_poll_queue(f);
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
    for (;;) {
        bool recheck;
        int ready = select_scan(nfds, &want, user, &recheck);
        if (ready || once || ready < 0)
            return ready;
        int rc = readiness_sleep(deadline, recheck);
        if (rc == -ETIMEDOUT)
            return select_scan(nfds, &want, user, &recheck);
        if (rc < 0)
            return rc;
    }
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

SYSCALL_DEFINE6(pselect6, int, nfds, unsigned long *, in, unsigned long *, out, unsigned long *, ex,
                const struct linux_timespec *, ts, const void *, sigmask)
{
    struct fdsets sets = {in, out, ex};
    uint64_t deadline;
    bool zero;
    (void)sigmask; /* signals are not delivered during the wait yet */
    int rc = timespec_deadline(ts, &deadline, &zero);
    return rc < 0 ? rc : select_until(nfds, &sets, deadline, zero);
}

/* ---- epoll -------------------------------------------------------------- */

struct epoll_item {
    int fd;
    struct file *file; /* not a reference: a closed fd drops out of the set */
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

static struct epoll_item *epoll_find(struct epoll *ep, int fd, struct file *f)
{
    for (size_t i = 0; i < ep->n; i++)
        if (ep->items[i].fd == fd && ep->items[i].file == f)
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
    ep->items[ep->n++] = (struct epoll_item){fd, f, ev->events, ev->data, 0};
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
static int epoll_scan(struct epoll *ep, struct linux_epoll_event *out, int max, bool *recheck)
{
    int n = 0;
    *recheck = false;
    for (size_t i = 0; i < ep->n && n < max;) {
        struct epoll_item *it = &ep->items[i];
        if (fd_get(it->fd) != it->file) {
            *it = ep->items[--ep->n]; /* closed: Linux drops it too */
            continue;
        }
        *recheck |= !wakes_poll_queue(it->file);
        uint32_t ready = epoll_bits(vfs_poll(it->file)) & (it->events | EPOLLERR | EPOLLHUP);
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
    for (;;) {
        bool recheck;
        int n = epoll_scan(ep, events, max, &recheck);
        if (n || once)
            return n;
        int rc = readiness_sleep(deadline, recheck);
        if (rc == -ETIMEDOUT)
            return epoll_scan(ep, events, max, &recheck);
        if (rc < 0)
            return rc;
    }
}

SYSCALL_DEFINE4(epoll_wait, int, epfd, struct linux_epoll_event *, events, int, max, int,
                timeout_ms)
{
    return epoll_wait_until(
        epfd, events, max, deadline_after_ns(timeout_ms < 0 ? -1 : timeout_ms * (int64_t)NS_PER_MS),
        timeout_ms == 0);
}

SYSCALL_DEFINE5(epoll_pwait, int, epfd, struct linux_epoll_event *, events, int, max, int,
                timeout_ms, const void *, sigmask)
{
    (void)sigmask; /* signals are not delivered during the wait yet */
    return epoll_wait_until(
        epfd, events, max, deadline_after_ns(timeout_ms < 0 ? -1 : timeout_ms * (int64_t)NS_PER_MS),
        timeout_ms == 0);
}
