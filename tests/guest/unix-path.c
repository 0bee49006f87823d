// cpus: 1 2
// AF_UNIX sockets with names: a stream server on a path in the file system
// (the socket node bind makes: stat says socket, open says ENXIO, a second
// bind EADDRINUSE) whose accept a second thread's connect ends, getsockname
// and getpeername on both ends, poll on the listener, accept4 with
// SOCK_NONBLOCK; names in the abstract namespace; datagrams to a bound path
// with the sender's name from recvfrom; ENOENT, ECONNREFUSED (no listener,
// a stale node, a closed abstract name) and EPROTOTYPE; a client that
// writes more than the queue holds before the server accepts.
#include "guest.h"
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static struct sockaddr_un server_addr;
static socklen_t server_len;

static socklen_t path_addr(struct sockaddr_un *a, const char *what)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    /* The pid keeps native runs of both architectures apart. */
    snprintf(a->sun_path, sizeof a->sun_path, "/tmp/unix-%s-%d", what, (int)getpid());
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *what)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "unikit-%s-%d", what, (int)getpid());
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static void *client(void *arg)
{
    (void)arg;
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    usleep(20000); /* the server is in accept by now, most likely */
    if (c < 0 || connect(c, (struct sockaddr *)&server_addr, server_len) < 0)
        return (void *)1;
    char buf[8] = {0};
    if (write(c, "ping", 4) != 4 || read(c, buf, sizeof buf) != 4 || memcmp(buf, "pong", 4))
        return (void *)2;
    close(c);
    return NULL;
}

static void test_stream_server(void)
{
    server_len = path_addr(&server_addr, "stream");
    unlink(server_addr.sun_path);
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    want("socket AF_UNIX stream", l, 0);
    struct pollfd fresh_poll = {.fd = l, .events = POLLIN | POLLOUT};
    check("poll: unconnected is POLLOUT|POLLHUP",
          poll(&fresh_poll, 1, 0) == 1 && fresh_poll.revents == (POLLOUT | POLLHUP));
    struct ucred nobody;
    socklen_t nlen = sizeof nobody;
    check("SO_PEERCRED unconnected: nobody",
          getsockopt(l, SOL_SOCKET, SO_PEERCRED, &nobody, &nlen) == 0 && nobody.pid == 0 &&
              nobody.uid == (uid_t)-1 && nobody.gid == (gid_t)-1);
    want("connect before anything is bound",
         connect(l, (struct sockaddr *)&server_addr, server_len), ENOENT);
    want("bind path", bind(l, (struct sockaddr *)&server_addr, server_len), 0);
    struct stat st;
    check("stat: a socket node", stat(server_addr.sun_path, &st) == 0 && S_ISSOCK(st.st_mode));
    want("open the node", open(server_addr.sun_path, O_RDONLY), ENXIO);
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    want("bind the same path again", bind(other, (struct sockaddr *)&server_addr, server_len),
         EADDRINUSE);
    want("connect before listen", connect(other, (struct sockaddr *)&server_addr, server_len),
         ECONNREFUSED);
    close(other);
    want("bind its own path again", bind(l, (struct sockaddr *)&server_addr, server_len),
         EADDRINUSE);
    struct sockaddr_un fresh;
    socklen_t fresh_len = path_addr(&fresh, "fresh");
    want("bind a bound socket elsewhere", bind(l, (struct sockaddr *)&fresh, fresh_len), EINVAL);
    check("that made no node", access(fresh.sun_path, F_OK) < 0 && errno == ENOENT);
    want("listen", listen(l, 4), 0);
    struct sockaddr_un a;
    socklen_t len = sizeof a;
    check("getsockname: the path", getsockname(l, (struct sockaddr *)&a, &len) == 0 &&
                                       len == server_len &&
                                       strcmp(a.sun_path, server_addr.sun_path) == 0);
    struct pollfd p = {.fd = l, .events = POLLIN};
    check("poll: no connection yet", poll(&p, 1, 0) == 0);

    pthread_t t;
    void *result;
    pthread_create(&t, NULL, client, NULL);
    len = sizeof a;
    int s = accept(l, (struct sockaddr *)&a, &len);
    want("accept", s, 0);
    check("accept: the client is unnamed", len == sizeof(sa_family_t));
    char buf[8] = {0};
    check("read ping", read(s, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0);
    len = sizeof a;
    check("accepted end's name is the server's", getsockname(s, (struct sockaddr *)&a, &len) == 0 &&
                                                     strcmp(a.sun_path, server_addr.sun_path) == 0);
    want("write pong", write(s, "pong", 4), 0);
    check("read: end of file after the client closes", read(s, buf, sizeof buf) == 0);
    pthread_join(t, &result);
    check("client thread succeeded", result == NULL);
    close(s);

    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    want("connect again", connect(c, (struct sockaddr *)&server_addr, server_len), 0);
    len = sizeof a;
    check("getpeername: the server's path", getpeername(c, (struct sockaddr *)&a, &len) == 0 &&
                                                strcmp(a.sun_path, server_addr.sun_path) == 0);
    struct ucred cred;
    len = sizeof cred;
    check("SO_PEERCRED: this process", getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 &&
                                           len == sizeof cred && cred.pid == getpid() &&
                                           cred.uid == geteuid() && cred.gid == getegid());
    want("connect a connected socket", connect(c, (struct sockaddr *)&server_addr, server_len),
         EISCONN);
    check("poll: a connection waits", poll(&p, 1, 0) == 1 && p.revents == POLLIN);
    s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    want("accept4 SOCK_NONBLOCK", s, 0);
    want("read nothing yet", read(s, buf, sizeof buf), EAGAIN);
    want("accept on an empty queue, non-blocking",
         (fcntl(l, F_SETFL, O_NONBLOCK), accept(l, NULL, NULL)), EAGAIN);
    close(s);
    close(c);
    close(l);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    want("connect: the node stays, no one listens",
         connect(c, (struct sockaddr *)&server_addr, server_len), ECONNREFUSED);
    close(c);
    want("unlink the node", unlink(server_addr.sun_path), 0);
}

static void test_abstract(void)
{
    struct sockaddr_un a, got;
    socklen_t alen = abstract_addr(&a, "abs");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    want("bind abstract", bind(l, (struct sockaddr *)&a, alen), 0);
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    want("bind the same abstract name", bind(other, (struct sockaddr *)&a, alen), EADDRINUSE);
    want("listen", listen(l, 1), 0);
    socklen_t len = sizeof got;
    check("getsockname: the abstract name", getsockname(l, (struct sockaddr *)&got, &len) == 0 &&
                                                len == alen && got.sun_path[0] == 0 &&
                                                memcmp(got.sun_path, a.sun_path, alen - 2) == 0);
    want("connect abstract", connect(other, (struct sockaddr *)&a, alen), 0);
    int s = accept(l, NULL, NULL);
    want("accept", s, 0);
    want("send", send(other, "abc", 3, 0), 0);
    char buf[4];
    check("received", recv(s, buf, sizeof buf, 0) == 3 && memcmp(buf, "abc", 3) == 0);
    close(s);
    close(other);
    close(l);
    other = socket(AF_UNIX, SOCK_STREAM, 0);
    want("connect: the name went with the socket", connect(other, (struct sockaddr *)&a, alen),
         ECONNREFUSED);
    close(other);

    l = socket(AF_UNIX, SOCK_STREAM, 0);
    other = socket(AF_UNIX, SOCK_STREAM, 0);
    want("bind abstract again", bind(l, (struct sockaddr *)&a, alen), 0);
    want("listen", listen(l, 1), 0);
    want("connect, never accepted", connect(other, (struct sockaddr *)&a, alen), 0);
    close(l);
    want("read: the listener closed first", read(other, buf, sizeof buf), ECONNRESET);
    check("then end of file", read(other, buf, sizeof buf) == 0);
    close(other);
}

#define BULK 300000 /* more than a socket queues: the client waits for the server */
static struct sockaddr_un bulk_addr;
static socklen_t bulk_len;

static void *bulk_client(void *arg)
{
    (void)arg;
    static char data[BULK];
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&bulk_addr, bulk_len) < 0)
        return (void *)1;
    for (size_t done = 0; done < BULK;) {
        ssize_t n = write(c, data + done, BULK - done);
        if (n <= 0)
            return (void *)2;
        done += (size_t)n;
    }
    close(c);
    return NULL;
}

static void test_bulk_before_accept(void)
{
    bulk_len = abstract_addr(&bulk_addr, "bulk");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    want("bind and listen for a bulk client",
         bind(l, (struct sockaddr *)&bulk_addr, bulk_len) < 0 ? -1 : listen(l, 1), 0);
    pthread_t t;
    void *result;
    pthread_create(&t, NULL, bulk_client, NULL);
    usleep(50000); /* the client has filled the queue and sleeps by now */
    int s = accept(l, NULL, NULL);
    want("accept", s, 0);
    static char buf[65536];
    long total = 0, n;
    while ((n = read(s, buf, sizeof buf)) > 0)
        total += n;
    check("every byte written before and after accept arrives", total == BULK);
    pthread_join(t, &result);
    check("bulk client succeeded", result == NULL);
    close(s);
    close(l);
}

static void test_dgram(void)
{
    struct sockaddr_un srv, cli, from;
    socklen_t slen = path_addr(&srv, "dgram-srv"), clen = path_addr(&cli, "dgram-cli");
    unlink(srv.sun_path);
    unlink(cli.sun_path);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0);
    want("sendto a missing path", sendto(c, "x", 1, 0, (struct sockaddr *)&srv, slen), ENOENT);
    want("bind server", bind(s, (struct sockaddr *)&srv, slen), 0);
    want("bind client", bind(c, (struct sockaddr *)&cli, clen), 0);
    want("sendto one", sendto(c, "one", 3, 0, (struct sockaddr *)&srv, slen), 0);
    want("sendto two", sendto(c, "second", 6, 0, (struct sockaddr *)&srv, slen), 0);
    char buf[16];
    socklen_t flen = sizeof from;
    check("recvfrom: one, from the client's path",
          recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen) == 3 &&
              memcmp(buf, "one", 3) == 0 && flen == clen &&
              strcmp(from.sun_path, cli.sun_path) == 0);
    check("recv: second, whole", recv(s, buf, sizeof buf, 0) == 6 && memcmp(buf, "second", 6) == 0);
    want("reply to the sender's name", sendto(s, "ok", 2, 0, (struct sockaddr *)&from, flen), 0);
    check("client reads the reply", recv(c, buf, sizeof buf, 0) == 2);
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    want("send from an unnamed socket", sendto(u, "anon", 4, 0, (struct sockaddr *)&srv, slen), 0);
    flen = sizeof from;
    check("recvfrom: an unnamed sender has no address",
          recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen) == 4 && flen == 0);
    want("send unconnected, no address", send(u, "x", 1, 0), ENOTCONN);
    want("connect to the server", connect(u, (struct sockaddr *)&srv, slen), 0);
    want("send connected", send(u, "conn", 4, 0), 0);
    check("received", recv(s, buf, sizeof buf, 0) == 4 && memcmp(buf, "conn", 4) == 0);
    int st = socket(AF_UNIX, SOCK_STREAM, 0);
    want("stream connect to a datagram name", connect(st, (struct sockaddr *)&srv, slen),
         EPROTOTYPE);
    want("listen on a datagram socket", listen(s, 1), EOPNOTSUPP);
    close(st);
    close(u);
    close(c);
    close(s);
    unlink(srv.sun_path);
    unlink(cli.sun_path);
}

int main(void)
{
    test_stream_server();
    test_abstract();
    test_bulk_before_accept();
    test_dgram();
    return guest_done();
}
