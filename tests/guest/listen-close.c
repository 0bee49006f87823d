// cpus: 1 2
// A server closing its listening socket while connections exist (issue
// #17: an in-memory database's SHUTDOWN panicked the kernel). Over
// 127.0.0.1: a listener closed by the main thread with connections
// accepted, half-closed and still queued; one closed by another thread
// while the main thread sleeps in read(); one closed by another thread
// while the main thread sleeps in accept() on it (as on Linux, the accept
// holds it open and still takes a connection; the port closes after); one
// shut down by another thread under accept() (EINVAL, as on Linux); one with
// more connections than its backlog, some still handshaking. The process
// goes on, accepted connections keep working, queued ones are reset, and
// every client ends (reset, refused or end of stream) within seconds.
#include "guest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>

#define CLIENTS_OVER_BACKLOG 5

static int listener(int backlog, int *port)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, backlog) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) < 0) {
        printf("listener: %s\n", errno_name(errno));
        exit(1);
    }
    *port = ntohs(a.sin_port);
    return l;
}

/* A client socket; blocking connects must succeed, non-blocking ones start. */
static int client(int port, int nonblock)
{
    int c = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int rc = connect(c, (struct sockaddr *)&a, sizeof(a));
    if (c < 0 || (rc < 0 && !(nonblock && errno == EINPROGRESS))) {
        printf("connect: %s\n", errno_name(errno));
        exit(1);
    }
    return c;
}

static int readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) == 1;
}

/* Sends S on one end and checks that the other end reads exactly S. */
static int carries(int from, int to, const char *s)
{
    char buf[16] = {0};
    size_t n = strlen(s);
    return write(from, s, n) == (ssize_t)n && readable(to, 5000) &&
           read(to, buf, sizeof(buf)) == (ssize_t)n && memcmp(buf, s, n) == 0;
}

/* After a read that must fail: its errno's name, or "eof" / "data". */
static const char *read_outcome(int fd)
{
    char c;
    if (!readable(fd, 10000))
        return "nothing within 10 s";
    ssize_t n = read(fd, &c, 1);
    return n < 0 ? errno_name(errno) : n == 0 ? "eof" : "data";
}

static void closed_by_main_thread(void)
{
    int port, l = listener(8, &port);
    int c1 = client(port, 0), a1 = accept(l, NULL, NULL);
    int c2 = client(port, 0), a2 = accept(l, NULL, NULL);
    check("main: two accepted", a1 >= 0 && a2 >= 0);
    want("main: client 2 shuts down writing", shutdown(c2, SHUT_WR), 0);
    char c;
    check("main: accepted 2 reads end of stream", readable(a2, 5000) && read(a2, &c, 1) == 0);
    int queued = client(port, 0);
    check("main: third connection queued", readable(l, 5000));
    want("main: close listener", close(l), 0);
    printf("main: queued client reads: %s\n", read_outcome(queued));
    check("main: accepted 1 carries data both ways",
          carries(c1, a1, "ping") && carries(a1, c1, "pong"));
    check("main: half-closed 2 still sends", carries(a2, c2, "bye"));
    want("main: close accepted 2", close(a2), 0);
    printf("main: client 2 then reads: %s\n", read_outcome(c2));
    want("main: close client 1", close(c1), 0);
    printf("main: accepted 1 then reads: %s\n", read_outcome(a1));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int again = socket(AF_INET, SOCK_STREAM, 0);
    want("main: connect to the closed port", connect(again, (struct sockaddr *)&a, sizeof(a)),
         ECONNREFUSED);
    close(again), close(queued), close(c2), close(a1);
}

static int thread_fd, thread_peer;

static void *close_later(void *arg)
{
    (void)arg;
    usleep(100000);
    close(thread_fd);
    if (write(thread_peer, "x", 1) != 1)
        printf("thread: write failed\n");
    return NULL;
}

static void closed_by_other_thread(void)
{
    int port, l = listener(8, &port);
    int c = client(port, 0), a = accept(l, NULL, NULL);
    int queued = client(port, 0);
    check("thread: connection queued", readable(l, 5000));
    thread_fd = l, thread_peer = c;
    pthread_t t;
    pthread_create(&t, NULL, close_later, NULL);
    char buf[4];
    check("thread: read while the listener closes", read(a, buf, sizeof(buf)) == 1);
    pthread_join(t, NULL);
    printf("thread: queued client reads: %s\n", read_outcome(queued));
    check("thread: accepted still carries data", carries(a, c, "ok"));
    close(c);
    printf("thread: accepted then reads: %s\n", read_outcome(a));
    close(a), close(queued);
}

static int thread_port, thread_client = -1;

static void *close_then_connect(void *arg)
{
    (void)arg;
    usleep(100000);
    close(thread_fd);
    thread_client = client(thread_port, 0);
    return NULL;
}

static void closed_under_accept(void)
{
    int l = listener(8, &thread_port);
    thread_fd = l;
    pthread_t t;
    pthread_create(&t, NULL, close_then_connect, NULL);
    int a = accept(l, NULL, NULL);
    check("under accept: accept returns the next connection", a >= 0);
    pthread_join(t, NULL);
    check("under accept: it carries data", carries(thread_client, a, "yo"));
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((unsigned short)thread_port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int again = socket(AF_INET, SOCK_STREAM, 0);
    want("under accept: then the port is closed",
         connect(again, (struct sockaddr *)&sa, sizeof(sa)), ECONNREFUSED);
    close(again), close(a), close(thread_client);
}

static int thread_rc, thread_errno;

/* Prints nothing: the main thread reports, after join, in a fixed order. */
static void *shut_later(void *arg)
{
    (void)arg;
    usleep(100000);
    thread_rc = shutdown(thread_fd, SHUT_RDWR);
    thread_errno = errno;
    return NULL;
}

static void shut_down_under_accept(void)
{
    int port, l = listener(8, &port);
    int queued = client(port, 0);
    check("accept: connection queued", readable(l, 5000));
    int a = accept(l, NULL, NULL);
    check("accept: first accepted", a >= 0);
    thread_fd = l;
    pthread_t t;
    pthread_create(&t, NULL, shut_later, NULL);
    want("accept: blocked accept ends", accept(l, NULL, NULL), EINVAL);
    pthread_join(t, NULL);
    errno = thread_errno;
    want("accept: the thread's shutdown of the listener", thread_rc, 0);
    want("accept: close listener", close(l), 0);
    check("accept: accepted still carries data", carries(queued, a, "hi"));
    close(a), close(queued);
}

/* Whether a client, connected or still connecting, ends with an error or an
 * end of stream once its listener is gone. */
static int client_ends(int c)
{
    struct pollfd p = {.fd = c, .events = POLLOUT};
    if (poll(&p, 1, 15000) != 1)
        return 0;
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err)
        return err == ECONNREFUSED || err == ECONNRESET || err == ETIMEDOUT;
    /* Connected (queued or handshaking when the listener closed): reset. */
    if (send(c, "x", 1, MSG_NOSIGNAL) < 0 && (errno == ECONNRESET || errno == EPIPE))
        return 1;
    p.events = POLLIN;
    char ch;
    return poll(&p, 1, 15000) == 1 && read(c, &ch, 1) <= 0;
}

static void over_backlog(void)
{
    int port, l = listener(1, &port), c[CLIENTS_OVER_BACKLOG];
    for (int i = 0; i < CLIENTS_OVER_BACKLOG; i++)
        c[i] = client(port, 1);
    usleep(100000);
    want("backlog: close listener", close(l), 0);
    int ended = 0;
    for (int i = 0; i < CLIENTS_OVER_BACKLOG; i++)
        ended += client_ends(c[i]);
    check("backlog: every client ends", ended == CLIENTS_OVER_BACKLOG);
    for (int i = 0; i < CLIENTS_OVER_BACKLOG; i++)
        close(c[i]);
}

int main(void)
{
    closed_by_main_thread();
    closed_by_other_thread();
    closed_under_accept();
    shut_down_under_accept();
    over_backlog();
    return guest_done();
}
