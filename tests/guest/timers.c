// cpus: 1 2
// Timers: setitimer/getitimer/alarm (SIGALRM, SIGVTALRM), POSIX timers
// (timer_create with SIGEV_SIGNAL, SIGEV_THREAD_ID and SIGEV_NONE,
// timer_settime/gettime/getoverrun/delete) and timerfds (read returns the
// expiry count, poll and epoll see them, absolute times, gettime, EAGAIN),
// with their EINVAL cases. A timer that never fires would hang: the test
// runner's timeout bounds it.
#include "guest.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

static volatile sig_atomic_t alarms, vtalarms, usr1s;

static void on_signal(int sig)
{
    if (sig == SIGALRM)
        alarms++;
    else if (sig == SIGVTALRM)
        vtalarms++;
    else if (sig == SIGUSR1)
        usr1s++;
}

static void handle(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(sig, &sa, NULL);
}

static void wait_for(volatile sig_atomic_t *counter, int n)
{
    while (*counter < n)
        pause();
}

static void test_itimer(void)
{
    struct itimerval v = {{0, 0}, {0, 300000}}, cur; /* long enough to see it armed */
    want("setitimer real", setitimer(ITIMER_REAL, &v, NULL), 0);
    want("getitimer real", getitimer(ITIMER_REAL, &cur), 0);
    check("real armed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0);
    wait_for(&alarms, 1);
    check("SIGALRM once", alarms == 1);
    getitimer(ITIMER_REAL, &cur);
    check("real disarmed", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

    struct itimerval every = {{0, 10000}, {0, 10000}};
    want("setitimer periodic", setitimer(ITIMER_REAL, &every, NULL), 0);
    wait_for(&alarms, 4);
    struct itimerval off = {{0, 0}, {0, 0}}, old;
    want("setitimer off", setitimer(ITIMER_REAL, &off, &old), 0);
    check("old interval", old.it_interval.tv_usec == 10000);
    check("periodic fired thrice more", alarms >= 4);

    struct itimerval vt = {{0, 0}, {0, 20000}};
    want("setitimer virtual", setitimer(ITIMER_VIRTUAL, &vt, NULL), 0);
    for (volatile unsigned long spin = 0; !vtalarms; spin++)
        ; /* CPU time passes only while running */
    check("SIGVTALRM", vtalarms == 1);

    struct itimerval bad = {{0, 0}, {0, 1000000}};
    want("setitimer bad usec", setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
    want("setitimer bad which", syscall(SYS_setitimer, 7L, &v, NULL), EINVAL);
    want("getitimer bad which", syscall(SYS_getitimer, 7L, &cur), EINVAL);
}

static void test_alarm(void)
{
    check("alarm none before", alarm(5) == 0);
    check("alarm previous 5", alarm(0) == 5);
    check("alarm none after", alarm(0) == 0);
    int before = alarms;
    alarm(1);
    wait_for(&alarms, before + 1);
    check("alarm fired", alarms == before + 1);
}

static void test_posix_timer(void)
{
    timer_t t;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    want("timer_create", timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
    struct itimerspec its = {{0, 0}, {0, 200000000}}, cur;
    want("timer_settime", timer_settime(t, 0, &its, NULL), 0);
    want("timer_gettime", timer_gettime(t, &cur), 0);
    check("timer armed", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0);
    wait_for(&usr1s, 1);
    check("SIGUSR1 from timer", usr1s == 1);
    want("timer_getoverrun", timer_getoverrun(t), 0);

    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    timer_t rt;
    want("timer_create realtime", timer_create(CLOCK_REALTIME, &ev, &rt), 0);
    struct itimerspec abs = {{0, 0}, {now.tv_sec, now.tv_nsec}};
    abs.it_value.tv_nsec += 10000000;
    if (abs.it_value.tv_nsec >= 1000000000) {
        abs.it_value.tv_sec++;
        abs.it_value.tv_nsec -= 1000000000;
    }
    want("timer_settime abstime", timer_settime(rt, TIMER_ABSTIME, &abs, NULL), 0);
    wait_for(&usr1s, 2);
    check("absolute timer fired", usr1s == 2);
    want("timer_delete realtime", timer_delete(rt), 0);

    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_notify_thread_id = (pid_t)gettid();
    timer_t tt;
    want("timer_create thread id", timer_create(CLOCK_MONOTONIC, &ev, &tt), 0);
    want("timer_settime thread id", timer_settime(tt, 0, &its, NULL), 0);
    wait_for(&usr1s, 3);
    check("thread timer fired", usr1s == 3);
    want("timer_delete thread id", timer_delete(tt), 0);

    ev.sigev_notify = SIGEV_NONE;
    timer_t quiet;
    want("timer_create none", timer_create(CLOCK_MONOTONIC, &ev, &quiet), 0);
    struct itimerspec long_one = {{1, 0}, {100, 0}};
    want("timer_settime none", timer_settime(quiet, 0, &long_one, NULL), 0);
    timer_gettime(quiet, &cur);
    check("gettime interval", cur.it_interval.tv_sec == 1 && cur.it_interval.tv_nsec == 0);
    check("gettime value", cur.it_value.tv_sec >= 99 && cur.it_value.tv_sec <= 100);
    want("timer_delete none", timer_delete(quiet), 0);

    want("timer_delete", timer_delete(t), 0);
    want("timer_delete twice", syscall(SYS_timer_delete, (long)(intptr_t)t), EINVAL);
    struct itimerspec badns = {{0, 0}, {0, 1000000000}};
    int kid;
    want("timer_create bad clock", syscall(SYS_timer_create, 99L, NULL, &kid), EINVAL);
    want("timer_create default", syscall(SYS_timer_create, (long)CLOCK_MONOTONIC, NULL, &kid), 0);
    want("timer_settime bad nsec", syscall(SYS_timer_settime, (long)kid, 0L, &badns, NULL), EINVAL);
    want("timer_settime bad id", syscall(SYS_timer_settime, 1000L, 0L, &its, NULL), EINVAL);
    want("timer_delete default", syscall(SYS_timer_delete, (long)kid), 0);
}

static volatile int notified;

static void on_notify(union sigval v)
{
    notified = v.sival_int;
}

/* The C library's SIGEV_THREAD: a helper thread that takes the timer's
 * signal with sigwaitinfo and calls the function. */
static void test_sigev_thread(void)
{
    timer_t t;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = on_notify;
    ev.sigev_value.sival_int = 42;
    want("timer_create SIGEV_THREAD", timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
    struct itimerspec its = {{0, 0}, {0, 10000000}};
    want("timer_settime SIGEV_THREAD", timer_settime(t, 0, &its, NULL), 0);
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 5000 && !notified; i++)
        nanosleep(&ms, NULL);
    check("function called with the value", notified == 42);
    want("timer_delete SIGEV_THREAD", timer_delete(t), 0);
}

static void test_sigtimedwait(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct timespec short_wait = {0, 10000000};
    want("sigtimedwait times out", sigtimedwait(&set, NULL, &short_wait), EAGAIN);
    timer_t t;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR2;
    timer_create(CLOCK_MONOTONIC, &ev, &t);
    struct itimerspec its = {{0, 0}, {0, 10000000}};
    timer_settime(t, 0, &its, NULL);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    check("sigwaitinfo takes the blocked SIGUSR2", sigwaitinfo(&set, &si) == SIGUSR2);
    check("si_code SI_TIMER", si.si_code == SI_TIMER);
    timer_delete(t);
    raise(SIGUSR2);
    memset(&si, 0, sizeof si);
    check("raised one taken", sigtimedwait(&set, &si, &short_wait) == SIGUSR2);
    check("si_code not SI_TIMER", si.si_code != SI_TIMER);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void test_timerfd(void)
{
    int fd = (int)want("timerfd_create", timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), 0);
    uint64_t n;
    want("read unarmed", read(fd, &n, sizeof n), EAGAIN);
    struct itimerspec every = {{0, 5000000}, {0, 5000000}};
    want("timerfd_settime", timerfd_settime(fd, 0, &every, NULL), 0);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    check("poll sees expiry", poll(&p, 1, 5000) == 1 && (p.revents & POLLIN));
    struct timespec ms30 = {0, 30000000};
    nanosleep(&ms30, NULL);
    check("read count", read(fd, &n, sizeof n) == 8 && n >= 2);
    /* Drained: checked on a slow timer, since a loaded host can let 5 ms
       pass between two reads (a new expiry, not a count left behind). */
    struct itimerspec slow = {{10, 0}, {0, 1000000}};
    timerfd_settime(fd, 0, &slow, NULL);
    nanosleep(&ms30, NULL);
    uint64_t once = 0;
    if (read(fd, &once, sizeof once) != 8 || once != 1)
        check("slow timer expired once", 0);
    want("read drained", read(fd, &n, sizeof n), EAGAIN);
    timerfd_settime(fd, 0, &every, NULL); /* the checks below want the 5 ms timer */
    want("read short", read(fd, &n, 4), EINVAL);

    int ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.u32 = 7}, got;
    want("epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e), 0);
    check("epoll sees expiry", epoll_wait(ep, &got, 1, 5000) == 1 && got.data.u32 == 7);
    struct itimerspec cur, off = {{0, 0}, {0, 0}};
    want("timerfd_gettime", timerfd_gettime(fd, &cur), 0);
    check("gettime interval", cur.it_interval.tv_nsec == 5000000);
    want("timerfd disarm", timerfd_settime(fd, 0, &off, &cur), 0);
    check("old value back", cur.it_interval.tv_nsec == 5000000);
    check("epoll quiet once disarmed", epoll_wait(ep, &got, 1, 30) == 0);
    close(ep);
    close(fd);

    int bfd = (int)want("timerfd blocking", timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC), 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct itimerspec abs = {{0, 0}, {now.tv_sec - 1, 0}};
    want("settime past abstime", timerfd_settime(bfd, TFD_TIMER_ABSTIME, &abs, NULL), 0);
    check("blocking read once", read(bfd, &n, sizeof n) == 8 && n == 1);
    close(bfd);

    want("timerfd bad clock", timerfd_create(99, 0), EINVAL);
    want("timerfd bad flags", timerfd_create(CLOCK_MONOTONIC, 0x40), EINVAL);
    want("timerfd_settime not timerfd", timerfd_settime(1, 0, &every, NULL), EINVAL);
    want("timerfd_settime bad fd", timerfd_settime(999, 0, &every, NULL), EBADF);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    handle(SIGALRM);
    handle(SIGVTALRM);
    handle(SIGUSR1);
    test_itimer();
    test_alarm();
    test_posix_timer();
    test_timerfd();
    test_sigev_thread();
    test_sigtimedwait();
    return guest_done();
}
