#include "qemu_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdnoreturn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "qmp.h"
#include "util.h"
#include "watchdog.h"

/* What unikit passes on to the program: stop's TERM, a terminal's INT,
   and whatever `unikit kill -s` sends the supervisor. */
static const int forwarded[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGUSR1,
                                SIGUSR2, SIGALRM, SIGTERM, SIGWINCH};
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static volatile sig_atomic_t pending; /* bit n: signal n is to be forwarded */
static volatile sig_atomic_t last_signal;
static struct sigaction saved[NFORWARDED];
static bool have_saved;
static bool installed; /* note_signal handles the forwarded signals */

static void note_signal(int sig)
{
    __atomic_or_fetch(&pending, 1 << sig, __ATOMIC_SEQ_CST);
    last_signal = sig;
}

void watch_catch_signals(bool save)
{
    /* Already caught (a supervisor catches them before it boots): the
       handlers to restore afterwards would be these same ones. */
    if (installed) {
        have_saved = false;
        return;
    }
    struct sigaction sa = {0};
    sa.sa_handler = note_signal; /* no SA_RESTART: the loop's poll returns at once */
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaction(forwarded[i], &sa, save ? &saved[i] : NULL);
    have_saved = save;
    installed = true;
    signal(SIGPIPE, SIG_IGN); /* a host reader that went away is the relay's to see */
}

void watch_restore_signals(void)
{
    if (!have_saved)
        return;
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaction(forwarded[i], &saved[i], NULL);
    have_saved = false;
    installed = false;
}

int watch_last_signal(void)
{
    return last_signal;
}

/* Copies of fds at high numbers first, so that placing one cannot clobber
   another; the copies are close-on-exec, so exec drops them. */
static void place_fds(int monitor_fd, const int *fds, size_t n)
{
    int high[16];
    size_t count = n + 1 < 16 ? n + 1 : 16;
    for (size_t i = 0; i < count; i++)
        high[i] = fcntl(i == 0 ? monitor_fd : fds[i - 1], F_DUPFD_CLOEXEC, 64);
    for (size_t i = 0; i < count; i++)
        dup2(high[i], WATCH_MONITOR_FD + (int)i); /* dup2 clears close-on-exec */
}

/* Our environment with lib after whatever the user preloads already:
   built before the vfork, whose child must not allocate. *owned is the
   one string to free with the array. */
static char **spawn_environ(const char *lib, char **owned)
{
    extern char **environ;
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = xcalloc(n + 2, sizeof(*env));
    const char *old = getenv("LD_PRELOAD");
    *owned =
        old && *old ? xasprintf("LD_PRELOAD=%s:%s", old, lib) : xasprintf("LD_PRELOAD=%s", lib);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0)
            env[k++] = environ[i];
    env[k] = *owned;
    return env;
}

struct spawn {
    const char *path;
    char **argv, **envp;
    int stderr_fd, monitor_fd;
    const int *fds;
    size_t n;
    bool die_with_parent;
    pid_t parent;
    sigset_t mask;     /* the parent's, for QEMU to start with */
    char *preload_env; /* the one string of envp that is ours to free */
};

/* The vfork child: it shares unikit's memory until execve, so it only
   makes system calls and writes its own stack. */
static noreturn void exec_qemu(const struct spawn *s)
{
    /* The check after prctl catches a parent that died before it. */
    if (s->die_with_parent && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != s->parent))
        _exit(127);
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null > 0)
        dup2(null, 0); /* the copy, unlike null, stays open across exec */
    else if (null == 0)
        fcntl(0, F_SETFD, 0);
    dup2(s->stderr_fd, 2);
    place_fds(s->monitor_fd, s->fds, s->n);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    for (size_t i = 0; i < NFORWARDED; i++)
        sigaction(forwarded[i], &dfl, NULL);
    sigaction(SIGPIPE, &dfl, NULL);
    sigprocmask(SIG_SETMASK, &s->mask, NULL);
    execve(s->path, s->argv, s->envp);
    char msg[512];
    int len = snprintf(msg, sizeof(msg), "cannot run %s: %s\n", s->path,
                       strerrordesc_np(errno)); /* strerror may allocate, to translate */
    ssize_t said = len > 0 ? write(2, msg, (size_t)len) : 0;
    (void)said; /* a failed write leaves nothing else to say it with */
    _exit(127);
}

/* vfork, not fork: no copy of unikit's page tables to make, and none of
   its pages to fault back in copy-on-write while QEMU starts. Signals stay
   blocked until the child has reset the handlers it would otherwise run
   in unikit's memory. */
pid_t watch_spawn(const char *path, char **argv, int stderr_fd, int monitor_fd, const int *fds,
                  size_t n, bool die_with_parent, const char *preload)
{
    extern char **environ;
    struct spawn s = {.path = path,
                      .argv = argv,
                      .envp = environ,
                      .stderr_fd = stderr_fd,
                      .monitor_fd = monitor_fd,
                      .fds = fds,
                      .n = n,
                      .die_with_parent = die_with_parent,
                      .parent = getpid()};
    if (preload)
        s.envp = spawn_environ(preload, &s.preload_env);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &s.mask);
    pid_t pid = vfork();
    if (pid == 0)
        exec_qemu(&s);
    int saved = errno;
    sigprocmask(SIG_SETMASK, &s.mask, NULL);
    if (preload)
        free(s.envp);
    free(s.preload_env);
    errno = saved;
    return pid;
}

/* Signals caught since last time go to the program (a terminal's new size
   to its terminal); without a control port, a stop stops QEMU, as it
   always did. */
static void forward_pending(pid_t pid, struct relay *relay, bool tty)
{
    int bits = __atomic_exchange_n(&pending, 0, __ATOMIC_SEQ_CST);
    for (int sig = 1; bits; sig++) {
        if (!(bits & 1 << sig))
            continue;
        bits &= ~(1 << sig);
        if (relay && tty && sig == SIGWINCH) {
            unsigned rows, cols;
            qemu_terminal_size(0, &rows, &cols);
            relay_winsize(relay, rows, cols);
            continue;
        }
        if (relay && relay_signal(relay, sig))
            continue;
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP)
            kill(pid, SIGTERM);
    }
}

/* Every message the monitor has now; false once QEMU is gone, stopped the
   guest, or the watchdog found the kernel stuck. */
static bool read_monitor(struct qmp *q, pid_t pid, struct watchdog *wd, struct watch_end *end)
{
    char state[sizeof(end->stopped)];
    for (;;) {
        enum qmp_event ev = qmp_next(q, 0, state, sizeof(state));
        if (ev == QMP_TIMEOUT)
            return true;
        if (ev == QMP_EOF)
            return false;
        if (ev == QMP_REPLY && wd &&
            watchdog_answer(wd, q->reply, monotonic_ms(), end->stuck, sizeof(end->stuck))) {
            kill(pid, SIGKILL);
            return false;
        }
        if (ev == QMP_STOPPED) {
            snprintf(end->stopped, sizeof(end->stopped), "%s", state);
            kill(pid, SIGKILL); /* nothing else would ever end it */
            return false;
        }
    }
}

#define MAX_POLL 8

/* QEMU's monitor is asked for its capabilities (and so for the run state)
   this long after the start, or with the watchdog's first look: most short
   runs are over by then and never pay for the exchange. A guest QEMU
   stopped meanwhile is found stopped then. */
#define QMP_START_MS 200

/* The earlier of two deadlines, where -1 is none. */
static long long earlier(long long a, long long b)
{
    return a < 0 || (b >= 0 && b < a) ? b : a;
}

int watch_qemu(pid_t pid, int monitor_fd, struct relay *relay, const struct qemu_boot *boot,
               struct watch_end *end)
{
    /* Not calloc: qmp_open sets what is read, and zeroing 72 KiB costs a fault a page. */
    struct qmp *q = xmalloc(sizeof(*q));
    struct watchdog *wd = watchdog_open(boot);
    bool ticking = boot->on_tick != NULL;
    long long next_tick = monotonic_ms() + QEMU_TICK_MS;
    long long deadline = boot->deadline_ms ? monotonic_ms() + boot->deadline_ms : -1;
    long long qmp_at = monotonic_ms() + QMP_START_MS;
    qmp_open(q, monitor_fd);
    for (;;) {
        forward_pending(pid, relay, boot->tty);
        long long now = monotonic_ms(), wake = ticking ? next_tick : -1;
        if (deadline >= 0 && now >= deadline) {
            end->timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        wake = earlier(wake, deadline);
        long long due = wd ? watchdog_due_ms(wd) : -1;
        if (!q->started && (now >= qmp_at || (due >= 0 && due <= now)))
            qmp_start(q);
        if (!q->started)
            wake = earlier(wake, qmp_at);
        if (due >= 0 && due <= now)
            watchdog_ask(wd, q, now), due = watchdog_due_ms(wd);
        wake = earlier(wake, due);
        struct pollfd p[MAX_POLL] = {{.fd = monitor_fd, .events = POLLIN}};
        size_t n = 1 + (relay ? relay_pollfds(relay, p + 1, MAX_POLL - 1) : 0);
        int r = poll(p, n, wake < 0 ? -1 : (int)(wake > now ? wake - now : 0));
        if (r < 0 && errno == EINTR)
            continue;
        if (relay && r > 0)
            relay_pump(relay, p + 1, n - 1);
        if (p[0].revents && !read_monitor(q, pid, wd, end))
            break;
        if (ticking && monotonic_ms() >= next_tick) {
            ticking = boot->on_tick(pid, boot->on_start_arg);
            next_tick = monotonic_ms() + QEMU_TICK_MS;
        }
    }
    watchdog_close(wd);
    free(q);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        forward_pending(pid, NULL, false);
    return status;
}
