// cpus: 1 2
// native-aarch64: no (qemu-aarch64 translates control messages itself)
// socketpair(AF_UNIX): a stream echoed by a second thread (several writes,
// partial reads, end of file once the thread closes its end, EPIPE with
// MSG_NOSIGNAL, SIGPIPE without it), shutdown(SHUT_WR), datagrams and
// sequenced packets keeping their boundaries (and truncated to the
// buffer), non-blocking EAGAIN both ways, poll and epoll readiness,
// FIONREAD, fstat, the socket's names, and a descriptor passed with
// SCM_RIGHTS. The program calls socketpair but never socket: its image
// carries no network object, and all this works without.
#include "guest.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

static int sv[2];
static volatile sig_atomic_t sigpipes;

/* Echoes what it reads until end of file, then closes its end. */
static void *echo(void *arg)
{
    (void)arg;
    char buf[64];
    ssize_t n;
    while ((n = read(sv[1], buf, sizeof buf)) > 0)
        if (write(sv[1], buf, (size_t)n) != n)
            break;
    close(sv[1]);
    return NULL;
}

static int read_exactly(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static void test_stream_echo(void)
{
    want("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pthread_t t;
    pthread_create(&t, NULL, echo, NULL);
    char big[3000], back[3000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    want("write hello", write(sv[0], "hello", 5), 0);
    char buf[16] = {0};
    check("echoed hello", read_exactly(sv[0], buf, 5) == 0 && memcmp(buf, "hello", 5) == 0);
    check("write 3000 bytes", write(sv[0], big, sizeof big) == (ssize_t)sizeof big);
    check("echoed 3000 bytes",
          read_exactly(sv[0], back, sizeof back) == 0 && memcmp(big, back, sizeof big) == 0);
    want("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR), 0);
    check("read: end of file once the echo closed", read(sv[0], buf, sizeof buf) == 0);
    pthread_join(t, NULL);
    struct pollfd p = {.fd = sv[0], .events = POLLIN | POLLOUT};
    check("poll: peer gone is POLLIN|POLLHUP",
          poll(&p, 1, 0) == 1 && (p.revents & (POLLIN | POLLHUP)) == (POLLIN | POLLHUP));
    want("send to a closed peer, MSG_NOSIGNAL", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    check("no SIGPIPE with MSG_NOSIGNAL", sigpipes == 0);
    want("send to a closed peer", send(sv[0], "x", 1, 0), EPIPE);
    check("SIGPIPE without it", sigpipes == 1);
    want("write to a closed peer", write(sv[0], "x", 1), EPIPE);
    check("SIGPIPE from write too", sigpipes == 2);
    close(sv[0]);
}

static void test_dgram(int type, const char *name)
{
    char label[64], buf[16];
    snprintf(label, sizeof label, "socketpair %s", name);
    want(label, socketpair(AF_UNIX, type, 0, sv), 0);
    want("send abc", send(sv[0], "abc", 3, 0), 0);
    want("send defgh", send(sv[0], "defgh", 5, 0), 0);
    want("send empty", send(sv[0], "", 0, 0), 0);
    int avail = -1;
    /* Linux: a datagram socket's next message; a packet socket's every byte. */
    check("FIONREAD", ioctl(sv[1], FIONREAD, &avail) == 0 && avail == (type == SOCK_DGRAM ? 3 : 8));
    check("first message alone",
          recv(sv[1], buf, sizeof buf, 0) == 3 && memcmp(buf, "abc", 3) == 0);
    check("second truncated to 2", recv(sv[1], buf, 2, 0) == 2 && memcmp(buf, "de", 2) == 0);
    check("empty message kept", recv(sv[1], buf, sizeof buf, 0) == 0);
    want("recv nothing left, MSG_DONTWAIT", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
    struct msghdr m = {0};
    struct iovec iov[2] = {{"12", 2}, {"345", 3}};
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    check("sendmsg gathers one message", sendmsg(sv[1], &m, 0) == 5);
    char a[3] = {0}, b[8] = {0};
    struct iovec in[2] = {{a, 3}, {b, 8}};
    m.msg_iov = in;
    check("recvmsg scatters it",
          recvmsg(sv[0], &m, 0) == 5 && memcmp(a, "123", 3) == 0 && memcmp(b, "45", 2) == 0);
    close(sv[0]);
    close(sv[1]);
}

static void test_nonblocking(void)
{
    want("socketpair SOCK_NONBLOCK|SOCK_CLOEXEC",
         socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    check("O_NONBLOCK set", fcntl(sv[0], F_GETFL) & O_NONBLOCK);
    check("FD_CLOEXEC set", fcntl(sv[1], F_GETFD) & FD_CLOEXEC);
    char buf[4096];
    want("read empty", read(sv[0], buf, sizeof buf), EAGAIN);
    memset(buf, 'z', sizeof buf);
    long total = 0, n;
    while ((n = write(sv[0], buf, sizeof buf)) > 0)
        total += n;
    check("writes fill the buffer, then EAGAIN", n < 0 && errno == EAGAIN && total > 0);
    struct pollfd p = {.fd = sv[0], .events = POLLOUT};
    check("poll: full is not writable", poll(&p, 1, 0) == 0);
    long drained = 0;
    while ((n = read(sv[1], buf, sizeof buf)) > 0)
        drained += n;
    check("the reader gets every byte", drained == total);
    check("poll: writable again", poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
    close(sv[0]);
    close(sv[1]);
}

static void *late_writer(void *arg)
{
    (void)arg;
    usleep(20000);
    if (write(sv[1], "!", 1) != 1)
        return (void *)1;
    return NULL;
}

static void test_readiness(void)
{
    want("socketpair for polling", socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct pollfd p = {.fd = sv[0], .events = POLLIN | POLLOUT};
    check("poll: empty is only writable", poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[0]}, out;
    want("epoll_ctl ADD", epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev), 0);
    check("epoll: not readable yet", epoll_wait(ep, &out, 1, 0) == 0);
    pthread_t t;
    pthread_create(&t, NULL, late_writer, NULL);
    check("epoll_wait wakes on the other thread's write",
          epoll_wait(ep, &out, 1, 5000) == 1 && out.data.fd == sv[0] && (out.events & EPOLLIN));
    pthread_join(t, NULL);
    check("poll: readable", poll(&p, 1, 0) == 1 && p.revents == (POLLIN | POLLOUT));
    char c;
    want("recv MSG_PEEK", recv(sv[0], &c, 1, MSG_PEEK), 0);
    check("peeked byte stays", read(sv[0], &c, 1) == 1 && c == '!');
    close(ep);
    close(sv[0]);
    close(sv[1]);
}

static void test_names_and_errors(void)
{
    want("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
    want("socketpair bad type", socketpair(AF_UNIX, 9, 0, sv), ESOCKTNOSUPPORT);
    want("socketpair bad protocol", socketpair(AF_UNIX, SOCK_STREAM, 7, sv), EPROTONOSUPPORT);
    want("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct stat st;
    check("fstat: a socket", fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode));
    struct sockaddr_un a;
    socklen_t len = sizeof a;
    check("getsockname: unnamed, the family alone",
          getsockname(sv[0], (struct sockaddr *)&a, &len) == 0 && len == sizeof(sa_family_t) &&
              a.sun_family == AF_UNIX);
    len = sizeof a;
    check("getpeername: unnamed too",
          getpeername(sv[0], (struct sockaddr *)&a, &len) == 0 && len == sizeof(sa_family_t));
    int type = 0;
    len = sizeof type;
    check("SO_TYPE",
          getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM);
    want("lseek", lseek(sv[0], 0, SEEK_SET), ESPIPE);
    int pr[2];
    want("socketpair to reset", socketpair(AF_UNIX, SOCK_STREAM, 0, pr), 0);
    want("write", write(pr[0], "unread", 6), 0);
    close(pr[1]);
    char c;
    want("read: the peer closed with data unread", read(pr[0], &c, 1), ECONNRESET);
    close(pr[0]);
    want("shutdown bad how", shutdown(sv[0], 7), EINVAL);
    want("listen on a connected socket", listen(sv[0], 1), EINVAL);
    int pipefd[2];
    want("pipe", pipe(pipefd), 0);
    want("shutdown on a pipe", shutdown(pipefd[0], SHUT_RD), ENOTSOCK);
    close(pipefd[0]);
    close(pipefd[1]);
    close(sv[0]);
    close(sv[1]);
}

/* Sends fd with one byte of data, c. */
static long send_fd(int sock, int fd, char c)
{
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } control = {0};
    struct iovec iov = {&c, 1};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.space,
                       .msg_controllen = sizeof control.space};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof(int));
    return sendmsg(sock, &m, 0);
}

/* Receives up to len bytes and the descriptor sent with them (-1: none);
 * control_len limits the room for it. */
static long recv_fd(int sock, char *buf, size_t len, int *fd, size_t control_len, int *mflags)
{
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = {buf, len};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.space,
                       .msg_controllen = control_len};
    long n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    *fd = -1;
    *mflags = m.msg_flags;
    struct cmsghdr *h = n >= 0 ? CMSG_FIRSTHDR(&m) : NULL;
    if (h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
        h->cmsg_len == CMSG_LEN(sizeof(int)))
        memcpy(fd, CMSG_DATA(h), sizeof(int));
    return n;
}

static void test_rights(void)
{
    int p[2], fd, mflags;
    char buf[8];
    want("socketpair for SCM_RIGHTS", socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    want("pipe", pipe(p), 0);
    want("send a pipe's write end", send_fd(sv[0], p[1], 'a'), 0);
    want("send more bytes", send(sv[0], "bc", 2, 0), 0);
    long n = recv_fd(sv[1], buf, sizeof buf, &fd, CMSG_SPACE(sizeof(int)), &mflags);
    check("the read stops after the bytes that carried it", n == 1 && buf[0] == 'a');
    check("a new descriptor came", fd >= 0 && fd != p[1] && !(mflags & MSG_CTRUNC));
    check("MSG_CMSG_CLOEXEC set FD_CLOEXEC", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    close(p[1]);
    check("it writes into the same pipe",
          write(fd, "!", 1) == 1 && read(p[0], buf, 1) == 1 && buf[0] == '!');
    close(fd);
    check("the rest of the stream", recv(sv[1], buf, sizeof buf, 0) == 2);
    want("send the read end", send_fd(sv[0], p[0], 'x'), 0);
    n = recv_fd(sv[1], buf, sizeof buf, &fd, sizeof(struct cmsghdr), &mflags);
    check("no room for it: MSG_CTRUNC, no descriptor", n == 1 && fd < 0 && (mflags & MSG_CTRUNC));
    want("send a closed descriptor", send_fd(sv[0], 999, 'y'), EBADF);
    close(p[0]);
    close(sv[0]);
    close(sv[1]);
}

static void on_sigpipe(int sig)
{
    (void)sig;
    sigpipes++;
}

int main(void)
{
    signal(SIGPIPE, on_sigpipe);
    test_stream_echo();
    test_dgram(SOCK_DGRAM, "dgram");
    test_dgram(SOCK_SEQPACKET, "seqpacket");
    test_nonblocking();
    test_readiness();
    test_names_and_errors();
    test_rights();
    return guest_done();
}
