/*
 * Timers: setitimer/getitimer/alarm, POSIX timers (timer_create and
 * company) and timerfds. All of them are one struct ktimer on one list of
 * armed timers, which a kernel thread, made by the first timer armed,
 * sleeps on until the earliest expiry: the scheduler's sleeper list
 * (sched.c) then wakes it with the CPU's one-shot timer, and it fires what
 * has expired (a signal, or a timerfd's count) and rearms periodic ones.
 *
 * Every clock counts elapsed time: the program has its CPUs to itself, so
 * its CPU-time clocks (ITIMER_VIRTUAL, ITIMER_PROF, CLOCK_*_CPUTIME_ID)
 * are approximated by the monotonic clock, as clock_gettime does.
 */
#include "abi.h"
#include "clock.h"
#include "fd.h"
#include "lib.h"
#include "mm.h"
#include "proc.h"
#include "sched.h"
#include "signal.h"
#include "syscalls.h"
#include "vfs.h"

#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID  3
#define CLOCK_BOOTTIME           7
#define CLOCK_REALTIME_ALARM     8
#define CLOCK_BOOTTIME_ALARM     9
#define TIMER_ABSTIME            1
#define NSEC_PER_SEC             1000000000ULL
#define NSEC_PER_USEC            1000ULL

#define SIGALRM   14
#define SIGVTALRM 26
#define SIGPROF   27

#define SIGEV_SIGNAL    0
#define SIGEV_NONE      1
#define SIGEV_THREAD    2
#define SIGEV_THREAD_ID 4

#define POSIX_TIMERS 32

struct ktimer {
    uint64_t expires;  /* monotonic ns; 0: disarmed */
    uint64_t interval; /* ns; 0: one-shot */
    void (*fire)(struct ktimer *kt, uint64_t count);
    struct ktimer *next; /* on the armed list */
};

static struct ktimer *armed;
static struct waitq timers_wq = WAITQ_INIT;
static bool timers_changed;
static struct thread *timer_thread;

/* ---- the armed list and its thread -------------------------------------------------- */

static void ktimer_unlink(struct ktimer *kt)
{
    for (struct ktimer **p = &armed; *p; p = &(*p)->next) {
        if (*p == kt) {
            *p = kt->next;
            break;
        }
    }
}

static uint64_t earliest_expiry(void)
{
    uint64_t at = 0;
    for (struct ktimer *kt = armed; kt; kt = kt->next)
        if (!at || kt->expires < at)
            at = kt->expires;
    return at;
}

/* Fires what has expired; a periodic timer counts the periods that passed. */
static void fire_expired(uint64_t now)
{
    struct ktimer **p = &armed;
    while (*p) {
        struct ktimer *kt = *p;
        if (kt->expires > now) {
            p = &kt->next;
            continue;
        }
        uint64_t count = 1;
        if (kt->interval) {
            count += (now - kt->expires) / kt->interval;
            kt->expires += count * kt->interval;
            p = &kt->next;
        } else {
            *p = kt->next;
            kt->expires = 0;
        }
        kt->fire(kt, count);
    }
}

static void timer_loop(void *arg)
{
    (void)arg;
    for (;;) {
        fire_expired(clock_monotonic_ns());
        uint64_t at = earliest_expiry();
        timers_changed = false;
        wait_event(&timers_wq, timers_changed, at);
    }
}

/* Arms kt to expire at the monotonic time expires (0 disarms it). */
static void ktimer_arm(struct ktimer *kt, uint64_t expires, uint64_t interval)
{
    ktimer_unlink(kt);
    kt->expires = expires;
    kt->interval = expires ? interval : 0;
    if (!expires)
        return;
    kt->next = armed;
    armed = kt;
    if (!timer_thread)
        timer_thread = kthread_create("timers", timer_loop, NULL);
    timers_changed = true;
    waitq_wake_all(&timers_wq);
}

static uint64_t ktimer_left(const struct ktimer *kt)
{
    if (!kt->expires)
        return 0;
    uint64_t now = clock_monotonic_ns();
    return kt->expires > now ? kt->expires - now : 1;
}

/* ---- clocks and time values ------------------------------------------------------------ */

static bool clock_valid(int clock)
{
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
    case CLOCK_BOOTTIME:
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
        return true;
    default:
        return false;
    }
}

/* The monotonic expiry for value ns, relative or absolute on clock. */
static uint64_t expiry_of(int clock, bool absolute, uint64_t ns)
{
    uint64_t mono = clock_monotonic_ns();
    if (!absolute)
        return mono + ns;
    uint64_t now =
        clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_ALARM ? clock_realtime_ns() : mono;
    return ns > now ? mono + (ns - now) : (mono ? mono : 1); /* past: expires at once */
}

struct linux_itimerspec {
    struct linux_timespec interval, value;
};

struct linux_timeval {
    long tv_sec, tv_usec;
};

struct linux_itimerval {
    struct linux_timeval interval, value;
};

static bool ns_of_timespec(const struct linux_timespec *ts, uint64_t *ns)
{
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long)NSEC_PER_SEC)
        return false;
    *ns = (uint64_t)ts->tv_sec * NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
    return true;
}

static struct linux_timespec timespec_of(uint64_t ns)
{
    return (struct linux_timespec){(long)(ns / NSEC_PER_SEC), (long)(ns % NSEC_PER_SEC)};
}

static struct linux_itimerspec itimerspec_of(const struct ktimer *kt)
{
    return (struct linux_itimerspec){timespec_of(kt->interval), timespec_of(ktimer_left(kt))};
}

/* Reads *uval and arms kt with it, first writing the old setting to *old. */
static long settime(struct ktimer *kt, int clock, int flags, const struct linux_itimerspec *uval,
                    struct linux_itimerspec *old)
{
    if (!user_readable(uval, sizeof(*uval)) || (old && !user_writable(old, sizeof(*old))))
        return -EFAULT;
    uint64_t value, interval;
    if (!ns_of_timespec(&uval->value, &value) || !ns_of_timespec(&uval->interval, &interval))
        return -EINVAL;
    if (old)
        *old = itimerspec_of(kt);
    ktimer_arm(kt, value ? expiry_of(clock, flags & TIMER_ABSTIME, value) : 0, interval);
    return 0;
}

/* ---- timers that send a signal: itimers and POSIX timers -------------------------------- */

struct signal_timer {
    struct ktimer kt;
    bool used;
    int clock;
    int notify;
    int sig;
    int tid;          /* SIGEV_THREAD_ID's thread */
    uint64_t overrun; /* expiries the last signal stood for, less one */
};

static void signal_timer_fire(struct ktimer *kt, uint64_t count)
{
    struct signal_timer *st = container_of(kt, struct signal_timer, kt);
    st->overrun = count - 1;
    if (st->notify == SIGEV_NONE)
        return;
    proc_signal_timer(st->notify == SIGEV_THREAD_ID ? st->tid : 0, st->sig);
}

static struct signal_timer itimers[3] = {
    {.kt.fire = signal_timer_fire, .sig = SIGALRM},
    {.kt.fire = signal_timer_fire, .sig = SIGVTALRM},
    {.kt.fire = signal_timer_fire, .sig = SIGPROF},
};

static bool ns_of_timeval(const struct linux_timeval *tv, uint64_t *ns)
{
    if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
        return false;
    *ns = (uint64_t)tv->tv_sec * NSEC_PER_SEC + (uint64_t)tv->tv_usec * NSEC_PER_USEC;
    return true;
}

static struct linux_timeval timeval_of(uint64_t ns)
{
    return (struct linux_timeval){(long)(ns / NSEC_PER_SEC),
                                  (long)((ns % NSEC_PER_SEC + NSEC_PER_USEC - 1) / NSEC_PER_USEC)};
}

SYSCALL_DEFINE2(getitimer, int, which, struct linux_itimerval *, cur)
{
    if (which < 0 || which > 2)
        return -EINVAL;
    if (!user_writable(cur, sizeof(*cur)))
        return -EFAULT;
    const struct ktimer *kt = &itimers[which].kt;
    *cur = (struct linux_itimerval){timeval_of(kt->interval), timeval_of(ktimer_left(kt))};
    return 0;
}

SYSCALL_DEFINE3(setitimer, int, which, const struct linux_itimerval *, val,
                struct linux_itimerval *, old)
{
    if (which < 0 || which > 2)
        return -EINVAL;
    if ((val && !user_readable(val, sizeof(*val))) || (old && !user_writable(old, sizeof(*old))))
        return -EFAULT;
    uint64_t value = 0, interval = 0;
    if (val && (!ns_of_timeval(&val->value, &value) || !ns_of_timeval(&val->interval, &interval)))
        return -EINVAL;
    struct ktimer *kt = &itimers[which].kt;
    if (old)
        *old = (struct linux_itimerval){timeval_of(kt->interval), timeval_of(ktimer_left(kt))};
    ktimer_arm(kt, value ? clock_monotonic_ns() + value : 0, interval);
    return 0;
}

#if defined(__x86_64__) /* aarch64's C libraries make alarm of setitimer */
SYSCALL_DEFINE1(alarm, unsigned, seconds)
{
    struct ktimer *kt = &itimers[0].kt;
    uint64_t left = ktimer_left(kt);
    long old = (long)((left + NSEC_PER_SEC / 2) / NSEC_PER_SEC);
    if (left && !old)
        old = 1; /* as Linux: a pending alarm never reads as none */
    ktimer_arm(kt, seconds ? clock_monotonic_ns() + seconds * NSEC_PER_SEC : 0, 0);
    return old;
}
#endif

/* The kernel's struct sigevent, as the C library passes it. */
struct linux_sigevent {
    uint64_t value;
    int signo;
    int notify;
    int tid;
    int pad[11];
};

static struct signal_timer posix_timers[POSIX_TIMERS];

static struct signal_timer *posix_timer(int id)
{
    if (id < 0 || id >= POSIX_TIMERS || !posix_timers[id].used)
        return NULL;
    return &posix_timers[id];
}

static long sigevent_check(const struct linux_sigevent *ev)
{
    switch (ev->notify) {
    case SIGEV_NONE:
        return 0;
    case SIGEV_THREAD_ID:
        if (!thread_find(ev->tid))
            return -EINVAL;
        /* fallthrough */
    case SIGEV_SIGNAL:
    case SIGEV_THREAD: /* the C library's; to the kernel, as Linux, a signal */
        return ev->signo < 1 || ev->signo > NSIG ? -EINVAL : 0;
    default:
        return -EINVAL;
    }
}

SYSCALL_DEFINE3(timer_create, int, clock, const struct linux_sigevent *, uev, int *, id)
{
    if (!clock_valid(clock))
        return -EINVAL;
    struct linux_sigevent ev = {.signo = SIGALRM, .notify = SIGEV_SIGNAL};
    if (uev) {
        if (!user_readable(uev, sizeof(*uev)))
            return -EFAULT;
        ev = *uev;
    }
    long rc = sigevent_check(&ev);
    if (rc)
        return rc;
    if (!user_writable(id, sizeof(*id)))
        return -EFAULT;
    for (int i = 0; i < POSIX_TIMERS; i++) {
        struct signal_timer *st = &posix_timers[i];
        if (st->used)
            continue;
        *st = (struct signal_timer){.kt.fire = signal_timer_fire,
                                    .used = true,
                                    .clock = clock,
                                    .notify = ev.notify,
                                    .sig = ev.signo,
                                    .tid = ev.tid};
        *id = i;
        return 0;
    }
    return -EAGAIN;
}

SYSCALL_DEFINE4(timer_settime, int, id, int, flags, const struct linux_itimerspec *, val,
                struct linux_itimerspec *, old)
{
    struct signal_timer *st = posix_timer(id);
    if (!st)
        return -EINVAL;
    return settime(&st->kt, st->clock, flags, val, old);
}

SYSCALL_DEFINE2(timer_gettime, int, id, struct linux_itimerspec *, cur)
{
    struct signal_timer *st = posix_timer(id);
    if (!st)
        return -EINVAL;
    if (!user_writable(cur, sizeof(*cur)))
        return -EFAULT;
    *cur = itimerspec_of(&st->kt);
    return 0;
}

SYSCALL_DEFINE1(timer_getoverrun, int, id)
{
    struct signal_timer *st = posix_timer(id);
    if (!st)
        return -EINVAL;
    return st->overrun > INT32_MAX ? INT32_MAX : (long)st->overrun;
}

SYSCALL_DEFINE1(timer_delete, int, id)
{
    struct signal_timer *st = posix_timer(id);
    if (!st)
        return -EINVAL;
    ktimer_arm(&st->kt, 0, 0);
    st->used = false;
    return 0;
}

/* ---- timerfd ------------------------------------------------------------------------- */

#define TFD_TIMER_ABSTIME       1
#define TFD_TIMER_CANCEL_ON_SET 2

struct timerfd {
    struct inode inode; /* first: the inode's evict frees the whole */
    struct ktimer kt;
    int clock;
    uint64_t count; /* expiries since the last read */
    struct waitq wq;
};

static struct timerfd *timerfd_of(struct file *f)
{
    return container_of(f->inode, struct timerfd, inode);
}

static void timerfd_fire(struct ktimer *kt, uint64_t count)
{
    struct timerfd *tf = container_of(kt, struct timerfd, kt);
    tf->count += count;
    waitq_wake_all(&tf->wq);
}

static ssize_t timerfd_read(struct file *f, void *buf, size_t len, off_t off)
{
    struct timerfd *tf = timerfd_of(f);
    (void)off;
    if (len < sizeof(uint64_t))
        return -EINVAL;
    if (!tf->count && (f->flags & VFS_O_NONBLOCK))
        return -EAGAIN;
    int rc = wait_event(&tf->wq, tf->count != 0, 0);
    if (rc < 0)
        return rc;
    memcpy(buf, &tf->count, sizeof(tf->count));
    tf->count = 0;
    return sizeof(uint64_t);
}

static unsigned timerfd_poll(struct file *f)
{
    return timerfd_of(f)->count ? VFS_POLL_IN : 0;
}

static struct waitq *timerfd_queue(struct file *f)
{
    return &timerfd_of(f)->wq;
}

static void timerfd_release(struct file *f)
{
    ktimer_arm(&timerfd_of(f)->kt, 0, 0);
}

static const struct file_ops timerfd_ops = {
    .read = timerfd_read,
    .poll = timerfd_poll,
    .poll_queue = timerfd_queue,
    .release = timerfd_release,
};

static void timerfd_evict(struct inode *ip)
{
    kfree(ip);
}

static const struct inode_ops timerfd_iops = {.evict = timerfd_evict};

SYSCALL_DEFINE2(timerfd_create, int, clock, int, flags)
{
    if (flags & ~(O_NONBLOCK | O_CLOEXEC))
        return -EINVAL;
    if (!clock_valid(clock) || clock == CLOCK_PROCESS_CPUTIME_ID ||
        clock == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    struct timerfd *tf = kzalloc(sizeof(*tf));
    if (!tf)
        return -ENOMEM;
    tf->inode.type = VFS_FIFO;
    tf->inode.mode = 0600;
    tf->inode.ino = (uint64_t)(uintptr_t)tf;
    tf->inode.iops = &timerfd_iops;
    tf->inode.fops = &timerfd_ops;
    tf->inode.atime_ns = tf->inode.mtime_ns = tf->inode.ctime_ns = vfs_now_ns();
    tf->kt.fire = timerfd_fire;
    tf->clock = clock;
    waitq_init(&tf->wq);
    struct file *f = vfs_file_alloc(&tf->inode, &timerfd_ops,
                                    VFS_O_READ | (flags & O_NONBLOCK ? VFS_O_NONBLOCK : 0));
    if (!f) {
        kfree(tf);
        return -ENFILE;
    }
    int fd = fd_alloc(f, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_put(f);
    return fd;
}

static struct timerfd *timerfd_get(int fd, long *err)
{
    struct file *f = fd_get(fd);
    *err = !f ? -EBADF : f->ops != &timerfd_ops ? -EINVAL : 0;
    return *err ? NULL : timerfd_of(f);
}

SYSCALL_DEFINE4(timerfd_settime, int, fd, int, flags, const struct linux_itimerspec *, val,
                struct linux_itimerspec *, old)
{
    long err;
    struct timerfd *tf = timerfd_get(fd, &err);
    if (!tf)
        return err;
    if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
        return -EINVAL;
    err = settime(&tf->kt, tf->clock, flags & TFD_TIMER_ABSTIME ? TIMER_ABSTIME : 0, val, old);
    if (!err)
        tf->count = 0;
    return err;
}

SYSCALL_DEFINE2(timerfd_gettime, int, fd, struct linux_itimerspec *, cur)
{
    long err;
    struct timerfd *tf = timerfd_get(fd, &err);
    if (!tf)
        return err;
    if (!user_writable(cur, sizeof(*cur)))
        return -EFAULT;
    *cur = itimerspec_of(&tf->kt);
    return 0;
}
