// cpus: 1 2
// Waiting for readiness without sockets (the kernel proper, not the network
// object): poll, ppoll, select, pselect6, epoll_create1/ctl/wait/pwait and
// eventfd2 on pipes and eventfds. Readiness right after a change, zero
// timeouts, EPOLLONESHOT, a closed fd leaving the epoll set, and blocking
// waits that another thread ends by writing (a lost wake-up would hang:
// the test runner's timeout bounds it).
#include "guest.h"
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>

static int fds[2];

static void test_poll_pipe(void)
{
    want("pipe", pipe(fds), 0);
    struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLOUT}};
    check("poll empty pipe: only write end ready", poll(p, 2, 0) == 1 && p[1].revents == POLLOUT);
    want("write", write(fds[1], "x", 1), 0);
    check("poll after write: both ready", poll(p, 2, 0) == 2 && (p[0].revents & POLLIN));
    struct timespec zero = {0, 0};
    check("ppoll agrees", ppoll(p, 2, &zero, NULL) == 2);
    char c;
    want("read", read(fds[0], &c, 1), 0);
    struct pollfd bad = {.fd = 999, .events = POLLIN};
    check("poll bad fd: POLLNVAL", poll(&bad, 1, 0) == 1 && bad.revents == POLLNVAL);
    check("poll times out", poll(p, 1, 20) == 0);
}

static void test_select(void)
{
    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_ZERO(&wr);
    FD_SET(fds[0], &rd);
    FD_SET(fds[1], &wr);
    struct timeval tv = {0, 0};
    check("select: write end ready", select(fds[1] + 1, &rd, &wr, NULL, &tv) == 1 &&
                                         FD_ISSET(fds[1], &wr) && !FD_ISSET(fds[0], &rd));
    want("write", write(fds[1], "y", 1), 0);
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    struct timespec ts = {0, 0};
    check("pselect: read end ready",
          pselect(fds[0] + 1, &rd, NULL, NULL, &ts, NULL) == 1 && FD_ISSET(fds[0], &rd));
    char c;
    want("read", read(fds[0], &c, 1), 0);
}

static void test_eventfd(void)
{
    int e = (int)want("eventfd2", eventfd(3, EFD_NONBLOCK), 0);
    uint64_t v = 0;
    check("eventfd read gives the count", read(e, &v, sizeof(v)) == 8 && v == 3);
    want("eventfd read when zero", read(e, &v, sizeof(v)), EAGAIN);
    struct pollfd p = {.fd = e, .events = POLLIN | POLLOUT};
    check("poll eventfd: writable only", poll(&p, 1, 0) == 1 && p.revents == POLLOUT);
    close(e);
    int s = (int)want("eventfd2 semaphore", eventfd(2, EFD_SEMAPHORE), 0);
    check("semaphore reads one", read(s, &v, sizeof(v)) == 8 && v == 1);
    close(s);
}

static void test_epoll(void)
{
    int ep = (int)want("epoll_create1", epoll_create1(EPOLL_CLOEXEC), 0);
    int e = eventfd(0, EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    want("epoll_ctl add pipe", epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev), 0);
    want("epoll_ctl add twice", epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev), EEXIST);
    ev = (struct epoll_event){.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 9};
    want("epoll_ctl add eventfd", epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev), 0);
    struct epoll_event out[4];
    check("epoll_wait nothing ready", epoll_wait(ep, out, 4, 0) == 0);
    uint64_t one = 1;
    want("eventfd write", write(e, &one, sizeof(one)), 0);
    check("epoll_wait: eventfd", epoll_wait(ep, out, 4, 0) == 1 && out[0].data.u64 == 9);
    check("oneshot: not again", epoll_wait(ep, out, 4, 0) == 0);
    want("write", write(fds[1], "z", 1), 0);
    check("level-triggered: pipe twice", epoll_pwait(ep, out, 4, 0, NULL) == 1 &&
                                             epoll_wait(ep, out, 4, 0) == 1 &&
                                             out[0].data.u64 == 7);
    char c;
    want("read", read(fds[0], &c, 1), 0);
    want("epoll_ctl del", epoll_ctl(ep, EPOLL_CTL_DEL, fds[0], NULL), 0);
    want("epoll_ctl del again", epoll_ctl(ep, EPOLL_CTL_DEL, fds[0], NULL), ENOENT);
    close(e);
    close(ep);
}

/* A closed fd leaves the set at once, as on Linux: a file that takes its
 * number next (in the kernel perhaps at the old one's address) is not
 * reported with the old registration's data, and can be added. A server
 * under load (examples/httpd) closes a connection and opens a file or
 * accepts another between two epoll_waits all the time. */
static void test_epoll_fd_reuse(void)
{
    int ep = epoll_create1(0), e = eventfd(1, EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 11}, out[2];
    want("reuse: add eventfd", epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev), 0);
    close(e);
    int again = eventfd(1, EFD_NONBLOCK);
    check("reuse: the number is taken again", again == e);
    check("reuse: the closed one is not reported", epoll_wait(ep, out, 2, 0) == 0);
    ev.data.u64 = 12;
    want("reuse: add the new one", epoll_ctl(ep, EPOLL_CTL_ADD, again, &ev), 0);
    check("reuse: reported with its own data",
          epoll_wait(ep, out, 2, 0) == 1 && out[0].data.u64 == 12);
    close(e);
    e = eventfd(1, EFD_NONBLOCK); /* the same number, and nothing scanned in between */
    ev.data.u64 = 13;
    want("reuse: add right after a close", epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev), 0);
    check("reuse: only the new one reported",
          epoll_wait(ep, out, 2, 0) == 1 && out[0].data.u64 == 13);
    close(e);
    close(ep);
}

static void *late_writer(void *arg)
{
    usleep(50000); /* let the main thread block first */
    int fd = *(int *)arg;
    if (fd == fds[1])
        (void)!write(fd, "w", 1);
    else
        (void)!write(fd, &(uint64_t){1}, 8);
    return NULL;
}

/* Blocking waits ended by another thread: the waiter must be woken. */
static void test_wakeups(void)
{
    pthread_t t;
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    pthread_create(&t, NULL, late_writer, &fds[1]);
    check("poll woken by a writer", poll(&p, 1, -1) == 1 && (p.revents & POLLIN));
    pthread_join(t, NULL);
    char c;
    want("read", read(fds[0], &c, 1), 0);

    int e = eventfd(0, 0), ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 5}, out;
    want("epoll_ctl add EPOLLET", epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev), 0);
    pthread_create(&t, NULL, late_writer, &e);
    check("epoll_wait woken by eventfd", epoll_wait(ep, &out, 1, -1) == 1 && out.data.u64 == 5);
    pthread_join(t, NULL);

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    close(fds[1]);
    check("select: closed write end reads EOF",
          select(fds[0] + 1, &rd, NULL, NULL, NULL) == 1 && read(fds[0], &c, 1) == 0);
    close(e);
    close(ep);
    close(fds[0]);
}

int main(void)
{
    test_poll_pipe();
    test_select();
    test_eventfd();
    test_epoll();
    test_epoll_fd_reuse();
    test_wakeups();
    return guest_done();
}
