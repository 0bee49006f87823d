// memory: 64M
// cpus: 1 2
// File locks as Linux keeps them for one process. fcntl record locks:
// classic POSIX locks belong to the process (never in each other's way;
// a range replaces, splits or merges the process's own; closing any
// descriptor of the file drops them all), OFD locks belong to one open
// file (two open()s conflict; F_OFD_GETLK names the holder's range with
// l_pid -1; F_OFD_SETLKW sleeps until another thread releases, and a
// signal ends the wait with EINTR). flock: shared or exclusive per open
// file, LOCK_NB, conversions, released with the open file. Bad input.
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/file.h>
#include <sys/time.h>
#include <time.h>

static char path[512];

static struct flock range(short type, short whence, off_t start, off_t len)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = whence;
    fl.l_start = start;
    fl.l_len = len;
    return fl;
}

static long lk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = range(type, SEEK_SET, start, len);
    return fcntl(fd, cmd, &fl);
}

static const char *type_name(short t)
{
    return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

/* What F_GETLK / F_OFD_GETLK says is in the way of type at start/len. */
static void show_holder(const char *label, int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = range(type, SEEK_SET, start, len);
    if (fcntl(fd, cmd, &fl) < 0) {
        want(label, -1, 0);
        return;
    }
    if (fl.l_type == F_UNLCK) {
        printf("%s: F_UNLCK\n", label);
        return;
    }
    printf("%s: %s start %lld len %lld pid %s\n", label, type_name(fl.l_type),
           (long long)fl.l_start, (long long)fl.l_len,
           fl.l_pid == -1         ? "-1"
           : fl.l_pid == getpid() ? "self"
                                  : "other");
}

static int open_file(int flags)
{
    return (int)want("open", open(path, flags), 0);
}

/* Classic POSIX locks, seen from a second open file's OFD lock tests. */
static void posix_locks(void)
{
    int fd = open_file(O_RDWR | O_CREAT | O_TRUNC);
    int other = open_file(O_RDWR);
    char buf[100] = {0};
    want("write 100", write(fd, buf, sizeof buf), 0);
    want("posix write 0+10", lk(fd, F_SETLK, F_WRLCK, 0, 10), 0);
    show_holder("posix getlk same process", fd, F_GETLK, F_WRLCK, 0, 0);
    want("posix read 20+30", lk(fd, F_SETLK, F_RDLCK, 20, 30), 0);
    want("posix unlock 30+10 (split)", lk(fd, F_SETLK, F_UNLCK, 30, 10), 0);
    want("posix write 10+10 (merge)", lk(fd, F_SETLK, F_WRLCK, 10, 10), 0);
    show_holder("holder at 5", other, F_OFD_GETLK, F_WRLCK, 5, 1);
    show_holder("holder at 25", other, F_OFD_GETLK, F_WRLCK, 25, 0);
    show_holder("holder at 35", other, F_OFD_GETLK, F_WRLCK, 35, 0);
    show_holder("reader at 20", other, F_OFD_GETLK, F_RDLCK, 20, 30);
    want("ofd write conflicts", lk(other, F_OFD_SETLK, F_WRLCK, 45, 1), EAGAIN);
    int third = open_file(O_RDONLY);
    want("close another descriptor", close(third), 0);
    show_holder("after that close", other, F_OFD_GETLK, F_WRLCK, 0, 0);

    want("lseek 50", lseek(fd, 50, SEEK_SET), 0);
    struct flock fl = range(F_WRLCK, SEEK_CUR, 0, -10);
    want("posix SEEK_CUR len -10", fcntl(fd, F_SETLK, &fl), 0);
    show_holder("holder of SEEK_CUR", other, F_OFD_GETLK, F_WRLCK, 0, 0);
    want("posix unlock all", lk(fd, F_SETLK, F_UNLCK, 0, 0), 0);
    fl = range(F_RDLCK, SEEK_END, -10, 0);
    want("posix SEEK_END -10", fcntl(fd, F_SETLK, &fl), 0);
    show_holder("holder of SEEK_END", other, F_OFD_GETLK, F_WRLCK, 0, 0);
    want("posix unlock all again", lk(fd, F_SETLK, F_UNLCK, 0, 0), 0);

    want("ofd write 0+1", lk(other, F_OFD_SETLK, F_WRLCK, 0, 1), 0);
    want("posix blocked by ofd", lk(fd, F_SETLK, F_WRLCK, 0, 5), EAGAIN);
    show_holder("posix getlk sees ofd", fd, F_GETLK, F_RDLCK, 0, 0);
    close(other);
    want("posix after ofd closed", lk(fd, F_SETLK, F_WRLCK, 0, 5), 0);
    close(fd);
}

/* The range a test reports when several are in the way: Linux keeps each
   owner's ranges together, owners in the order they came. */
static void report_order(void)
{
    int fd = open_file(O_RDWR), other = open_file(O_RDWR), third = open_file(O_RDWR);
    want("posix read 0+20", lk(fd, F_SETLK, F_RDLCK, 0, 20), 0);
    want("ofd read 10+5", lk(other, F_OFD_SETLK, F_RDLCK, 10, 5), 0);
    want("posix unlock 0+15", lk(fd, F_SETLK, F_UNLCK, 0, 15), 0);
    show_holder("first in the way", third, F_OFD_GETLK, F_WRLCK, 0, 0);
    want("posix read 0+5", lk(fd, F_SETLK, F_RDLCK, 0, 5), 0);
    show_holder("first in the way now", third, F_OFD_GETLK, F_WRLCK, 0, 0);
    close(third);
    close(other);
    close(fd);
}

static atomic_int waiter_done;
static int waiter_fd;

static void *ofd_waiter(void *arg)
{
    (void)arg;
    long rc = lk(waiter_fd, F_OFD_SETLKW, F_WRLCK, 0, 1);
    atomic_store(&waiter_done, rc == 0 ? 1 : -1);
    return NULL;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* F_OFD_SETLKW ended by a signal whose handler has no SA_RESTART. */
static void interrupted_wait(int fd)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &it, NULL);
    want("ofd setlkw interrupted", lk(fd, F_OFD_SETLKW, F_WRLCK, 0, 1), EINTR);
}

static void ofd_locks(void)
{
    int a = open_file(O_RDWR);
    int b = open_file(O_RDWR);
    want("ofd a write 0+10", lk(a, F_OFD_SETLK, F_WRLCK, 0, 10), 0);
    want("ofd b read 5+10", lk(b, F_OFD_SETLK, F_RDLCK, 5, 10), EAGAIN);
    show_holder("ofd getlk from b", b, F_OFD_GETLK, F_RDLCK, 5, 10);
    int dup_a = (int)want("dup a", dup(a), 0);
    want("ofd through dup 0+20", lk(dup_a, F_OFD_SETLK, F_WRLCK, 0, 20), 0);
    want("close dup", close(dup_a), 0);
    show_holder("still held by a", b, F_OFD_GETLK, F_WRLCK, 0, 0);

    interrupted_wait(b);
    waiter_fd = b;
    pthread_t t;
    want("waiter thread", -pthread_create(&t, NULL, ofd_waiter, NULL), 0);
    sleep_ms(100);
    check("setlkw waits", atomic_load(&waiter_done) == 0);
    want("ofd a unlock", lk(a, F_OFD_SETLK, F_UNLCK, 0, 0), 0);
    pthread_join(t, NULL);
    check("setlkw got it after the release", atomic_load(&waiter_done) == 1);
    show_holder("b holds now", a, F_OFD_GETLK, F_WRLCK, 0, 0);
    want("close b", close(b), 0);
    show_holder("released with b", a, F_OFD_GETLK, F_WRLCK, 0, 0);
    close(a);
}

static atomic_long closed_rc;
static int closed_fd;

static void *posix_waiter(void *arg)
{
    (void)arg;
    long rc = lk(closed_fd, F_SETLKW, F_WRLCK, 0, 1);
    atomic_store(&closed_rc, rc == 0 ? 0 : errno);
    return NULL;
}

/* A descriptor closed while F_SETLKW waits on it: the lock won then is
   dropped at once, and the wait answers EBADF. */
static void close_while_waiting(void)
{
    int holder = open_file(O_RDWR), other = open_file(O_RDWR);
    closed_fd = open_file(O_RDWR);
    atomic_store(&closed_rc, -1);
    want("ofd holder 0+1", lk(holder, F_OFD_SETLK, F_WRLCK, 0, 1), 0);
    pthread_t t;
    want("posix waiter thread", -pthread_create(&t, NULL, posix_waiter, NULL), 0);
    sleep_ms(100);
    want("close the waiter's descriptor", close(closed_fd), 0);
    want("ofd holder unlock", lk(holder, F_OFD_SETLK, F_UNLCK, 0, 0), 0);
    pthread_join(t, NULL);
    printf("setlkw on a closed descriptor: %s\n", errno_name((int)atomic_load(&closed_rc)));
    show_holder("nothing left", other, F_OFD_GETLK, F_WRLCK, 0, 0);
    close(holder);
    close(other);
}

static atomic_int flock_done;
static int flock_fd;

static void *flock_waiter(void *arg)
{
    (void)arg;
    atomic_store(&flock_done, flock(flock_fd, LOCK_EX) == 0 ? 1 : -1);
    return NULL;
}

static void flocks(void)
{
    int a = open_file(O_RDONLY);
    int b = open_file(O_RDONLY);
    want("flock a shared", flock(a, LOCK_SH), 0);
    want("flock b shared", flock(b, LOCK_SH | LOCK_NB), 0);
    want("flock b exclusive", flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    want("flock a upgrade (b's lock went)", flock(a, LOCK_EX | LOCK_NB), 0);
    want("flock b shared now", flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    want("fcntl lock is separate", lk(b, F_SETLK, F_RDLCK, 0, 0), 0);
    want("flock a downgrade", flock(a, LOCK_SH), 0);
    want("flock b shared again", flock(b, LOCK_SH | LOCK_NB), 0);
    want("flock b unlock", flock(b, LOCK_UN), 0);
    want("flock a exclusive", flock(a, LOCK_EX), 0);

    flock_fd = b;
    pthread_t t;
    want("flock waiter thread", -pthread_create(&t, NULL, flock_waiter, NULL), 0);
    sleep_ms(100);
    check("flock waits", atomic_load(&flock_done) == 0);
    int dup_a = (int)want("dup a", dup(a), 0);
    want("close a (dup keeps the lock)", close(a), 0);
    sleep_ms(50);
    check("flock still waits", atomic_load(&flock_done) == 0);
    want("close the dup", close(dup_a), 0);
    pthread_join(t, NULL);
    check("flock got it after the close", atomic_load(&flock_done) == 1);
    close(b);
}

static void bad_input(void)
{
    int fd = open_file(O_RDONLY);
    int wr = open_file(O_WRONLY);
    struct flock fl = range(F_RDLCK, SEEK_SET, 0, 0);
    want("setlk closed fd", fcntl(99, F_SETLK, &fl), EBADF);
    want("flock closed fd", flock(99, LOCK_SH), EBADF);
    want("flock op 0", flock(fd, 0), EINVAL);
    want("flock SH|EX", flock(fd, LOCK_SH | LOCK_EX), EINVAL);
    want("setlk type 7", lk(fd, F_SETLK, 7, 0, 0), EINVAL);
    fl.l_whence = 9;
    want("setlk whence 9", fcntl(fd, F_SETLK, &fl), EINVAL);
    want("setlk start -1", lk(fd, F_SETLK, F_RDLCK, -1, 0), EINVAL);
    want("setlk len before 0", lk(fd, F_SETLK, F_RDLCK, 5, -10), EINVAL);
    want("getlk F_UNLCK", lk(fd, F_GETLK, F_UNLCK, 0, 0), EINVAL);
    want("write lock, read-only file", lk(fd, F_SETLK, F_WRLCK, 0, 0), EBADF);
    want("read lock, write-only file", lk(wr, F_SETLK, F_RDLCK, 0, 0), EBADF);
    fl = range(F_RDLCK, SEEK_SET, 0, 0);
    fl.l_pid = 1;
    want("ofd setlk l_pid 1", fcntl(fd, F_OFD_SETLK, &fl), EINVAL);
    want("ofd getlk l_pid 1", fcntl(fd, F_OFD_GETLK, &fl), EINVAL);
    close(fd);
    close(wr);
}

int main(void)
{
    const char *dir = getenv("WORK_DIR");
    snprintf(path, sizeof path, "%s/locked", dir ? dir : "/tmp");
    posix_locks();
    report_order();
    ofd_locks();
    close_while_waiting();
    flocks();
    bad_input();
    return guest_done();
}
