// cpus: 1 2
// Signal delivery: handlers run for raise (tkill), kill and pthread_kill
// (tgkill) with the signal number and siginfo; a blocked signal waits until
// it is unblocked; SA_ONSTACK runs the handler on the alternate stack; a
// SIGSEGV handler gets the fault address and leaves with siglongjmp; the
// registers (and FP state) of the interrupted code survive a handler; a
// blocked read returns EINTR, or carries on with SA_RESTART.
#include "guest.h"
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

static volatile sig_atomic_t got, got_signo;
static volatile void *got_addr;

static void on_signal(int sig)
{
    got++;
    got_signo = sig;
}

static void on_siginfo(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got++;
    got_signo = si->si_signo == sig ? sig : -1;
}

static void install(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void test_raise_and_kill(void)
{
    install(SIGUSR1, on_signal, 0);
    got = 0;
    raise(SIGUSR1);
    check("raise: handler ran once with SIGUSR1", got == 1 && got_signo == SIGUSR1);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_siginfo;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR2, &sa, NULL);
    got = 0;
    kill(getpid(), SIGUSR2);
    check("kill: SA_SIGINFO handler saw si_signo", got == 1 && got_signo == SIGUSR2);
}

static void test_blocked_until_unblocked(void)
{
    sigset_t set, old;
    install(SIGUSR1, on_signal, 0);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    got = 0;
    raise(SIGUSR1);
    int before = got;
    sigset_t pending;
    sigpending(&pending);
    int is_pending = sigismember(&pending, SIGUSR1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    check("blocked signal: not delivered while blocked, pending", before == 0 && is_pending == 1);
    check("blocked signal: delivered on unblock", got == 1);
}

static char altstack[65536];
static volatile uintptr_t handler_sp;

static void on_alt(int sig)
{
    int local;
    (void)sig;
    handler_sp = (uintptr_t)&local;
}

static void test_altstack(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    want("sigaltstack", sigaltstack(&ss, NULL), 0);
    install(SIGUSR1, on_alt, SA_ONSTACK);
    raise(SIGUSR1);
    check("SA_ONSTACK: handler ran on the alternate stack",
          handler_sp > (uintptr_t)altstack && handler_sp < (uintptr_t)altstack + sizeof altstack);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
}

static sigjmp_buf jump;
static int *volatile bad_pointer = (int *)(uintptr_t)0x10;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_signo = sig;
    got_addr = si->si_addr;
    siglongjmp(jump, 1);
}

static void test_segv_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    got_signo = 0;
    if (sigsetjmp(jump, 1) == 0) {
        *bad_pointer = 1;
        check("SIGSEGV: handler ran", 0);
    } else {
        check("SIGSEGV: handler ran and siglongjmp came back",
              got_signo == SIGSEGV && got_addr == (void *)0x10);
    }
    install(SIGSEGV, SIG_DFL, 0);
}

/* A fault handled on an alternate stack the program never touched: the
 * kernel writes the frame into pages that do not exist yet. */
static char fresh_altstack[1 << 17];

static void test_segv_on_fresh_altstack(void)
{
    stack_t ss = {.ss_sp = fresh_altstack, .ss_size = sizeof fresh_altstack, .ss_flags = 0};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaltstack(&ss, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    got_signo = 0;
    if (sigsetjmp(jump, 1) == 0) {
        *bad_pointer = 2;
        check("SIGSEGV on a fresh alternate stack: handler ran", 0);
    } else {
        check("SIGSEGV on a fresh alternate stack: handler ran", got_signo == SIGSEGV);
    }
    install(SIGSEGV, SIG_DFL, 0);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
}

/* A thread signalled while it computes: its registers must be intact after. */
static atomic_int ready, stop;

static void *computer(void *arg)
{
    double x = 1.0;
    long n = 0;
    (void)arg;
    atomic_store(&ready, 1);
    while (!atomic_load(&stop)) {
        x = x * 1.0000001 + 0.5;
        n++;
    }
    return (void *)(long)(x > 1.0 && n > 0);
}

static void test_thread_signal(void)
{
    pthread_t t;
    install(SIGUSR1, on_signal, 0);
    got = 0;
    pthread_create(&t, NULL, computer, NULL);
    while (!atomic_load(&ready))
        sched_yield();
    for (int i = 0; i < 20; i++) {
        pthread_kill(t, SIGUSR1);
        sched_yield();
    }
    while (got < 1)
        sched_yield();
    atomic_store(&stop, 1);
    void *r;
    pthread_join(t, &r);
    check("pthread_kill: handler ran in the thread, its work intact", got >= 1 && r != NULL);
}

/* A read blocked on an empty pipe, interrupted by a handler: EINTR, or
 * with SA_RESTART, the read goes on and returns the data written later. */
static int rfds[2];
static atomic_int reading;

static void *blocked_reader(void *arg)
{
    char c;
    (void)arg;
    atomic_store(&reading, 1);
    long n = read(rfds[0], &c, 1);
    return (void *)(n == 1 ? (long)c : n < 0 && errno == EINTR ? -2L : -3L);
}

static long interrupt_read(int flags)
{
    pthread_t t;
    struct timespec pause = {0, 50000000};
    void *r;
    install(SIGUSR1, on_signal, flags);
    pipe(rfds);
    atomic_store(&reading, 0);
    pthread_create(&t, NULL, blocked_reader, NULL);
    while (!atomic_load(&reading))
        sched_yield();
    nanosleep(&pause, NULL); /* lets it block in read */
    pthread_kill(t, SIGUSR1);
    nanosleep(&pause, NULL);
    write(rfds[1], "x", 1);
    pthread_join(t, &r);
    close(rfds[0]);
    close(rfds[1]);
    return (long)r;
}

static void test_restart(void)
{
    check("a handler interrupts a blocked read: EINTR", interrupt_read(0) == -2);
    check("with SA_RESTART the read goes on and gets the data", interrupt_read(SA_RESTART) == 'x');
}

/* ppoll's mask: a blocked, pending signal is let in for the wait only. */
static void test_ppoll_mask(void)
{
    sigset_t block, during, after;
    struct timespec ts = {5, 0};
    install(SIGUSR1, on_signal, 0);
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    got = 0;
    raise(SIGUSR1);
    sigemptyset(&during);
    int rc = ppoll(NULL, 0, &ts, &during);
    int e = errno;
    sigprocmask(SIG_BLOCK, NULL, &after);
    check("ppoll: the mask let the pending signal in (EINTR, handler ran)",
          rc == -1 && e == EINTR && got == 1);
    check("ppoll: the old mask is back afterwards", sigismember(&after, SIGUSR1) == 1);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
}

int main(void)
{
    test_raise_and_kill();
    test_blocked_until_unblocked();
    test_altstack();
    test_segv_handler();
    test_segv_on_fresh_altstack();
    test_thread_signal();
    test_restart();
    test_ppoll_mask();
    return guest_done();
}
