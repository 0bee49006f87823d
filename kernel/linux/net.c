/*
 * The Linux socket calls for AF_INET and AF_INET6, translated to the network stack
 * (net.h) and the VFS. Built into the network object
 * (lib/unikit/ARCH/net.o): a program that never uses these calls carries
 * none of it. The system calls themselves are kernel/linux/socket.c's,
 * which handles AF_UNIX and hands every other socket to these inet_NAME
 * handlers when the image has them. Sockets are files with a poll queue,
 * so poll, select and epoll (kernel/linux/poll.c) wait on them as on any
 * file.
 *
 * The stack speaks IPv4 alone, as a Linux host whose network has no IPv6:
 * an AF_INET6 socket is dual-stack, its IPv4 addresses IPv4-mapped
 * (::ffff:a.b.c.d), :: the wildcard and ::1 the loopback (127.0.0.1 here);
 * any other IPv6 address is unreachable (ENETUNREACH) or not the
 * machine's (EADDRNOTAVAIL). An IPV6_V6ONLY socket binds and listens but
 * is never reached (net.h).
 */
#define SYSCALL_NAME(name) inet_##name
#include "abi.h"
#include "errno.h"
#include "fd.h"
#include "lib.h"
#include "mm.h"
#include "net.h"
#include "socket_abi.h"
#include "syscalls.h"
#include "vfs.h"

#define IPPROTO_TCP   6
#define IPPROTO_UDP   17
#define IPPROTO_IPV6  41
#define IPV6_V6ONLY   26
#define TCP_NODELAY   1
#define TCP_CORK      3
#define TCP_KEEPIDLE  4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT   6
struct linux_sockaddr_in {
    uint16_t family;
    uint16_t port; /* network byte order */
    uint32_t addr; /* network byte order */
    uint8_t zero[8];
};

struct linux_sockaddr_in6 {
    uint16_t family;
    uint16_t port; /* network byte order */
    uint32_t flowinfo;
    uint8_t addr[16];
    uint32_t scope_id;
};

#define SIN6_LEN_MIN 24 /* Linux takes the RFC 2133 form, without scope_id */

static uint16_t swap16(uint16_t v)
{
    return (uint16_t)(v << 8 | v >> 8);
}

static uint32_t swap32(uint32_t v)
{
    return v << 24 | (v & 0xff00) << 8 | (v >> 8 & 0xff00) | v >> 24;
}

/* ---- addresses ---------------------------------------------------------- */

/* What an address is for: an AF_INET6 address the stack cannot have is
   EADDRNOTAVAIL to bind and ENETUNREACH to reach. */
enum addr_use { ADDR_BIND, ADDR_REACH };

static int addr_in4(const void *uaddr, uint32_t len, struct net_addr *out)
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

static bool bytes_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* ::ffff:a.b.c.d, an IPv4 address written as IPv6. */
static bool ipv4_mapped(const uint8_t a[16])
{
    return bytes_zero(a, 10) && a[10] == 0xff && a[11] == 0xff;
}

/* The IPv4 address an IPv6 one stands for here; false when none does. */
static bool ipv4_of(const uint8_t a[16], enum addr_use use, uint32_t *ip)
{
    if (bytes_zero(a, 16)) { /* ::, which connect takes as the loopback */
        *ip = use == ADDR_BIND ? 0 : swap32(0x7f000001);
        return true;
    }
    if (bytes_zero(a, 15) && a[15] == 1) { /* ::1 */
        *ip = swap32(0x7f000001);
        return true;
    }
    if (!ipv4_mapped(a))
        return false;
    memcpy(ip, a + 12, 4); /* in network order already */
    return true;
}

static int addr_in6(struct file *f, const void *uaddr, uint32_t len, enum addr_use use,
                    struct net_addr *out)
{
    struct linux_sockaddr_in6 sin6;
    if (len < SIN6_LEN_MIN)
        return -EINVAL;
    if (!user_readable(uaddr, MIN(len, sizeof(sin6))))
        return -EFAULT;
    memset(&sin6, 0, sizeof(sin6));
    memcpy(&sin6, uaddr, MIN(len, sizeof(sin6)));
    if (sin6.family != AF_INET6)
        return -EAFNOSUPPORT;
    int v6only = 0;
    net_getopt(f, NET_OPT_V6ONLY, &v6only);
    uint32_t ip = 0;
    if (v6only && ipv4_mapped(sin6.addr))
        return use == ADDR_BIND ? -EINVAL : -ENETUNREACH; /* as Linux */
    if (v6only && use == ADDR_REACH)
        return -ENETUNREACH; /* no IPv6 route */
    if (!ipv4_of(sin6.addr, use, &ip))
        return use == ADDR_BIND ? -EADDRNOTAVAIL : -ENETUNREACH;
    *out = (struct net_addr){ip, swap16(sin6.port)};
    return 0;
}

/* A sockaddr from the program, in the socket's family. */
static int addr_in(struct file *f, const void *uaddr, uint32_t len, enum addr_use use,
                   struct net_addr *out)
{
    return net_inet6(f) ? addr_in6(f, uaddr, len, use, out) : addr_in4(uaddr, len, out);
}

/* Writes a sockaddr in the socket's family to (uaddr, *ulen) as Linux
 * does: truncated to the caller's buffer, *ulen set to the full size. An
 * AF_INET6 socket's IPv4 address is IPv4-mapped; 0.0.0.0 is ::. */
static int addr_out(struct file *f, const struct net_addr *a, void *uaddr, uint32_t *ulen)
{
    if (!uaddr || !ulen)
        return 0;
    if (!user_writable(ulen, sizeof(*ulen)))
        return -EFAULT;
    union {
        struct linux_sockaddr_in v4;
        struct linux_sockaddr_in6 v6;
    } u;
    uint32_t size;
    memset(&u, 0, sizeof(u));
    if (net_inet6(f)) {
        u.v6.family = AF_INET6;
        u.v6.port = swap16(a->port);
        if (a->ip) {
            u.v6.addr[10] = u.v6.addr[11] = 0xff;
            memcpy(u.v6.addr + 12, &a->ip, 4);
        }
        size = sizeof(u.v6);
    } else {
        u.v4 =
            (struct linux_sockaddr_in){.family = AF_INET, .port = swap16(a->port), .addr = a->ip};
        size = sizeof(u.v4);
    }
    uint32_t n = MIN(*ulen, size);
    if (n && !user_writable(uaddr, n))
        return -EFAULT;
    memcpy(uaddr, &u, n);
    *ulen = size;
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
    if (domain != AF_INET && domain != AF_INET6)
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
    if (domain == AF_INET6)
        net_set_inet6(f);
    return install(f, type & SOCK_CLOEXEC);
}

SYSCALL_DEFINE3(bind, int, fd, const void *, uaddr, uint32_t, len)
{
    int err;
    struct file *f = socket_of(fd, &err);
    struct net_addr a;
    if (!f || (err = addr_in(f, uaddr, len, ADDR_BIND, &a)) < 0)
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
    /* Linux's order: a closed fd is EBADF, then a bad flag bit EINVAL, even
       on a descriptor that is no socket. */
    if (!fd_get(fd))
        return -EBADF;
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    int err;
    struct file *f = socket_of(fd, &err), *nf;
    if (!f)
        return err;
    struct net_addr peer;
    int rc = net_accept(f, flags & SOCK_NONBLOCK ? VFS_O_NONBLOCK : 0, &nf, &peer);
    if (rc < 0)
        return rc;
    int nfd = install(nf, flags & SOCK_CLOEXEC);
    if (nfd >= 0 && addr_out(f, &peer, uaddr, ulen) < 0) {
        fd_close(nfd);
        return -EFAULT;
    }
    return nfd;
}

SYSCALL_DEFINE3(accept, int, fd, void *, uaddr, uint32_t *, ulen)
{
    struct syscall_args a = {.a = {fd, (long)uaddr, (long)ulen, 0}};
    return inet_accept4(&a);
}

SYSCALL_DEFINE3(connect, int, fd, const void *, uaddr, uint32_t, len)
{
    int err;
    struct file *f = socket_of(fd, &err);
    struct net_addr a;
    if (!f || (err = addr_in(f, uaddr, len, ADDR_REACH, &a)) < 0)
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
    if (uaddr && (err = addr_in(f, uaddr, alen, ADDR_REACH, &a)) < 0)
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
    if (n >= 0 && addr_out(f, &from, uaddr, ulen) < 0)
        return -EFAULT;
    return n;
}

SYSCALL_DEFINE3(sendmsg, int, fd, const struct linux_msghdr *, m, int, flags)
{
    int err;
    struct file *f = socket_of(fd, &err);
    size_t total;
    if (!f || (err = (int)msghdr_check(m, false, &total)) < 0)
        return err;
    struct net_addr a;
    if (m->name && (err = addr_in(f, m->name, m->namelen, ADDR_REACH, &a)) < 0)
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
    if (!f || (err = (int)msghdr_check(m, true, &total)) < 0)
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
        if (m->name && addr_out(f, &from, m->name, &m->namelen) < 0)
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
    return addr_out(f, &a, uaddr, ulen);
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
        case SO_LINGER:
            return NET_OPT_LINGER;
        case SO_RCVTIMEO:
            return NET_OPT_RCVTIMEO;
        case SO_SNDTIMEO:
            return NET_OPT_SNDTIMEO;
        }
    } else if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY) {
        return NET_OPT_V6ONLY;
    } else if (level == IPPROTO_TCP) {
        switch (name) {
        case TCP_NODELAY:
            return NET_OPT_NODELAY;
        case TCP_CORK:
            return NET_OPT_CORK;
        case TCP_KEEPIDLE:
            return NET_OPT_KEEPIDLE;
        case TCP_KEEPINTVL:
            return NET_OPT_KEEPINTVL;
        case TCP_KEEPCNT:
            return NET_OPT_KEEPCNT;
        }
    }
    return -1;
}

struct linux_linger {
    int onoff, seconds;
};

struct linux_sock_timeval {
    long sec, usec;
};

#define MS_MAX 0x7fffffffL

/* The option's value as the stack keeps it: an int, from a struct for
 * SO_LINGER (seconds or -1) and the timeouts (milliseconds, rounded up). */
static long option_value(int opt, const void *val, uint32_t len, int *out)
{
    size_t need = opt == NET_OPT_LINGER ? sizeof(struct linux_linger)
                  : opt == NET_OPT_RCVTIMEO || opt == NET_OPT_SNDTIMEO
                      ? sizeof(struct linux_sock_timeval)
                      : sizeof(int);
    if (len < need)
        return -EINVAL;
    if (!user_readable(val, need))
        return -EFAULT;
    if (opt == NET_OPT_LINGER) {
        const struct linux_linger *l = val;
        *out = l->onoff ? (l->seconds < 0 ? 0 : l->seconds) : -1;
    } else if (opt == NET_OPT_RCVTIMEO || opt == NET_OPT_SNDTIMEO) {
        const struct linux_sock_timeval *tv = val;
        if (tv->usec < 0 || tv->usec >= 1000000)
            return -EDOM; /* as Linux */
        long ms = tv->sec < 0                ? 0
                  : tv->sec >= MS_MAX / 1000 ? MS_MAX
                                             : tv->sec * 1000 + (tv->usec + 999) / 1000;
        *out = (int)MIN(ms, MS_MAX);
    } else {
        *out = *(const int *)val;
    }
    return 0;
}

/* getsockopt's answer for an option of the stack's, in the user's form. */
static long put_option(int opt, int value, void *val, uint32_t *ulen)
{
    union {
        int i;
        struct linux_linger linger;
        struct linux_sock_timeval tv;
    } u;
    size_t size = sizeof(int);
    if (opt == NET_OPT_LINGER) {
        u.linger = (struct linux_linger){value >= 0, value >= 0 ? value : 0};
        size = sizeof(u.linger);
    } else if (opt == NET_OPT_RCVTIMEO || opt == NET_OPT_SNDTIMEO) {
        u.tv = (struct linux_sock_timeval){value / 1000, value % 1000 * 1000L};
        size = sizeof(u.tv);
    } else {
        u.i = value;
    }
    uint32_t n = MIN(*ulen, (uint32_t)size);
    if (n && !user_writable(val, n))
        return -EFAULT;
    memcpy(val, &u, n);
    *ulen = n;
    return 0;
}

SYSCALL_DEFINE5(setsockopt, int, fd, int, level, int, name, const void *, val, uint32_t, len)
{
    int err;
    struct file *f = socket_of(fd, &err);
    if (!f)
        return err;
    if (level == SOL_SOCKET && name == SO_REUSEPORT) {
        if (len < sizeof(int))
            return -EINVAL;
        return user_readable(val, sizeof(int)) ? 0 : -EFAULT; /* one process: nothing to share */
    }
    int opt = option(level, name), value;
    if (opt < 0)
        return -ENOPROTOOPT;
    long rc = option_value(opt, val, len, &value);
    return rc ? rc : net_setopt(f, (enum net_opt)opt, value);
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
    else if (opt == NET_OPT_V6ONLY && !net_inet6(f))
        return -EOPNOTSUPP; /* Linux's answer at IPv6's level on an AF_INET socket */
    if (opt >= 0 && (err = net_getopt(f, (enum net_opt)opt, &value)) < 0)
        return err;
    return put_option(opt, value, val, ulen);
}
