/*
 * Sockets on lwIP's raw API. A socket is a file (vfs.h) whose inode is
 * embedded in struct sock, like a pipe's. lwIP's callbacks run on the net
 * thread or inside socket calls; they queue what arrived and wake the
 * socket's wait queue, on which blocking calls sleep.
 */
#include "clock.h"
#include "errno.h"
#include "lib.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "mm.h"
#include "net.h"
#include "sched.h"
#include "stack.h"
#include "vfs.h"

#define UDP_QUEUE_MAX 128 /* datagrams waiting; more are dropped, as UDP may */

struct dgram {
    struct dgram *next;
    struct pbuf *p;
    struct net_addr from;
};

struct sock {
    struct inode inode;
    int type;
    struct tcp_pcb *tcp; /* NULL once lwIP has freed it */
    struct udp_pcb *udp;
    struct pbuf *rx; /* TCP: bytes received, not yet read (at most the window) */
    struct dgram *dq_head, *dq_tail;
    int dq_len;
    struct sock *acceptq_head, *acceptq_tail, *next; /* connections not yet accepted */
    int err;                                         /* pending error, -errno */
    bool listening, connecting, connected, eof, shut_wr, reuse;
    bool stopped; /* was listening until shutdown() */
    bool cork;
    bool inet6;                        /* the program's AF_INET6 socket (net_set_inet6) */
    bool v6only;                       /* IPV6_V6ONLY: bound without a pcb, never reached */
    uint16_t v6_port;                  /* such a socket's port, once bound */
    int linger;                        /* SO_LINGER: seconds, or -1 when off */
    uint64_t rcvtimeo_ns, sndtimeo_ns; /* SO_RCVTIMEO, SO_SNDTIMEO; 0: none */
    struct waitq wq;
};

static uint64_t sock_ino = 1;

/* The deadline a blocking call with timeout ns (0: none) waits until. */
static uint64_t deadline_after(uint64_t ns)
{
    return ns ? clock_monotonic_ns() + ns : 0;
}

static struct sock *sock_of(struct file *f)
{
    return container_of(f->inode, struct sock, inode);
}

/* Every change a blocked call or a poller may wait for wakes the one queue. */
static void wake(struct sock *s)
{
    waitq_wake_all(&s->wq);
}

static int lwip_errno(err_t e)
{
    switch (e) {
    case ERR_OK:
        return 0;
    case ERR_MEM:
        return -ENOMEM;
    case ERR_BUF:
        return -ENOBUFS;
    case ERR_TIMEOUT:
        return -ETIMEDOUT;
    case ERR_RTE:
        return -EHOSTUNREACH;
    case ERR_INPROGRESS:
        return -EINPROGRESS;
    case ERR_VAL:
        return -EINVAL;
    case ERR_WOULDBLOCK:
        return -EAGAIN;
    case ERR_USE:
        return -EADDRINUSE;
    case ERR_ALREADY:
        return -EALREADY;
    case ERR_ISCONN:
        return -EISCONN;
    case ERR_CONN:
        return -ENOTCONN;
    case ERR_ABRT:
        return -ECONNABORTED;
    case ERR_RST:
        return -ECONNRESET;
    case ERR_CLSD:
        return -ENOTCONN;
    default:
        return -EIO;
    }
}

/* ---- lwIP callbacks ---------------------------------------------------- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct sock *s = arg;
    (void)pcb;
    (void)err;
    if (!p)
        s->eof = true;
    else if (s->rx)
        pbuf_cat(s->rx, p);
    else
        s->rx = p;
    wake(s);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb;
    (void)len;
    wake(arg);
    return ERR_OK;
}

/* lwIP has freed the pcb: reset, abort, timeout, or a refused connect. */
static void on_err(void *arg, err_t err)
{
    struct sock *s = arg;
    if (!s)
        return;
    s->tcp = NULL;
    s->err = s->connecting && err == ERR_RST ? -ECONNREFUSED : lwip_errno(err);
    s->connecting = false;
    s->eof = true;
    wake(s);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct sock *s = arg;
    (void)pcb;
    s->connecting = false;
    s->connected = err == ERR_OK;
    if (err != ERR_OK)
        s->err = lwip_errno(err);
    wake(s);
    return ERR_OK;
}

static void tcp_callbacks(struct sock *s, struct tcp_pcb *pcb)
{
    tcp_arg(pcb, s);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
}

static struct sock *sock_new(int type);

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct sock *l = arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    struct sock *s = sock_new(NET_STREAM);
    if (!s)
        return ERR_MEM; /* lwIP aborts the connection */
    s->tcp = pcb;
    s->connected = true;
    tcp_callbacks(s, pcb);
    tcp_backlog_delayed(pcb); /* counts against the backlog until accept() */
    if (l->acceptq_tail)
        l->acceptq_tail->next = s;
    else
        l->acceptq_head = s;
    l->acceptq_tail = s;
    wake(l);
    return ERR_OK;
}

static void on_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                        u16_t port)
{
    struct sock *s = arg;
    (void)pcb;
    struct dgram *d = s->dq_len < UDP_QUEUE_MAX ? kmalloc(sizeof(*d)) : NULL;
    if (!d) {
        pbuf_free(p);
        return;
    }
    *d = (struct dgram){.p = p, .from = {ip4_addr_get_u32(addr), port}};
    if (s->dq_tail)
        s->dq_tail->next = d;
    else
        s->dq_head = d;
    s->dq_tail = d;
    s->dq_len++;
    wake(s);
}

/* ---- files ------------------------------------------------------------- */

static unsigned sock_poll(struct file *f)
{
    struct sock *s = sock_of(f);
    unsigned bits = 0;
    if (s->type == NET_DGRAM)
        return (s->dq_head ? VFS_POLL_IN : 0) | VFS_POLL_OUT;
    if (s->listening)
        return s->acceptq_head ? VFS_POLL_IN : 0;
    if (s->stopped)
        return VFS_POLL_IN | VFS_POLL_HUP;
    if (s->rx || s->eof || s->err)
        bits |= VFS_POLL_IN;
    if (s->connected && s->tcp && tcp_sndbuf(s->tcp) > 0 &&
        tcp_sndqueuelen(s->tcp) < TCP_SND_QUEUELEN)
        bits |= VFS_POLL_OUT;
    if (s->err)
        bits |= VFS_POLL_ERR;
    if ((s->eof && s->shut_wr) || (!s->tcp && !s->connecting && (s->connected || s->err)))
        bits |= VFS_POLL_HUP | VFS_POLL_OUT;
    return bits;
}

static struct waitq *sock_queue(struct file *f)
{
    return &sock_of(f)->wq;
}

static void tcp_release(struct sock *s)
{
    if (s->rx)
        pbuf_free(s->rx);
    s->rx = NULL;
    if (!s->tcp)
        return;
    tcp_arg(s->tcp, NULL);
    if (s->listening) {
        /* A listen pcb takes no recv/sent/err callbacks (lwIP asserts). Closing
         * frees it at once, and connections it is still completing (SYN_RCVD)
         * lose their listener: lwIP resets them when their ACK comes. */
        tcp_accept(s->tcp, NULL);
        tcp_close(s->tcp);
        s->tcp = NULL;
        return;
    }
    tcp_recv(s->tcp, NULL); /* lwIP's default drops data and finishes the close */
    tcp_sent(s->tcp, NULL);
    tcp_err(s->tcp, NULL);
    if (tcp_close(s->tcp) != ERR_OK)
        tcp_abort(s->tcp);
    s->tcp = NULL;
}

/* Ends listening, as Linux's close or shutdown(SHUT_RD) of a listener does:
 * connections not yet accepted are reset, the port is free again, and a
 * blocked accept() returns EINVAL. */
static void listen_stop(struct sock *s)
{
    while (s->acceptq_head) {
        struct sock *c = s->acceptq_head;
        s->acceptq_head = c->next;
        if (c->tcp) {
            tcp_arg(c->tcp, NULL); /* on_err then sees no socket */
            tcp_abort(c->tcp);
        }
        if (c->rx)
            pbuf_free(c->rx);
        kfree(c); /* never had a file: no inode references */
    }
    s->acceptq_tail = NULL;
    tcp_release(s);
    s->listening = false;
    s->stopped = true;
    wake(s);
}

static void sock_release(struct file *f)
{
    struct sock *s = sock_of(f);
    if (s->listening)
        listen_stop(s);
    tcp_release(s);
    while (s->dq_head) {
        struct dgram *d = s->dq_head;
        s->dq_head = d->next;
        pbuf_free(d->p);
        kfree(d);
    }
    if (s->udp)
        udp_remove(s->udp), s->udp = NULL;
    net_kick();
}

static ssize_t sock_read(struct file *f, void *buf, size_t len, off_t off)
{
    (void)off;
    return net_recvfrom(f, buf, len, 0, NULL);
}

static ssize_t sock_write(struct file *f, const void *buf, size_t len, off_t off)
{
    (void)off;
    return net_sendto(f, buf, len, 0, NULL);
}

static ssize_t sock_nread(struct file *f)
{
    struct sock *s = sock_of(f);
    if (s->type == NET_DGRAM)
        return s->dq_head ? s->dq_head->p->tot_len : 0;
    return s->rx ? s->rx->tot_len : 0;
}

static const struct file_ops sock_ops = {
    .read = sock_read,
    .write = sock_write,
    .nread = sock_nread,
    .poll = sock_poll,
    .poll_queue = sock_queue,
    .release = sock_release,
};

static void sock_evict(struct inode *ip)
{
    kfree(container_of(ip, struct sock, inode));
}

static const struct inode_ops sock_iops = {.evict = sock_evict};

static struct sock *sock_new(int type)
{
    struct sock *s = kzalloc(sizeof(*s));
    if (s)
        s->linger = -1;
    if (!s)
        return NULL;
    s->type = type;
    s->inode.type = VFS_FIFO; /* the VFS has no socket type: a stream it cannot seek */
    s->inode.mode = 0777;
    s->inode.ino = sock_ino++;
    s->inode.iops = &sock_iops;
    s->inode.fops = &sock_ops;
    s->inode.atime_ns = s->inode.mtime_ns = s->inode.ctime_ns = vfs_now_ns();
    waitq_init(&s->wq);
    return s;
}

/* A file for s; on failure s is freed. */
static int sock_file(struct sock *s, unsigned flags, struct file **out)
{
    *out = vfs_file_alloc(&s->inode, &sock_ops, VFS_O_READ | VFS_O_WRITE | flags);
    if (!*out) {
        if (s->inode.refcount == 0)
            kfree(s);
        return -ENFILE;
    }
    return 0;
}

bool net_is_socket(struct file *f)
{
    return f->ops == &sock_ops;
}

void net_set_inet6(struct file *f)
{
    sock_of(f)->inet6 = true;
}

bool net_inet6(struct file *f)
{
    return sock_of(f)->inet6;
}

/* Whether the socket has a local address yet (IPV6_V6ONLY is set before). */
static bool sock_bound(const struct sock *s)
{
    return s->v6_port || s->listening || s->connected || s->connecting ||
           (s->tcp && s->tcp->local_port) || (s->udp && s->udp->local_port);
}

/* An IPv6-only socket's bind: a port of its own, no pcb (a stream's is
   freed, a datagram's stays unbound), so IPv4 traffic goes elsewhere. */
static int v6only_bind(struct sock *s, uint16_t port)
{
    static uint16_t next_port = 49152; /* Linux's ephemeral range is above too */
    if (s->v6_port)
        return -EINVAL;
    if (!port) {
        port = next_port;
        next_port = next_port == 65535 ? 49152 : next_port + 1;
    }
    s->v6_port = port;
    if (s->tcp) {
        tcp_arg(s->tcp, NULL);
        if (tcp_close(s->tcp) != ERR_OK)
            tcp_abort(s->tcp);
        s->tcp = NULL;
    }
    return 0;
}

/* ---- calls ------------------------------------------------------------- */

static bool nonblock(struct file *f, int flags)
{
    return (f->flags & VFS_O_NONBLOCK) || (flags & NET_DONTWAIT);
}

int net_socket(int type, unsigned flags, struct file **out)
{
    if (type != NET_STREAM && type != NET_DGRAM)
        return -EPROTONOSUPPORT;
    int rc = net_start();
    if (rc < 0)
        return rc;
    struct sock *s = sock_new(type);
    if (!s)
        return -ENOMEM;
    if (type == NET_STREAM) {
        s->tcp = tcp_new();
        if (s->tcp)
            tcp_callbacks(s, s->tcp);
    } else {
        s->udp = udp_new();
        if (s->udp)
            udp_recv(s->udp, on_udp_recv, s);
    }
    if (!s->tcp && !s->udp) {
        kfree(s);
        return -ENOMEM;
    }
    return sock_file(s, flags & VFS_O_NONBLOCK, out);
}

static ip_addr_t lwip_addr(const struct net_addr *a)
{
    ip_addr_t ip;
    ip4_addr_set_u32(&ip, a->ip);
    return ip;
}

int net_bind(struct file *f, const struct net_addr *a)
{
    struct sock *s = sock_of(f);
    if (s->v6only)
        return v6only_bind(s, a->port);
    ip_addr_t ip = lwip_addr(a);
    if (s->type == NET_DGRAM)
        return lwip_errno(udp_bind(s->udp, &ip, a->port));
    if (!s->tcp)
        return -EINVAL;
    if (s->reuse)
        ip_set_option(s->tcp, SOF_REUSEADDR);
    return lwip_errno(tcp_bind(s->tcp, &ip, a->port));
}

int net_listen(struct file *f, int backlog)
{
    struct sock *s = sock_of(f);
    if (s->type == NET_STREAM && s->v6only) {
        if (!s->v6_port)
            v6only_bind(s, 0);
        s->listening = true; /* with no pcb: accept waits for ever */
        return 0;
    }
    if (s->type != NET_STREAM || !s->tcp)
        return -EOPNOTSUPP;
    if (s->listening)
        return 0;
    backlog = backlog < 1 ? 1 : MIN(backlog, 255);
    err_t err;
    struct tcp_pcb *l = tcp_listen_with_backlog_and_err(s->tcp, (u8_t)backlog, &err);
    if (!l)
        return lwip_errno(err);
    s->tcp = l; /* the old pcb is freed */
    s->listening = true;
    tcp_arg(l, s);
    tcp_accept(l, on_accept);
    return 0;
}

int net_accept(struct file *f, unsigned flags, struct file **out, struct net_addr *peer)
{
    struct sock *l = sock_of(f);
    if (!l->listening)
        return -EINVAL;
    if (!l->acceptq_head && nonblock(f, 0))
        return -EAGAIN;
    int rc = wait_event(&l->wq, l->acceptq_head != NULL || !l->listening,
                        deadline_after(l->rcvtimeo_ns));
    if (rc < 0)
        return rc == -ETIMEDOUT ? -EAGAIN : rc;
    if (!l->listening)
        return -EINVAL; /* another thread shut it down */
    struct sock *s = l->acceptq_head;
    l->acceptq_head = s->next;
    if (!l->acceptq_head)
        l->acceptq_tail = NULL;
    s->next = NULL;
    if (s->tcp) {
        tcp_backlog_accepted(s->tcp);
        if (peer)
            *peer = (struct net_addr){ip4_addr_get_u32(&s->tcp->remote_ip), s->tcp->remote_port};
    } else if (peer) {
        *peer = (struct net_addr){0, 0};
    }
    /* As Linux clones them from the listener. */
    s->inet6 = l->inet6;
    s->rcvtimeo_ns = l->rcvtimeo_ns;
    s->sndtimeo_ns = l->sndtimeo_ns;
    s->linger = l->linger;
    return sock_file(s, flags & VFS_O_NONBLOCK, out);
}

int net_connect(struct file *f, const struct net_addr *a)
{
    struct sock *s = sock_of(f);
    ip_addr_t ip = lwip_addr(a);
    if (s->type == NET_DGRAM)
        return lwip_errno(udp_connect(s->udp, &ip, a->port));
    if (s->connected)
        return -EISCONN;
    if (s->connecting)
        return -EALREADY;
    if (!s->tcp || s->listening)
        return s->err ? s->err : -EINVAL;
    s->connecting = true;
    err_t err = tcp_connect(s->tcp, &ip, a->port, on_connected);
    if (err != ERR_OK) {
        s->connecting = false;
        return lwip_errno(err);
    }
    net_kick();
    if (nonblock(f, 0))
        return -EINPROGRESS;
    int rc = wait_event(&s->wq, !s->connecting, deadline_after(s->sndtimeo_ns));
    if (rc < 0)
        return rc == -ETIMEDOUT ? -EINPROGRESS : rc; /* as Linux: it goes on */
    if (s->connected)
        return 0;
    rc = s->err ? s->err : -ECONNREFUSED;
    s->err = 0;
    return rc;
}

/* How much of the send buffer is free now. */
static size_t tcp_room(struct sock *s)
{
    if (!s->tcp || tcp_sndqueuelen(s->tcp) >= TCP_SND_QUEUELEN - 1)
        return 0;
    return tcp_sndbuf(s->tcp);
}

static ssize_t tcp_send(struct file *f, struct sock *s, const uint8_t *buf, size_t len, int flags)
{
    size_t done = 0;
    uint64_t deadline = deadline_after(s->sndtimeo_ns);
    while (done < len) {
        if (s->err || !s->tcp || s->shut_wr)
            break;
        size_t room = tcp_room(s);
        if (!room) {
            tcp_output(s->tcp);
            if (nonblock(f, flags))
                break;
            int rc = wait_event(&s->wq, tcp_room(s) || s->err || !s->tcp, deadline);
            if (rc < 0)
                return done ? (ssize_t)done : rc == -ETIMEDOUT ? -EAGAIN : rc;
            continue;
        }
        size_t n = MIN(MIN(room, len - done), 0xffffu);
        u8_t wflags = TCP_WRITE_FLAG_COPY | (done + n < len ? TCP_WRITE_FLAG_MORE : 0);
        err_t err = tcp_write(s->tcp, buf + done, (u16_t)n, wflags);
        if (err == ERR_MEM) {
            tcp_output(s->tcp);
            if (nonblock(f, flags))
                break;
            wait_event(&s->wq, tcp_sndqueuelen(s->tcp) < TCP_SND_QUEUELEN / 2 || s->err || !s->tcp,
                       clock_monotonic_ns() + 10000000);
            continue;
        }
        if (err != ERR_OK)
            return done ? (ssize_t)done : lwip_errno(err);
        done += n;
    }
    if (s->tcp)
        tcp_output(s->tcp);
    net_kick();
    if (done)
        return (ssize_t)done;
    if (s->err) {
        int e = s->err;
        s->err = 0;
        return e;
    }
    if (!s->tcp || s->shut_wr)
        return -EPIPE;
    return -EAGAIN;
}

static ssize_t udp_send_to(struct sock *s, const void *buf, size_t len, const struct net_addr *to)
{
    if (len > 65507)
        return -EMSGSIZE;
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
    if (!p)
        return -ENOBUFS;
    pbuf_take(p, buf, (u16_t)len);
    err_t err;
    if (to) {
        ip_addr_t ip = lwip_addr(to);
        err = udp_sendto(s->udp, p, &ip, to->port);
    } else {
        err = ip_addr_isany_val(s->udp->remote_ip) ? ERR_CONN : udp_send(s->udp, p);
    }
    pbuf_free(p);
    net_kick();
    return err == ERR_OK ? (ssize_t)len : err == ERR_CONN ? -EDESTADDRREQ : lwip_errno(err);
}

ssize_t net_sendto(struct file *f, const void *buf, size_t len, int flags,
                   const struct net_addr *to)
{
    struct sock *s = sock_of(f);
    if (s->type == NET_DGRAM)
        return udp_send_to(s, buf, len, to);
    if (!s->connected)
        return -ENOTCONN;
    return tcp_send(f, s, buf, len, flags);
}

static ssize_t udp_recv_dgram(struct file *f, struct sock *s, void *buf, size_t len, int flags,
                              struct net_addr *from)
{
    if (!s->dq_head && nonblock(f, flags))
        return -EAGAIN;
    int rc = wait_event(&s->wq, s->dq_head != NULL, deadline_after(s->rcvtimeo_ns));
    if (rc < 0)
        return rc == -ETIMEDOUT ? -EAGAIN : rc;
    struct dgram *d = s->dq_head;
    size_t n = pbuf_copy_partial(d->p, buf, (u16_t)MIN(len, 0xffffu), 0);
    if (from)
        *from = d->from;
    if (!(flags & NET_PEEK)) {
        s->dq_head = d->next;
        if (!s->dq_head)
            s->dq_tail = NULL;
        s->dq_len--;
        pbuf_free(d->p);
        kfree(d);
    }
    return (ssize_t)n;
}

static ssize_t tcp_recv_bytes(struct file *f, struct sock *s, void *buf, size_t len, int flags)
{
    if (s->listening || (!s->connected && !s->err))
        return -ENOTCONN;
    if (!s->rx && !s->eof && !s->err && nonblock(f, flags))
        return -EAGAIN;
    int rc = wait_event(&s->wq, s->rx || s->eof || s->err, deadline_after(s->rcvtimeo_ns));
    if (rc < 0)
        return rc == -ETIMEDOUT ? -EAGAIN : rc;
    if (!s->rx) {
        if (s->err && s->err != -ECONNRESET) {
            int e = s->err;
            s->err = 0;
            return e;
        }
        if (s->err)
            return s->err = 0, -ECONNRESET;
        return 0; /* end of stream */
    }
    u16_t n = pbuf_copy_partial(s->rx, buf, (u16_t)MIN(len, 0xffffu), 0);
    if (!(flags & NET_PEEK)) {
        s->rx = pbuf_free_header(s->rx, n);
        if (s->tcp)
            tcp_recved(s->tcp, n);
        net_kick();
    }
    return n;
}

ssize_t net_recvfrom(struct file *f, void *buf, size_t len, int flags, struct net_addr *from)
{
    struct sock *s = sock_of(f);
    if (s->type == NET_DGRAM)
        return udp_recv_dgram(f, s, buf, len, flags, from);
    if (from && s->tcp)
        *from = (struct net_addr){ip4_addr_get_u32(&s->tcp->remote_ip), s->tcp->remote_port};
    if (len == 0)
        return 0;
    return tcp_recv_bytes(f, s, buf, len, flags);
}

int net_shutdown(struct file *f, int how)
{
    struct sock *s = sock_of(f);
    if (s->type == NET_DGRAM)
        return 0;
    if (s->listening) {
        if (how & NET_SHUT_RD)
            listen_stop(s);
        net_kick();
        return 0;
    }
    if (!s->connected)
        return -ENOTCONN;
    if (how & NET_SHUT_WR)
        s->shut_wr = true;
    if (how & NET_SHUT_RD)
        s->eof = true;
    if (s->tcp && tcp_shutdown(s->tcp, how & NET_SHUT_RD, (how & NET_SHUT_WR) != 0) != ERR_OK)
        return -ENOTCONN;
    net_kick();
    wake(s);
    return 0;
}

int net_name(struct file *f, bool peer, struct net_addr *out)
{
    struct sock *s = sock_of(f);
    if (s->v6_port) {
        if (peer)
            return -ENOTCONN;
        *out = (struct net_addr){0, s->v6_port};
        return 0;
    }
    if (s->type == NET_DGRAM) {
        if (peer && ip_addr_isany_val(s->udp->remote_ip))
            return -ENOTCONN;
        *out = peer ? (struct net_addr){ip4_addr_get_u32(&s->udp->remote_ip), s->udp->remote_port}
                    : (struct net_addr){ip4_addr_get_u32(&s->udp->local_ip), s->udp->local_port};
        /* A connected socket's source is the interface's address, as on Linux. */
        if (!peer && !out->ip && !ip_addr_isany_val(s->udp->remote_ip))
            out->ip = net_local_ip();
        return 0;
    }
    if (!s->tcp)
        return peer ? -ENOTCONN : (*out = (struct net_addr){0, 0}, 0);
    if (peer && !s->connected)
        return -ENOTCONN;
    *out = peer ? (struct net_addr){ip4_addr_get_u32(&s->tcp->remote_ip), s->tcp->remote_port}
                : (struct net_addr){ip4_addr_get_u32(&s->tcp->local_ip), s->tcp->local_port};
    return 0;
}

/* TCP_KEEPIDLE, TCP_KEEPINTVL (seconds) and TCP_KEEPCNT, in Linux's ranges. */
static int set_keepalive(struct sock *s, enum net_opt opt, int value)
{
    int max = opt == NET_OPT_KEEPCNT ? 127 : 32767;
    if (value < 1 || value > max)
        return -EINVAL;
    if (s->type != NET_STREAM)
        return -ENOPROTOOPT;
    if (!s->tcp)
        return 0;
    if (opt == NET_OPT_KEEPIDLE)
        s->tcp->keep_idle = (u32_t)value * 1000;
    else if (opt == NET_OPT_KEEPINTVL)
        s->tcp->keep_intvl = (u32_t)value * 1000;
    else
        s->tcp->keep_cnt = (u32_t)value;
    return 0;
}

/* Before the connection has a pcb: Linux's defaults, which lwIP's are too. */
static int keepalive_value(const struct sock *s, enum net_opt opt)
{
    if (opt == NET_OPT_KEEPIDLE)
        return s->tcp ? (int)(s->tcp->keep_idle / 1000) : 7200;
    if (opt == NET_OPT_KEEPINTVL)
        return s->tcp ? (int)(s->tcp->keep_intvl / 1000) : 75;
    return s->tcp ? (int)s->tcp->keep_cnt : 9;
}

int net_setopt(struct file *f, enum net_opt opt, int value)
{
    struct sock *s = sock_of(f);
    switch (opt) {
    case NET_OPT_REUSEADDR:
        s->reuse = value != 0;
        if (s->tcp && value)
            ip_set_option(s->tcp, SOF_REUSEADDR);
        else if (s->tcp)
            ip_reset_option(s->tcp, SOF_REUSEADDR);
        return 0;
    case NET_OPT_KEEPALIVE:
        if (s->tcp && value)
            ip_set_option(s->tcp, SOF_KEEPALIVE);
        else if (s->tcp)
            ip_reset_option(s->tcp, SOF_KEEPALIVE);
        return 0;
    case NET_OPT_NODELAY:
        if (s->tcp && value)
            tcp_nagle_disable(s->tcp);
        else if (s->tcp)
            tcp_nagle_enable(s->tcp);
        return 0;
    case NET_OPT_RCVBUF:
    case NET_OPT_SNDBUF:
        return 0; /* lwIP's buffers are fixed at build time (lwipopts.h) */
    case NET_OPT_CORK:
        s->cork = value != 0; /* nothing is held back: the data goes as written */
        return 0;
    case NET_OPT_KEEPIDLE:
    case NET_OPT_KEEPINTVL:
    case NET_OPT_KEEPCNT:
        return set_keepalive(s, opt, value);
    case NET_OPT_LINGER:
        s->linger = value;
        return 0;
    case NET_OPT_RCVTIMEO:
        s->rcvtimeo_ns = (uint64_t)value * 1000000;
        return 0;
    case NET_OPT_SNDTIMEO:
        s->sndtimeo_ns = (uint64_t)value * 1000000;
        return 0;
    case NET_OPT_V6ONLY:
        if (!s->inet6)
            return -ENOPROTOOPT;
        if (sock_bound(s))
            return -EINVAL; /* as Linux: only before bind or connect */
        s->v6only = value != 0;
        return 0;
    default:
        return -ENOPROTOOPT;
    }
}

int net_getopt(struct file *f, enum net_opt opt, int *value)
{
    struct sock *s = sock_of(f);
    switch (opt) {
    case NET_OPT_REUSEADDR:
        *value = s->reuse;
        return 0;
    case NET_OPT_KEEPALIVE:
        *value = s->tcp && ip_get_option(s->tcp, SOF_KEEPALIVE);
        return 0;
    case NET_OPT_NODELAY:
        *value = s->tcp && tcp_nagle_disabled(s->tcp);
        return 0;
    case NET_OPT_RCVBUF:
        *value = s->type == NET_STREAM ? TCP_WND : 65536;
        return 0;
    case NET_OPT_SNDBUF:
        *value = s->type == NET_STREAM ? TCP_SND_BUF : 65536;
        return 0;
    case NET_OPT_ERROR:
        *value = -s->err;
        s->err = 0;
        return 0;
    case NET_OPT_TYPE:
        *value = s->type;
        return 0;
    case NET_OPT_ACCEPTCONN:
        *value = s->listening;
        return 0;
    case NET_OPT_CORK:
        *value = s->cork;
        return 0;
    case NET_OPT_KEEPIDLE:
    case NET_OPT_KEEPINTVL:
    case NET_OPT_KEEPCNT:
        if (s->type != NET_STREAM)
            return -ENOPROTOOPT;
        *value = keepalive_value(s, opt);
        return 0;
    case NET_OPT_LINGER:
        *value = s->linger;
        return 0;
    case NET_OPT_RCVTIMEO:
        *value = (int)(s->rcvtimeo_ns / 1000000);
        return 0;
    case NET_OPT_SNDTIMEO:
        *value = (int)(s->sndtimeo_ns / 1000000);
        return 0;
    case NET_OPT_V6ONLY:
        if (!s->inet6)
            return -ENOPROTOOPT;
        *value = s->v6only;
        return 0;
    }
    return -ENOPROTOOPT;
}
