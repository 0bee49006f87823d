// accept4's flags over 127.0.0.1: SOCK_NONBLOCK gives the new socket
// O_NONBLOCK (F_GETFL, and a read with nothing there is EAGAIN),
// SOCK_CLOEXEC gives it FD_CLOEXEC (F_GETFD), each alone or both, and
// without them neither; the listener's own O_NONBLOCK is not inherited.
// Any other flag bit is EINVAL (after EBADF, before ENOTSOCK), through
// the system call itself: musl's accept4() retries an EINVAL as accept().
#include "guest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

static int port;

static int listener(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 8) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) < 0)
        return -1;
    port = ntohs(a.sin_port);
    return l;
}

static int connect_to(void)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    return connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 ? -1 : c;
}

/* Accepts one connection with flags and checks the new socket's flags. */
static void accept_with(int l, const char *name, int flags)
{
    char label[96];
    int c = connect_to();
    snprintf(label, sizeof label, "%s: connect", name);
    check(label, c >= 0);
    struct sockaddr_in peer;
    socklen_t len = sizeof(peer);
    snprintf(label, sizeof label, "%s: accept4", name);
    int s = (int)want(label, accept4(l, (struct sockaddr *)&peer, &len, flags), 0);
    snprintf(label, sizeof label, "%s: peer is 127.0.0.1", name);
    check(label, len == sizeof(peer) && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    int fl = fcntl(s, F_GETFL), fd = fcntl(s, F_GETFD);
    snprintf(label, sizeof label, "%s: O_NONBLOCK %s", name,
             flags & SOCK_NONBLOCK ? "set" : "clear");
    check(label, fl >= 0 && !!(fl & O_NONBLOCK) == !!(flags & SOCK_NONBLOCK));
    snprintf(label, sizeof label, "%s: FD_CLOEXEC %s", name,
             flags & SOCK_CLOEXEC ? "set" : "clear");
    check(label, fd >= 0 && !!(fd & FD_CLOEXEC) == !!(flags & SOCK_CLOEXEC));
    if (flags & SOCK_NONBLOCK) {
        char b;
        snprintf(label, sizeof label, "%s: read with nothing sent", name);
        want(label, read(s, &b, 1), EAGAIN);
    }
    /* The connection works: a byte each way (waited for: a non-blocking
       read does not wait for the loopback to deliver it). */
    char b = 0;
    struct pollfd pf = {.fd = s, .events = POLLIN};
    snprintf(label, sizeof label, "%s: data both ways", name);
    check(label, write(c, "x", 1) == 1 && poll(&pf, 1, 10000) == 1 && read(s, &b, 1) == 1 &&
                     b == 'x' && write(s, "y", 1) == 1 && read(c, &b, 1) == 1 && b == 'y');
    close(s);
    close(c);
}

static long sys_accept4(int fd, int flags)
{
    return syscall(SYS_accept4, (long)fd, NULL, NULL, (long)flags);
}

int main(void)
{
    int l = listener();
    check("listener on 127.0.0.1", l >= 0);
    accept_with(l, "no flags", 0);
    accept_with(l, "SOCK_NONBLOCK", SOCK_NONBLOCK);
    accept_with(l, "SOCK_CLOEXEC", SOCK_CLOEXEC);
    accept_with(l, "both", SOCK_NONBLOCK | SOCK_CLOEXEC);

    /* A non-blocking listener: nothing pending is EAGAIN, and the accepted
       socket does not inherit the listener's O_NONBLOCK. */
    check("listener O_NONBLOCK", fcntl(l, F_SETFL, O_NONBLOCK) == 0);
    want("accept4 nothing pending", accept4(l, NULL, NULL, SOCK_CLOEXEC), EAGAIN);
    accept_with(l, "from a non-blocking listener", 0);

    want("flag 1", sys_accept4(l, 1), EINVAL);
    want("flag O_APPEND", sys_accept4(l, O_APPEND), EINVAL);
    want("bad flag, closed descriptor", sys_accept4(99, 1), EBADF);
    want("closed descriptor", sys_accept4(99, SOCK_CLOEXEC), EBADF);
    int p[2];
    check("pipe", sys_pipe(p) == 0);
    want("bad flag, not a socket", sys_accept4(p[0], 1), EINVAL);
    want("not a socket", sys_accept4(p[0], SOCK_NONBLOCK), ENOTSOCK);
    int u = socket(AF_INET, SOCK_STREAM, 0);
    want("not listening", accept4(u, NULL, NULL, SOCK_NONBLOCK), EINVAL);
    close(u);
    close(p[0]);
    close(p[1]);
    close(l);
    return guest_done();
}
