/*
 * The Linux socket calls. AF_UNIX sockets are the kernel's own (unix.h)
 * and work in every image; every other socket belongs to the network
 * object, whose inet_NAME handlers (kernel/linux/net.c) are weak references
 * here: NULL in an image without it, where socket(AF_INET) says
 * EAFNOSUPPORT and a descriptor that is no AF_UNIX socket is ENOTSOCK.
 */
#include "abi.h"
#include "errno.h"
#include "fd.h"
#include "lib.h"
#include "mm.h"
#include "proc.h"
#include "signal.h"
#include "socket_abi.h"
#include "syscalls.h"
#include "unix.h"
#include "vfs.h"

#define UNIX_SNDBUF 212992

#define INET_HANDLER(name)                                                                         \
    extern long inet_##name(const struct syscall_args *) __attribute__((weak))
INET_HANDLER(socket);
INET_HANDLER(bind);
INET_HANDLER(listen);
INET_HANDLER(accept4);
INET_HANDLER(accept);
INET_HANDLER(connect);
INET_HANDLER(sendto);
INET_HANDLER(recvfrom);
INET_HANDLER(sendmsg);
INET_HANDLER(recvmsg);
INET_HANDLER(shutdown);
INET_HANDLER(getsockname);
INET_HANDLER(getpeername);
INET_HANDLER(setsockopt);
INET_HANDLER(getsockopt);

struct linux_sockaddr_un {
    uint16_t family;
    char path[UNIX_PATH_MAX];
};

/* The AF_UNIX socket the call's first argument names; NULL for any other
 * descriptor, which goes to the network object. */
static struct file *unix_file(const struct syscall_args *args)
{
    struct file *f = fd_get((int)args->a[0]);
    return f && unix_is_socket(f) ? f : NULL;
}

static long not_unix(syscall_fn inet, const struct syscall_args *args)
{
    if (inet)
        return inet(args);
    return fd_get((int)args->a[0]) ? -ENOTSOCK : -EBADF;
}

/* Each call: AF_UNIX here (unix_NAME_call), anything else in net.o. */
#define SOCKET_CALL(name)                                                                          \
    long sys_##name(const struct syscall_args *args)                                               \
    {                                                                                              \
        struct file *f = unix_file(args);                                                          \
        return f ? unix_##name##_call(f, args) : not_unix(inet_##name, args);                      \
    }

/* ---- addresses ------------------------------------------------------------------ */

/* sun_path from (uaddr, len); len just the family: no name (autobind). */
static int sun_in(const void *uaddr, uint32_t len, struct unix_addr *out)
{
    if (len < sizeof(uint16_t) || len > sizeof(struct linux_sockaddr_un))
        return -EINVAL;
    if (!user_readable(uaddr, len))
        return -EFAULT;
    const struct linux_sockaddr_un *sun = uaddr;
    if (sun->family != AF_UNIX)
        return -EINVAL;
    out->len = len - sizeof(uint16_t);
    memcpy(out->path, sun->path, out->len);
    return 0;
}

/* Writes a sockaddr_un as Linux does: truncated to the caller's buffer,
 * *ulen set to the full size. An unnamed socket is the family alone
 * (getsockname, accept), or nothing at all (recvfrom: !family_if_unnamed). */
static int sun_out(const struct unix_addr *a, void *uaddr, uint32_t *ulen, bool family_if_unnamed)
{
    if (!uaddr || !ulen)
        return 0;
    if (!user_writable(ulen, sizeof(*ulen)))
        return -EFAULT;
    struct linux_sockaddr_un sun = {.family = AF_UNIX};
    memcpy(sun.path, a->path, a->len);
    uint32_t full = a->len || family_if_unnamed ? (uint32_t)(sizeof(uint16_t) + a->len) : 0;
    uint32_t n = MIN(*ulen, full);
    if (n && !user_writable(uaddr, n))
        return -EFAULT;
    memcpy(uaddr, &sun, n);
    *ulen = full;
    return 0;
}

static int install(struct file *f, bool cloexec)
{
    int fd = fd_alloc(f, 0, cloexec);
    if (fd < 0)
        file_put(f);
    return fd;
}

/* ---- creating sockets ----------------------------------------------------------- */

static long unix_create(int type, int protocol, struct file **f, struct file **f2)
{
    if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    if (protocol && protocol != AF_UNIX) /* PF_UNIX */
        return -EPROTONOSUPPORT;
    unsigned flags = type & SOCK_NONBLOCK ? VFS_O_NONBLOCK : 0;
    return f2 ? unix_pair(type & SOCK_TYPE_MASK, flags, f, f2)
              : unix_socket(type & SOCK_TYPE_MASK, flags, f);
}

long sys_socket(const struct syscall_args *args)
{
    int domain = (int)args->a[0], type = (int)args->a[1];
    if (domain != AF_UNIX)
        return inet_socket ? inet_socket(args) : -EAFNOSUPPORT;
    struct file *f;
    long rc = unix_create(type, (int)args->a[2], &f, NULL);
    return rc < 0 ? rc : install(f, type & SOCK_CLOEXEC);
}

SYSCALL_DEFINE4(socketpair, int, domain, int, type, int, protocol, int *, sv)
{
    if (domain != AF_UNIX)
        return domain == AF_INET || domain == AF_INET6 ? -EOPNOTSUPP : -EAFNOSUPPORT;
    if (!user_writable(sv, 2 * sizeof(int)))
        return -EFAULT;
    struct file *a, *b;
    long rc = unix_create(type, protocol, &a, &b);
    if (rc < 0)
        return rc;
    int fa = install(a, type & SOCK_CLOEXEC);
    if (fa < 0) {
        file_put(b);
        return fa;
    }
    int fb = install(b, type & SOCK_CLOEXEC);
    if (fb < 0) {
        fd_close(fa);
        return fb;
    }
    sv[0] = fa;
    sv[1] = fb;
    return 0;
}

/* ---- names and connections ------------------------------------------------------ */

static long unix_bind_call(struct file *f, const struct syscall_args *args)
{
    struct unix_addr a;
    int rc = sun_in((const void *)args->a[1], (uint32_t)args->a[2], &a);
    return rc < 0 ? rc : unix_bind(f, &a);
}
SOCKET_CALL(bind)

static long unix_listen_call(struct file *f, const struct syscall_args *args)
{
    return unix_listen(f, (int)args->a[1]);
}
SOCKET_CALL(listen)

static long unix_connect_call(struct file *f, const struct syscall_args *args)
{
    struct unix_addr a;
    int rc = sun_in((const void *)args->a[1], (uint32_t)args->a[2], &a);
    if (rc == 0 && a.len == 0)
        rc = -EINVAL;
    return rc < 0 ? rc : unix_connect(f, &a);
}
SOCKET_CALL(connect)

static long unix_accept4_call(struct file *f, const struct syscall_args *args)
{
    int flags = (int)args->a[3];
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    struct file *nf;
    struct unix_addr peer;
    int rc = unix_accept(f, flags & SOCK_NONBLOCK ? VFS_O_NONBLOCK : 0, &nf, &peer);
    if (rc < 0)
        return rc;
    int nfd = install(nf, flags & SOCK_CLOEXEC);
    if (nfd >= 0 && sun_out(&peer, (void *)args->a[1], (uint32_t *)args->a[2], true) < 0) {
        fd_close(nfd);
        return -EFAULT;
    }
    return nfd;
}
SOCKET_CALL(accept4)

static long unix_accept_call(struct file *f, const struct syscall_args *args)
{
    struct syscall_args a = {.a = {args->a[0], args->a[1], args->a[2], 0}};
    return unix_accept4_call(f, &a);
}
SOCKET_CALL(accept)

static long unix_shutdown_call(struct file *f, const struct syscall_args *args)
{
    int how = (int)args->a[1];
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    return unix_shutdown(f, how + 1); /* SHUT_RD 0 → UNIX_SHUT_RD 1, ... */
}
SOCKET_CALL(shutdown)

static long name_call(struct file *f, const struct syscall_args *args, bool peer)
{
    void *uaddr = (void *)args->a[1];
    uint32_t *ulen = (uint32_t *)args->a[2];
    struct unix_addr a;
    int rc = unix_name(f, peer, &a);
    if (rc < 0)
        return rc;
    if (!uaddr || !ulen)
        return -EFAULT;
    return sun_out(&a, uaddr, ulen, true);
}

static long unix_getsockname_call(struct file *f, const struct syscall_args *args)
{
    return name_call(f, args, false);
}
SOCKET_CALL(getsockname)

static long unix_getpeername_call(struct file *f, const struct syscall_args *args)
{
    return name_call(f, args, true);
}
SOCKET_CALL(getpeername)

/* ---- data ----------------------------------------------------------------------- */

static int unix_flags(int flags)
{
    return (flags & MSG_DONTWAIT ? UNIX_DONTWAIT : 0) | (flags & MSG_PEEK ? UNIX_PEEK : 0);
}

/* A send to a peer that is gone raises SIGPIPE in the sending thread,
 * unless MSG_NOSIGNAL: for every family, as on Linux. */
static long sent(long rc, int flags)
{
    if (rc == -EPIPE && !(flags & MSG_NOSIGNAL))
        proc_signal_self(SIGPIPE);
    return rc;
}

static long unix_sendto_call(struct file *f, const struct syscall_args *args)
{
    const void *buf = (const void *)args->a[1], *uaddr = (const void *)args->a[4];
    size_t len = (size_t)args->a[2];
    int flags = (int)args->a[3];
    struct unix_addr to;
    int rc = uaddr ? sun_in(uaddr, (uint32_t)args->a[5], &to) : 0;
    if (rc < 0)
        return rc;
    if (len && !user_readable(buf, len))
        return -EFAULT;
    return unix_sendto(f, buf, len, unix_flags(flags), uaddr ? &to : NULL);
}

long sys_sendto(const struct syscall_args *args)
{
    struct file *f = unix_file(args);
    long rc = f ? unix_sendto_call(f, args) : not_unix(inet_sendto, args);
    return sent(rc, (int)args->a[3]);
}

static long unix_recvfrom_call(struct file *f, const struct syscall_args *args)
{
    void *buf = (void *)args->a[1];
    size_t len = (size_t)args->a[2];
    if (len && !user_writable(buf, len))
        return -EFAULT;
    struct unix_addr from = {.len = 0};
    ssize_t n = unix_recvfrom(f, buf, len, unix_flags((int)args->a[3]), &from);
    if (n >= 0 && sun_out(&from, (void *)args->a[4], (uint32_t *)args->a[5], false) < 0)
        return -EFAULT;
    return n;
}
SOCKET_CALL(recvfrom)

long msghdr_check(const struct linux_msghdr *m, bool to_user, size_t *total)
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

/* ---- control messages: SCM_RIGHTS ------------------------------------------------ */

struct linux_cmsghdr {
    size_t len; /* the header's and the data's bytes */
    int level, type;
};

#define CMSG_ALIGN(n) (((n) + sizeof(size_t) - 1) & ~(sizeof(size_t) - 1))
#define CMSG_HDR      CMSG_ALIGN(sizeof(struct linux_cmsghdr))

/* Adds the open files of one SCM_RIGHTS message's descriptors to r. */
static long rights_add(struct unix_rights *r, const int *fds, size_t n)
{
    if (r->n + n > UNIX_MAX_RIGHTS)
        return -EINVAL;
    if (n == 0)
        return 0;
    struct file **grown = kmalloc((r->n + n) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    memcpy(grown, r->files, r->n * sizeof(*grown));
    kfree(r->files);
    r->files = grown;
    for (size_t i = 0; i < n; i++) {
        struct file *f = fd_get(fds[i]);
        if (!f)
            return -EBADF;
        file_get(f);
        r->files[r->n++] = f;
    }
    return 0;
}

/* sendmsg's control buffer: the files of its SCM_RIGHTS messages (other
 * SOL_SOCKET messages, credentials, are accepted and ignored). */
static long rights_in(const struct linux_msghdr *m, struct unix_rights *r)
{
    const uint8_t *p = m->control;
    size_t left = m->control ? m->controllen : 0;
    if (left && !user_readable(p, left))
        return -EFAULT;
    while (left >= sizeof(struct linux_cmsghdr)) {
        const struct linux_cmsghdr *c = (const void *)p;
        if (c->len < sizeof(*c) || c->len > left || c->level != SOL_SOCKET)
            return -EINVAL;
        if (c->type == SCM_RIGHTS) {
            long rc = rights_add(r, (const int *)(p + CMSG_HDR), (c->len - CMSG_HDR) / sizeof(int));
            if (rc < 0)
                return rc;
        }
        size_t step = CMSG_ALIGN(c->len);
        if (step >= left)
            break;
        p += step;
        left -= step;
    }
    return 0;
}

/* recvmsg's control buffer: one SCM_RIGHTS message with a descriptor for
 * each file that fits (the rest are closed and MSG_CTRUNC says so); the
 * bytes used in m->controllen. */
static void rights_out(struct linux_msghdr *m, struct unix_rights *r, bool cloexec)
{
    size_t room = m->control && m->controllen > CMSG_HDR ? m->controllen - CMSG_HDR : 0;
    size_t fit = MIN(r->n, room / sizeof(int)), done = 0;
    if (fit && user_writable(m->control, CMSG_HDR + fit * sizeof(int))) {
        int *fds = (int *)((uint8_t *)m->control + CMSG_HDR);
        for (; done < fit; done++) {
            int fd = fd_alloc(r->files[done], 0, cloexec);
            if (fd < 0)
                break;
            fds[done] = fd;
            r->files[done] = NULL; /* the descriptor has it now */
        }
    }
    if (done) {
        struct linux_cmsghdr *c = m->control;
        *c = (struct linux_cmsghdr){CMSG_HDR + done * sizeof(int), SOL_SOCKET, SCM_RIGHTS};
    }
    m->controllen = done ? MIN(m->controllen, CMSG_ALIGN(CMSG_HDR + done * sizeof(int))) : 0;
    if (done < r->n)
        m->flags |= MSG_CTRUNC;
    for (size_t i = done; i < r->n; i++)
        file_put(r->files[i]);
    kfree(r->files);
    *r = (struct unix_rights){NULL, 0};
}

/* A message leaves or arrives whole, through one kernel buffer. */
static long unix_sendmsg_call(struct file *f, const struct syscall_args *args)
{
    const struct linux_msghdr *m = (const void *)args->a[1];
    int flags = (int)args->a[2];
    size_t total;
    long rc = msghdr_check(m, false, &total);
    struct unix_addr to;
    if (rc == 0 && m->name)
        rc = sun_in(m->name, m->namelen, &to);
    struct unix_rights rights = {NULL, 0};
    if (rc == 0)
        rc = rights_in(m, &rights);
    uint8_t *buf = rc == 0 ? kmalloc(total ? total : 1) : NULL;
    if (rc == 0 && !buf)
        rc = -ENOMEM;
    if (rc < 0) {
        unix_rights_put(&rights);
        return rc;
    }
    for (size_t i = 0, off = 0; i < m->iovlen; off += m->iov[i].iov_len, i++)
        memcpy(buf + off, m->iov[i].iov_base, m->iov[i].iov_len);
    rc = unix_sendmsg(f, buf, total, unix_flags(flags), m->name ? &to : NULL, &rights);
    unix_rights_put(&rights); /* what a failed send left */
    kfree(buf);
    return rc;
}

long sys_sendmsg(const struct syscall_args *args)
{
    struct file *f = unix_file(args);
    long rc = f ? unix_sendmsg_call(f, args) : not_unix(inet_sendmsg, args);
    return sent(rc, (int)args->a[2]);
}

static long unix_recvmsg_call(struct file *f, const struct syscall_args *args)
{
    struct linux_msghdr *m = (void *)args->a[1];
    size_t total;
    long rc = msghdr_check(m, true, &total);
    if (rc < 0)
        return rc;
    if (!user_writable(m, sizeof(*m)))
        return -EFAULT;
    uint8_t *buf = kmalloc(total ? total : 1);
    if (!buf)
        return -ENOMEM;
    struct unix_addr from = {.len = 0};
    struct unix_rights rights = {NULL, 0};
    int flags = (int)args->a[2];
    ssize_t n = unix_recvmsg(f, buf, total, unix_flags(flags), &from, &rights);
    for (size_t i = 0, off = 0; n > 0 && i < m->iovlen && off < (size_t)n; i++) {
        size_t c = MIN(m->iov[i].iov_len, (size_t)n - off);
        memcpy(m->iov[i].iov_base, buf + off, c);
        off += c;
    }
    kfree(buf);
    if (n < 0)
        unix_rights_put(&rights);
    if (n >= 0) {
        m->flags = 0;
        rights_out(m, &rights, flags & MSG_CMSG_CLOEXEC); /* no credentials */
        if (m->name && sun_out(&from, m->name, &m->namelen, false) < 0)
            return -EFAULT;
    }
    return n;
}
SOCKET_CALL(recvmsg)

/* ---- options -------------------------------------------------------------------- */

static long unix_setsockopt_call(struct file *f, const struct syscall_args *args)
{
    (void)f;
    int level = (int)args->a[1], name = (int)args->a[2];
    if (level != SOL_SOCKET)
        return -EOPNOTSUPP;
    if (name != SO_REUSEADDR && name != SO_SNDBUF && name != SO_RCVBUF && name != SO_KEEPALIVE &&
        name != SO_PASSCRED)
        return -ENOPROTOOPT;
    if ((uint32_t)args->a[4] < sizeof(int))
        return -EINVAL;
    return user_readable((const void *)args->a[3], sizeof(int)) ? 0 : -EFAULT; /* kept nowhere */
}
SOCKET_CALL(setsockopt)

/* SO_PEERCRED: the process's own credentials once connected (Linux's
 * "nobody" before: pid 0, ids -1). */
static long peercred(struct file *f, void *val, uint32_t *ulen)
{
    struct {
        int pid;
        uint32_t uid, gid;
    } cred = {0, 0xffffffffu, 0xffffffffu};
    struct unix_addr peer;
    if (unix_name(f, true, &peer) == 0)
        proc_credentials(&cred.pid, &cred.uid, &cred.gid);
    uint32_t n = MIN(*ulen, (uint32_t)sizeof(cred));
    if (n && !user_writable(val, n))
        return -EFAULT;
    memcpy(val, &cred, n);
    *ulen = n;
    return 0;
}

static long unix_getsockopt_call(struct file *f, const struct syscall_args *args)
{
    int level = (int)args->a[1], name = (int)args->a[2], value;
    void *val = (void *)args->a[3];
    uint32_t *ulen = (uint32_t *)args->a[4];
    if (level != SOL_SOCKET)
        return -EOPNOTSUPP;
    if (!user_writable(ulen, sizeof(*ulen)))
        return -EFAULT;
    if (name == SO_PEERCRED)
        return peercred(f, val, ulen);
    switch (name) {
    case SO_TYPE:
        value = unix_type(f); /* UNIX_* are Linux's SOCK_* numbers */
        break;
    case SO_ERROR:
        value = -unix_take_error(f);
        break;
    case SO_ACCEPTCONN:
        value = unix_listening(f);
        break;
    case SO_SNDBUF:
    case SO_RCVBUF:
        value = UNIX_SNDBUF;
        break;
    case SO_DOMAIN:
        value = AF_UNIX;
        break;
    case SO_PROTOCOL:
    case SO_REUSEADDR:
    case SO_KEEPALIVE:
    case SO_PASSCRED:
        value = 0;
        break;
    default:
        return -ENOPROTOOPT;
    }
    uint32_t n = MIN(*ulen, (uint32_t)sizeof(int));
    if (n && !user_writable(val, n))
        return -EFAULT;
    memcpy(val, &value, n);
    *ulen = n;
    return 0;
}
SOCKET_CALL(getsockopt)
