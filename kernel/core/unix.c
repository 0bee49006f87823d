/*
 * AF_UNIX sockets: each socket keeps a queue of what was sent to it, up to
 * UNIX_BUF bytes. A stream reads across the queue's messages; a datagram
 * or sequenced-packet socket reads one message at a time. Connecting to a
 * listener makes the server's end at once (an embryo without a file, on the
 * listener's accept queue), as Linux does: connect never waits.
 *
 * Every live socket is on one list: a socket that closes clears every
 * pointer to it there, so no other socket keeps a dangling peer. A sender
 * that sleeps for room in another socket's queue holds a reference on that
 * socket's inode, which keeps its memory until the sleeper lets go.
 * Kernel code runs under the kernel lock (smp.h): no locks of its own.
 */
#include "unix.h"
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "sched.h"
#include "vfs.h"

#define UNIX_BUF 212992 /* Linux's default socket buffer */

struct unix_msg {
    struct unix_msg *next;
    size_t len, off;           /* data[off .. len) is not read yet */
    struct unix_addr from;     /* the sender's name, for recvfrom */
    struct unix_rights rights; /* SCM_RIGHTS: files in flight, referenced */
    uint8_t data[];
};

struct unix_sock {
    struct inode inode;
    int type;
    struct unix_sock *next;                        /* on the list of every live socket */
    struct unix_sock *peer;                        /* connected to; NULL once it closed */
    struct unix_msg *rq_head, *rq_tail;            /* received, not read yet */
    size_t rq_bytes;                               /* the unread bytes in rq */
    struct unix_sock *acceptq_head, *acceptq_tail; /* embryos, for accept */
    struct unix_sock *accept_next;
    struct unix_addr name, peer_name;
    bool bound;         /* owns name: lookups find it (embryos only copy it) */
    struct inode *node; /* the file-system node bound to, referenced */
    int err;            /* pending error, -errno */
    bool listening, connected, peer_gone, shut_rd, shut_wr, closed;
    struct waitq wq; /* woken by every change a reader, writer or poller waits for */
};

static struct unix_sock *all_socks;
static uint64_t unix_ino = 1;
static unsigned autobind_next;
static const struct file_ops unix_ops;

static struct unix_sock *usock_of(struct file *f)
{
    return container_of(f->inode, struct unix_sock, inode);
}

bool unix_is_socket(struct file *f)
{
    return f->ops == &unix_ops;
}

int unix_type(struct file *f)
{
    return usock_of(f)->type;
}

static bool connection_type(const struct unix_sock *s)
{
    return s->type != UNIX_DGRAM;
}

static void wake(struct unix_sock *s)
{
    waitq_wake_all(&s->wq);
}

/* Room in s's queue was made: its own waiters (senders sleep on the queue
 * they send to) and the pollers of every socket that sends to it. */
static void wake_senders(struct unix_sock *s)
{
    wake(s);
    for (struct unix_sock *o = all_socks; o; o = o->next)
        if (o->peer == s)
            wake(o);
}

/* Sleeps on s's own queue until cond. The reference keeps s while another
 * thread closes its file: the sleeper then gets EBADF. */
#define wait_self(s, cond)                                                                         \
    ({                                                                                             \
        inode_get(&(s)->inode);                                                                    \
        int rc_ = wait_event(&(s)->wq, (cond) || (s)->closed, 0);                                  \
        if (rc_ == 0 && (s)->closed)                                                               \
            rc_ = -EBADF;                                                                          \
        inode_put(&(s)->inode);                                                                    \
        rc_;                                                                                       \
    })

/* ---- life and death ----------------------------------------------------------- */

static void usock_evict(struct inode *ip)
{
    kfree(container_of(ip, struct unix_sock, inode));
}

static const struct inode_ops unix_iops = {.evict = usock_evict};

static struct unix_sock *usock_new(int type)
{
    struct unix_sock *s = kzalloc(sizeof(*s));
    if (!s)
        return NULL;
    s->type = type;
    s->inode.type = VFS_SOCK;
    s->inode.mode = 0777;
    s->inode.ino = unix_ino++;
    s->inode.iops = &unix_iops;
    s->inode.fops = &unix_ops;
    s->inode.atime_ns = s->inode.mtime_ns = s->inode.ctime_ns = vfs_now_ns();
    waitq_init(&s->wq);
    s->next = all_socks;
    all_socks = s;
    return s;
}

void unix_rights_put(struct unix_rights *r)
{
    for (size_t i = 0; i < r->n; i++)
        file_put(r->files[i]);
    kfree(r->files);
    r->files = NULL;
    r->n = 0;
}

static void msg_free(struct unix_msg *m)
{
    unix_rights_put(&m->rights);
    kfree(m);
}

static void purge_queue(struct unix_sock *s)
{
    while (s->rq_head) {
        struct unix_msg *m = s->rq_head;
        s->rq_head = m->next;
        msg_free(m);
    }
    s->rq_tail = NULL;
    s->rq_bytes = 0;
}

static void sock_free_if_unused(struct unix_sock *s)
{
    if (s->inode.refcount == 0)
        kfree(s);
}

/* The socket closes (its last file, or an embryo no one accepted): whoever
 * was connected to it sees it gone, a stream peer with ECONNRESET when data
 * was left unread, as on Linux. */
static void usock_close(struct unix_sock *s, bool embryo)
{
    s->closed = true;
    for (struct unix_sock **pp = &all_socks; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    for (struct unix_sock *o = all_socks; o; o = o->next) {
        if (o->peer != s)
            continue;
        o->peer = NULL;
        o->peer_gone = true;
        if (connection_type(o) && (s->rq_head || embryo))
            o->err = -ECONNRESET;
        wake(o);
    }
    if (s->peer)
        wake(s->peer); /* a sender of s's may sleep there for room */
    s->peer = NULL;
    /* Last: files in flight may be sockets, whose close this starts. */
    purge_queue(s);
    while (s->acceptq_head) {
        struct unix_sock *e = s->acceptq_head;
        s->acceptq_head = e->accept_next;
        usock_close(e, true);
        inode_put(&e->inode); /* the queue's reference */
    }
    if (s->node)
        inode_put(s->node);
    s->node = NULL;
    wake(s);
}

static void unix_release(struct file *f)
{
    usock_close(usock_of(f), false);
}

/* A file for s; on failure s is closed and freed. */
static int usock_file(struct unix_sock *s, unsigned flags, struct file **out)
{
    *out =
        vfs_file_alloc(&s->inode, &unix_ops, VFS_O_READ | VFS_O_WRITE | (flags & VFS_O_NONBLOCK));
    if (!*out) {
        usock_close(s, false);
        sock_free_if_unused(s);
        return -ENFILE;
    }
    return 0;
}

static bool type_supported(int type)
{
    return type == UNIX_STREAM || type == UNIX_DGRAM || type == UNIX_SEQPACKET;
}

int unix_socket(int type, unsigned flags, struct file **out)
{
    if (!type_supported(type))
        return -ESOCKTNOSUPPORT;
    struct unix_sock *s = usock_new(type);
    return s ? usock_file(s, flags, out) : -ENOMEM;
}

static void join(struct unix_sock *a, struct unix_sock *b)
{
    a->peer = b;
    b->peer = a;
    a->connected = b->connected = true;
    a->peer_name = b->name;
    b->peer_name = a->name;
}

int unix_pair(int type, unsigned flags, struct file **a, struct file **b)
{
    if (!type_supported(type))
        return -ESOCKTNOSUPPORT;
    struct unix_sock *sa = usock_new(type), *sb = sa ? usock_new(type) : NULL;
    if (!sb) {
        if (sa) {
            usock_close(sa, false);
            kfree(sa);
        }
        return -ENOMEM;
    }
    join(sa, sb);
    int rc = usock_file(sa, flags, a);
    if (rc < 0) {
        usock_close(sb, false);
        kfree(sb);
        return rc;
    }
    rc = usock_file(sb, flags, b);
    if (rc < 0)
        file_put(*a);
    return rc;
}

/* ---- names -------------------------------------------------------------------- */

static bool abstract(const struct unix_addr *a)
{
    return a->len > 0 && a->path[0] == 0;
}

/* The path as a C string (sun_path need not be NUL-terminated). */
static void path_of(const struct unix_addr *a, char out[UNIX_PATH_MAX + 1])
{
    size_t n = strnlen(a->path, a->len);
    memcpy(out, a->path, n);
    out[n] = 0;
}

static struct unix_sock *find_abstract(const struct unix_addr *a)
{
    for (struct unix_sock *o = all_socks; o; o = o->next)
        if (o->bound && !o->node && o->name.len == a->len &&
            memcmp(o->name.path, a->path, a->len) == 0)
            return o;
    return NULL;
}

/* The socket bound to a: -ENOENT (or the path's error) for a missing path,
 * -ECONNREFUSED when nothing is bound there. */
static int lookup(const struct unix_addr *a, struct unix_sock **out)
{
    if (a->len == 0)
        return -EINVAL;
    if (abstract(a)) {
        *out = find_abstract(a);
        return *out ? 0 : -ECONNREFUSED;
    }
    char path[UNIX_PATH_MAX + 1];
    path_of(a, path);
    struct inode *ip;
    int rc = vfs_lookup(NULL, path, 0, &ip);
    if (rc < 0)
        return rc;
    for (struct unix_sock *o = all_socks; o; o = o->next) {
        if (o->bound && o->node == ip) {
            *out = o;
            return 0;
        }
    }
    return -ECONNREFUSED;
}

/* bind with no name: Linux's autobind, an abstract name of five hex digits. */
static int autobind(struct unix_sock *s)
{
    static const char hex[] = "0123456789abcdef";
    for (unsigned tries = 0; tries < 0x100000; tries++) {
        unsigned v = autobind_next++ & 0xfffff;
        struct unix_addr a = {.len = 6};
        for (int i = 5; i >= 1; i--, v >>= 4)
            a.path[i] = hex[v & 0xf];
        if (!find_abstract(&a)) {
            s->name = a;
            s->bound = true;
            return 0;
        }
    }
    return -ENOSPC;
}

int unix_bind(struct file *f, const struct unix_addr *a)
{
    struct unix_sock *s = usock_of(f);
    char path[UNIX_PATH_MAX + 1];
    path_of(a, path);
    struct inode *ip;
    /* Linux makes the node first: a taken path is EADDRINUSE even then. */
    if (s->bound && a->len && !abstract(a) && vfs_lookup(NULL, path, VFS_NOFOLLOW, &ip) == 0)
        return -EADDRINUSE;
    if (s->bound || s->connected)
        return -EINVAL;
    if (a->len == 0)
        return autobind(s);
    if (abstract(a)) {
        if (find_abstract(a))
            return -EADDRINUSE;
        s->name = *a;
        s->bound = true;
        return 0;
    }
    int rc = vfs_mknod_socket(NULL, path, 0777, &ip);
    if (rc < 0)
        return rc == -EEXIST ? -EADDRINUSE : rc;
    inode_get(ip);
    s->node = ip;
    s->name.len = strlen(path) + 1; /* Linux keeps the NUL */
    memcpy(s->name.path, path, s->name.len);
    s->bound = true;
    return 0;
}

int unix_name(struct file *f, bool peer, struct unix_addr *out)
{
    struct unix_sock *s = usock_of(f);
    if (!peer) {
        *out = s->name;
        return 0;
    }
    if (!s->connected && !s->peer)
        return -ENOTCONN;
    *out = s->peer_name;
    return 0;
}

/* ---- connections -------------------------------------------------------------- */

int unix_listen(struct file *f, int backlog)
{
    (void)backlog; /* connect never waits: the queue is as long as memory */
    struct unix_sock *s = usock_of(f);
    if (!connection_type(s))
        return -EOPNOTSUPP;
    if (!s->bound || s->connected)
        return -EINVAL;
    s->listening = true;
    return 0;
}

int unix_connect(struct file *f, const struct unix_addr *a)
{
    struct unix_sock *s = usock_of(f), *t;
    int rc = lookup(a, &t);
    if (rc < 0)
        return rc;
    if (t->type != s->type)
        return -EPROTOTYPE;
    if (!connection_type(s)) {
        s->peer = t;
        s->peer_name = t->name;
        s->peer_gone = false;
        return 0;
    }
    if (s->connected)
        return -EISCONN;
    if (s->listening)
        return -EINVAL;
    if (!t->listening)
        return -ECONNREFUSED;
    struct unix_sock *e = usock_new(s->type);
    if (!e)
        return -ENOMEM;
    e->name = t->name;
    inode_get(&e->inode); /* the accept queue's: a sender sleeping on e lets go safely */
    join(s, e);
    if (t->acceptq_tail)
        t->acceptq_tail->accept_next = e;
    else
        t->acceptq_head = e;
    t->acceptq_tail = e;
    wake(t);
    return 0;
}

int unix_accept(struct file *f, unsigned flags, struct file **out, struct unix_addr *peer)
{
    struct unix_sock *s = usock_of(f);
    if (!connection_type(s))
        return -EOPNOTSUPP;
    if (!s->listening)
        return -EINVAL;
    if (!s->acceptq_head && (f->flags & VFS_O_NONBLOCK))
        return -EAGAIN;
    int rc = wait_self(s, s->acceptq_head || !s->listening);
    if (rc)
        return rc;
    if (!s->acceptq_head)
        return -EINVAL;
    struct unix_sock *e = s->acceptq_head;
    s->acceptq_head = e->accept_next;
    if (!s->acceptq_head)
        s->acceptq_tail = NULL;
    e->accept_next = NULL;
    *peer = e->peer_name;
    rc = usock_file(e, flags, out);
    inode_put(&e->inode); /* the queue's; the file has its own */
    return rc;
}

int unix_shutdown(struct file *f, int how)
{
    struct unix_sock *s = usock_of(f);
    if (how & UNIX_SHUT_RD)
        s->shut_rd = true;
    if (how & UNIX_SHUT_WR)
        s->shut_wr = true;
    if (s->listening && (how & UNIX_SHUT_RD))
        s->listening = false; /* a blocked accept ends with EINVAL */
    wake_senders(s);
    if (s->peer)
        wake_senders(s->peer);
    return 0;
}

int unix_take_error(struct file *f)
{
    struct unix_sock *s = usock_of(f);
    int e = s->err;
    s->err = 0;
    return e;
}

bool unix_listening(struct file *f)
{
    return usock_of(f)->listening;
}

/* ---- data --------------------------------------------------------------------- */

static bool nonblocking(struct file *f, int flags)
{
    return (f->flags & VFS_O_NONBLOCK) || (flags & UNIX_DONTWAIT);
}

static size_t room(const struct unix_sock *t)
{
    return t->rq_bytes < UNIX_BUF ? UNIX_BUF - t->rq_bytes : 0;
}

/* The message takes rights' files (rights is left empty). */
static int enqueue(struct unix_sock *t, const void *buf, size_t len, const struct unix_addr *from,
                   struct unix_rights *rights)
{
    struct unix_msg *m = kmalloc(sizeof(*m) + len);
    if (!m)
        return -ENOMEM;
    m->next = NULL;
    m->len = len;
    m->off = 0;
    m->from = *from;
    m->rights = (struct unix_rights){NULL, 0};
    if (rights) {
        m->rights = *rights;
        *rights = (struct unix_rights){NULL, 0};
    }
    memcpy(m->data, buf, len);
    if (t->rq_tail)
        t->rq_tail->next = m;
    else
        t->rq_head = m;
    t->rq_tail = m;
    t->rq_bytes += len;
    wake(t);
    return 0;
}

/* Why s cannot send on its connection now; 0 when it can. */
static int connection_send_error(struct unix_sock *s)
{
    if (s->shut_wr || s->peer_gone)
        return -EPIPE;
    if (!s->connected)
        return -ENOTCONN;
    return s->peer->shut_rd ? -EPIPE : 0;
}

/* Sleeps (holding both) until t's queue has want bytes of room, t closes
 * (-EPIPE: t may be gone once this returns) or s's connection breaks;
 * EBADF when another thread closes s. */
static int wait_room(struct unix_sock *s, struct unix_sock *t, size_t want)
{
    inode_get(&s->inode);
    inode_get(&t->inode);
    int rc = wait_event(&t->wq,
                        room(t) >= want || t->closed || s->closed || s->shut_wr || t->shut_rd, 0);
    if (rc == 0 && s->closed)
        rc = -EBADF;
    else if (rc == 0 && t->closed)
        rc = -EPIPE;
    inode_put(&t->inode);
    inode_put(&s->inode);
    return rc;
}

static ssize_t stream_send(struct file *f, struct unix_sock *s, const uint8_t *buf, size_t len,
                           int flags, struct unix_rights *rights)
{
    size_t done = 0;
    do {
        int rc = connection_send_error(s);
        if (rc)
            return done ? (ssize_t)done : rc;
        struct unix_sock *p = s->peer;
        size_t n = MIN(len - done, room(p));
        if (n == 0 && len) {
            if (nonblocking(f, flags))
                return done ? (ssize_t)done : -EAGAIN;
            rc = wait_room(s, p, 1);
            if (rc)
                return done ? (ssize_t)done : rc;
            continue;
        }
        if ((rc = enqueue(p, buf + done, n, &s->name, rights)) < 0)
            return done ? (ssize_t)done : rc;
        done += n;
    } while (done < len);
    return (ssize_t)done;
}

/* One message to t (a datagram, or a packet on a connection), whole. */
static ssize_t message_send(struct file *f, struct unix_sock *s, struct unix_sock *t,
                            const void *buf, size_t len, int flags, struct unix_rights *rights)
{
    if (len > UNIX_BUF)
        return -EMSGSIZE;
    while (room(t) < len || (len == 0 && room(t) == 0)) {
        if (nonblocking(f, flags))
            return -EAGAIN;
        int rc = wait_room(s, t, len ? len : 1);
        if (rc == -EPIPE && !connection_type(s))
            return -ECONNREFUSED;
        if (rc)
            return rc;
        if (connection_type(s) && (rc = connection_send_error(s)) < 0)
            return rc;
    }
    int rc = enqueue(t, buf, len, &s->name, rights);
    return rc < 0 ? rc : (ssize_t)len;
}

static ssize_t dgram_send(struct file *f, struct unix_sock *s, const void *buf, size_t len,
                          int flags, const struct unix_addr *to, struct unix_rights *rights)
{
    struct unix_sock *t = s->peer;
    if (to) {
        int rc = lookup(to, &t);
        if (rc < 0)
            return rc;
        if (t->type != UNIX_DGRAM)
            return -EPROTOTYPE;
    } else if (!t) {
        bool was = s->peer_gone; /* Linux says so once, then ENOTCONN */
        s->peer_gone = false;
        return was ? -ECONNREFUSED : -ENOTCONN;
    }
    return message_send(f, s, t, buf, len, flags, rights);
}

ssize_t unix_sendmsg(struct file *f, const void *buf, size_t len, int flags,
                     const struct unix_addr *to, struct unix_rights *rights)
{
    struct unix_sock *s = usock_of(f);
    if (!connection_type(s))
        return dgram_send(f, s, buf, len, flags, to, rights);
    if (to)
        return s->connected ? -EISCONN : -EOPNOTSUPP;
    if (s->type == UNIX_STREAM)
        return stream_send(f, s, buf, len, flags, rights);
    int rc = connection_send_error(s);
    return rc ? rc : message_send(f, s, s->peer, buf, len, flags, rights);
}

ssize_t unix_sendto(struct file *f, const void *buf, size_t len, int flags,
                    const struct unix_addr *to)
{
    return unix_sendmsg(f, buf, len, flags, to, NULL);
}

/* End of file: a connection whose other side will send no more. */
static bool usock_at_eof(const struct unix_sock *s)
{
    return connection_type(s) && (s->shut_rd || s->peer_gone || (s->peer && s->peer->shut_wr));
}

static void consume(struct unix_sock *s, size_t n)
{
    struct unix_msg *m = s->rq_head;
    m->off += n;
    s->rq_bytes -= n;
    if (m->off < m->len && s->type == UNIX_STREAM)
        return;
    s->rq_bytes -= m->len - m->off; /* a message's unread tail goes with it */
    s->rq_head = m->next;
    if (!s->rq_head)
        s->rq_tail = NULL;
    msg_free(m);
}

/* A message's files go to the reader who reaches it (a copy for a peek;
 * closed when the reader takes none, as read() does). */
static void take_rights(struct unix_msg *m, bool peek, struct unix_rights *out)
{
    if (!m->rights.n)
        return;
    if (peek) {
        if (!out || out->n)
            return;
        out->files = kmalloc(m->rights.n * sizeof(struct file *));
        if (!out->files)
            return;
        out->n = m->rights.n;
        for (size_t i = 0; i < out->n; i++) {
            out->files[i] = m->rights.files[i];
            file_get(out->files[i]);
        }
        return;
    }
    if (out && !out->n) {
        *out = m->rights;
        m->rights = (struct unix_rights){NULL, 0};
    }
}

/* A stream reads across messages, up to the end of one that carries
 * files (as Linux); the others take one (truncated to len). */
static size_t copy_out(struct unix_sock *s, uint8_t *buf, size_t len, bool peek,
                       struct unix_rights *rights)
{
    if (s->type != UNIX_STREAM) {
        struct unix_msg *m = s->rq_head;
        size_t n = MIN(len, m->len - m->off);
        take_rights(m, peek, rights);
        memcpy(buf, m->data + m->off, n);
        if (!peek)
            consume(s, n);
        return n;
    }
    size_t done = 0;
    for (struct unix_msg *m = s->rq_head; m && done < len;) {
        size_t n = MIN(len - done, m->len - m->off);
        bool had_files = m->rights.n > 0;
        take_rights(m, peek, rights);
        memcpy(buf + done, m->data + m->off, n);
        done += n;
        struct unix_msg *next = m->next;
        if (!peek)
            consume(s, n);
        if (had_files)
            break;
        m = next;
    }
    return done;
}

ssize_t unix_recvfrom(struct file *f, void *buf, size_t len, int flags, struct unix_addr *from)
{
    return unix_recvmsg(f, buf, len, flags, from, NULL);
}

ssize_t unix_recvmsg(struct file *f, void *buf, size_t len, int flags, struct unix_addr *from,
                     struct unix_rights *rights)
{
    struct unix_sock *s = usock_of(f);
    if (connection_type(s) && !s->connected)
        return s->type == UNIX_STREAM ? -EINVAL : -ENOTCONN;
    if (!s->rq_head) {
        if (s->err || usock_at_eof(s)) {
            int e = s->err;
            s->err = 0;
            return e;
        }
        if (nonblocking(f, flags))
            return -EAGAIN;
        int rc = wait_self(s, s->rq_head || s->err || usock_at_eof(s));
        if (rc)
            return rc;
        if (!s->rq_head) {
            int e = s->err;
            s->err = 0;
            return e;
        }
    }
    if (from)
        *from = s->rq_head->from;
    size_t n = copy_out(s, buf, len, flags & UNIX_PEEK, rights);
    if (!(flags & UNIX_PEEK))
        wake_senders(s);
    return (ssize_t)n;
}

/* ---- file operations ------------------------------------------------------------ */

static ssize_t unix_read(struct file *f, void *buf, size_t len, off_t off)
{
    (void)off;
    return unix_recvfrom(f, buf, len, 0, NULL);
}

static ssize_t unix_write(struct file *f, const void *buf, size_t len, off_t off)
{
    (void)off;
    return unix_sendto(f, buf, len, 0, NULL);
}

/* FIONREAD: a datagram socket's next message, else every unread byte (Linux). */
static ssize_t unix_nread(struct file *f)
{
    struct unix_sock *s = usock_of(f);
    if (s->type != UNIX_DGRAM || !s->rq_head)
        return (ssize_t)s->rq_bytes;
    return (ssize_t)(s->rq_head->len - s->rq_head->off);
}

static unsigned unix_poll(struct file *f)
{
    struct unix_sock *s = usock_of(f);
    if (s->listening)
        return s->acceptq_head ? VFS_POLL_IN : 0;
    unsigned bits = s->rq_head || usock_at_eof(s) ? VFS_POLL_IN : 0;
    if (s->err)
        bits |= VFS_POLL_ERR;
    if (connection_type(s) && (!s->connected || s->peer_gone || (s->shut_rd && s->shut_wr)))
        bits |= VFS_POLL_HUP;
    /* Linux: writable while its own send buffer is, which a gone peer does not fill. */
    if (!s->peer || room(s->peer) > 0)
        bits |= VFS_POLL_OUT;
    return bits;
}

static struct waitq *unix_queue(struct file *f)
{
    return &usock_of(f)->wq;
}

static const struct file_ops unix_ops = {
    .read = unix_read,
    .write = unix_write,
    .nread = unix_nread,
    .poll = unix_poll,
    .poll_queue = unix_queue,
    .release = unix_release,
};
