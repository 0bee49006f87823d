// Socket options servers set, over 127.0.0.1: TCP_CORK (accepted, read
// back, and what was written while corked arrives once uncorked, as a
// sendfile-and-tcp_nopush web server relies on), TCP_KEEPIDLE/KEEPINTVL/
// KEEPCNT (Linux's defaults, set and read back, ranges), SO_LINGER,
// SO_RCVTIMEO (a blocking recv and accept end with EAGAIN after it) and
// SO_SNDTIMEO (read back), with their EINVAL and EDOM cases.
#include "guest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

static int listener(int *port)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 4) < 0 ||
        getsockname(l, (struct sockaddr *)&a, &len) < 0)
        return -1;
    *port = ntohs(a.sin_port);
    return l;
}

static int connect_to(int port)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    return connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 ? -1 : c;
}

static int get_int(int fd, int level, int name)
{
    int v = -1;
    socklen_t len = sizeof(v);
    return getsockopt(fd, level, name, &v, &len) < 0 ? -1 : v;
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1e3 + (t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void test_cork(int c, int s)
{
    int one = 1, zero = 0;
    want("TCP_CORK on", setsockopt(c, IPPROTO_TCP, TCP_CORK, &one, sizeof one), 0);
    check("TCP_CORK reads 1", get_int(c, IPPROTO_TCP, TCP_CORK) == 1);
    check("write corked", write(c, "head", 4) == 4 && write(c, "body", 4) == 4);
    want("TCP_CORK off", setsockopt(c, IPPROTO_TCP, TCP_CORK, &zero, sizeof zero), 0);
    check("TCP_CORK reads 0", get_int(c, IPPROTO_TCP, TCP_CORK) == 0);
    char buf[16] = {0};
    size_t got = 0;
    while (got < 8) {
        ssize_t n = read(s, buf + got, sizeof buf - 1 - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    check("data arrives once uncorked", got == 8 && strcmp(buf, "headbody") == 0);
}

static void test_keepalive(int c)
{
    check("KEEPIDLE default 7200", get_int(c, IPPROTO_TCP, TCP_KEEPIDLE) == 7200);
    check("KEEPINTVL default 75", get_int(c, IPPROTO_TCP, TCP_KEEPINTVL) == 75);
    check("KEEPCNT default 9", get_int(c, IPPROTO_TCP, TCP_KEEPCNT) == 9);
    int idle = 60, intvl = 10, cnt = 5, bad = 0, big = 200;
    want("TCP_KEEPIDLE", setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle), 0);
    want("TCP_KEEPINTVL", setsockopt(c, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl), 0);
    want("TCP_KEEPCNT", setsockopt(c, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt), 0);
    check("KEEPIDLE 60", get_int(c, IPPROTO_TCP, TCP_KEEPIDLE) == 60);
    check("KEEPINTVL 10", get_int(c, IPPROTO_TCP, TCP_KEEPINTVL) == 10);
    check("KEEPCNT 5", get_int(c, IPPROTO_TCP, TCP_KEEPCNT) == 5);
    want("TCP_KEEPIDLE 0", setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &bad, sizeof bad), EINVAL);
    want("TCP_KEEPCNT 200", setsockopt(c, IPPROTO_TCP, TCP_KEEPCNT, &big, sizeof big), EINVAL);
}

static void test_linger(int c)
{
    struct linger l = {1, 5}, got = {-1, -1};
    socklen_t len = sizeof got;
    want("SO_LINGER", setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l), 0);
    want("get SO_LINGER", getsockopt(c, SOL_SOCKET, SO_LINGER, &got, &len), 0);
    check("linger on, 5 s", got.l_onoff == 1 && got.l_linger == 5 && len == sizeof got);
    l.l_onoff = 0;
    setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    getsockopt(c, SOL_SOCKET, SO_LINGER, &got, &len);
    check("linger off", got.l_onoff == 0);
    want("SO_LINGER short", setsockopt(c, SOL_SOCKET, SO_LINGER, &l, 4), EINVAL);
}

static void test_timeouts(int l, int s)
{
    struct timeval tv = {0, 200000}, got = {-1, -1};
    socklen_t len = sizeof got;
    want("SO_RCVTIMEO", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    want("get SO_RCVTIMEO", getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len), 0);
    check("200 ms back", got.tv_sec == 0 && got.tv_usec == 200000);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char c;
    want("recv times out", recv(s, &c, 1, 0), EAGAIN);
    double ms = ms_since(&t0);
    check("after about 200 ms", ms >= 150 && ms < 5000);

    want("SO_RCVTIMEO on listener", setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    want("accept times out", accept(l, NULL, NULL), EAGAIN);
    check("accept waited", ms_since(&t0) >= 150);
    int port = 0;
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    getsockname(l, (struct sockaddr *)&a, &alen);
    port = ntohs(a.sin_port);
    int c2 = connect_to(port), s2 = accept(l, NULL, NULL);
    getsockopt(s2, SOL_SOCKET, SO_RCVTIMEO, &got, &len);
    check("accepted socket inherits it", got.tv_sec == 0 && got.tv_usec == 200000);
    close(c2);
    close(s2);

    struct timeval snd = {3, 500000};
    want("SO_SNDTIMEO", setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof snd), 0);
    getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &got, &len);
    check("3.5 s back", got.tv_sec == 3 && got.tv_usec == 500000);
    struct timeval bad = {0, 1000000};
    want("SO_RCVTIMEO bad usec", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &bad, sizeof bad), EDOM);
    want("SO_RCVTIMEO short", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, 4), EINVAL);
    struct timeval off = {0, 0};
    want("SO_RCVTIMEO off", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &off, sizeof off), 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int port = 0, l = listener(&port);
    check("listener", l >= 0);
    int c = connect_to(port);
    check("connected", c >= 0);
    int s = accept(l, NULL, NULL);
    check("accepted", s >= 0);
    test_cork(c, s);
    test_keepalive(c);
    test_linger(c);
    test_timeouts(l, s);
    close(c);
    close(s);
    close(l);
    return guest_done();
}
