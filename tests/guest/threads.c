// cpus: 1 2
// memory: 64M
// Threads as pthreads use them: clone, futex (wait, wake, requeue through
// condition variables), set_tid_address and the tid cleared at exit (join),
// gettid, sched_yield. A mutex/condvar producer-consumer with 8 threads and
// 100000 items must sum exactly; a barrier, an rwlock, thread-local
// storage, detached threads, and a futex ping-pong that would hang on a
// lost wake-up (the test runner's timeout bounds it); a thread spinning in
// the program is preempted by the timer; threads asleep in read and in
// nanosleep are cancelled (musl sends SIGCANCEL with tgkill, and its
// handler must see the interrupted PC in the system call to act).
#include "guest.h"
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

/* <linux/futex.h> is not in musl's headers: Linux's values. */
#define FUTEX_WAIT_PRIVATE        128
#define FUTEX_WAKE_PRIVATE        129
#define FUTEX_WAIT_BITSET_PRIVATE 137

#define PRODUCERS 4
#define CONSUMERS 4
#define ITEMS     100000
#define QSIZE     64

static struct {
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    long items[QSIZE];
    int head, count, produced;
} q = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .not_empty = PTHREAD_COND_INITIALIZER,
       .not_full = PTHREAD_COND_INITIALIZER};

static void *producer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&q.lock);
        while (q.count == QSIZE && q.produced < ITEMS)
            pthread_cond_wait(&q.not_full, &q.lock);
        if (q.produced == ITEMS) {
            pthread_cond_broadcast(&q.not_empty);
            pthread_mutex_unlock(&q.lock);
            return NULL;
        }
        q.items[(q.head + q.count++) % QSIZE] = ++q.produced;
        pthread_cond_signal(&q.not_empty);
        pthread_mutex_unlock(&q.lock);
    }
}

static long consumed;

static void *consumer(void *arg)
{
    long sum = 0;
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&q.lock);
        while (q.count == 0 && !(q.produced == ITEMS))
            pthread_cond_wait(&q.not_empty, &q.lock);
        if (q.count == 0) {
            pthread_mutex_unlock(&q.lock);
            break;
        }
        sum += q.items[q.head];
        q.head = (q.head + 1) % QSIZE;
        q.count--;
        consumed++;
        pthread_cond_signal(&q.not_full);
        pthread_mutex_unlock(&q.lock);
    }
    return (void *)sum;
}

static void test_producer_consumer(void)
{
    pthread_t p[PRODUCERS], c[CONSUMERS];
    long total = 0;
    for (int i = 0; i < PRODUCERS; i++)
        if (pthread_create(&p[i], NULL, producer, NULL)) {
            check("pthread_create", 0);
            return;
        }
    for (int i = 0; i < CONSUMERS; i++)
        pthread_create(&c[i], NULL, consumer, NULL);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(p[i], NULL);
    for (int i = 0; i < CONSUMERS; i++) {
        void *r;
        pthread_join(c[i], &r);
        total += (long)r;
    }
    check("producer-consumer: every item consumed once", consumed == ITEMS);
    check("producer-consumer: exact sum", total == (long)ITEMS * (ITEMS + 1) / 2);
}

static pthread_barrier_t barrier;
static atomic_int before, after_ok;

static void *barrier_worker(void *arg)
{
    (void)arg;
    atomic_fetch_add(&before, 1);
    pthread_barrier_wait(&barrier);
    if (atomic_load(&before) == 4)
        atomic_fetch_add(&after_ok, 1);
    return NULL;
}

static void test_barrier(void)
{
    pthread_t t[4];
    pthread_barrier_init(&barrier, NULL, 4);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, barrier_worker, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    check("barrier: nobody passed early", after_ok == 4);
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long shared_value;

static void *rw_writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        pthread_rwlock_wrlock(&rw);
        long v = shared_value;
        sched_yield();
        shared_value = v + 1;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void test_rwlock(void)
{
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, rw_writer, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    check("rwlock: writers excluded each other", shared_value == 3000);
}

static __thread int tls_value = 42;

static void *tls_worker(void *arg)
{
    int first = tls_value;
    tls_value = (int)(long)arg;
    sched_yield();
    return (void *)(long)(first == 42 && tls_value == (int)(long)arg && gettid() != getpid());
}

static void test_tls(void)
{
    pthread_t t[3];
    int ok = 1;
    for (long i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, tls_worker, (void *)(100 + i));
    for (int i = 0; i < 3; i++) {
        void *r;
        pthread_join(t[i], &r);
        ok &= r != NULL;
    }
    check("thread-local storage: each thread its own", ok && tls_value == 42);
}

static atomic_int detached_done;

static void *detached_worker(void *arg)
{
    (void)arg;
    atomic_fetch_add(&detached_done, 1);
    return NULL;
}

static void test_detached(void)
{
    for (int i = 0; i < 16; i++) {
        pthread_t t;
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        pthread_create(&t, &a, detached_worker, NULL);
        pthread_attr_destroy(&a);
    }
    while (atomic_load(&detached_done) < 16)
        sched_yield();
    check("detached threads ran", 1);
}

/* Two threads hand a token back and forth through raw futexes. */
static atomic_uint token;

static void *ponger(void *arg)
{
    (void)arg;
    for (unsigned i = 1; i < 20000; i += 2) {
        while (atomic_load(&token) != i)
            syscall(SYS_futex, &token, FUTEX_WAIT_PRIVATE, i - 1, NULL, NULL, 0);
        atomic_store(&token, i + 1);
        syscall(SYS_futex, &token, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
    return NULL;
}

static void test_futex_pingpong(void)
{
    pthread_t t;
    pthread_create(&t, NULL, ponger, NULL);
    for (unsigned i = 0; i < 20000; i += 2) {
        while (atomic_load(&token) != i)
            syscall(SYS_futex, &token, FUTEX_WAIT_PRIVATE, i - 1, NULL, NULL, 0);
        atomic_store(&token, i + 1);
        syscall(SYS_futex, &token, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
    pthread_join(t, NULL);
    check("futex ping-pong: 20000 hand-overs", atomic_load(&token) == 20000);
}

static void test_futex_errors(void)
{
    unsigned word = 5;
    struct timespec ts = {0, 1000000};
    want("futex wait on a changed value",
         syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0), EAGAIN);
    want("futex wait times out", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0),
         ETIMEDOUT);
    want("futex wake with no waiters",
         syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
    want("futex on a bad pointer",
         syscall(SYS_futex, (void *)16, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
    want("futex bitset 0", syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, NULL, 0),
         EINVAL);
}

/* The main thread spins without a system call: only preemption lets the other run. */
static atomic_int spin_flag;

static void *spin_setter(void *arg)
{
    (void)arg;
    atomic_store(&spin_flag, 1);
    return NULL;
}

static void test_preemption(void)
{
    pthread_t t;
    pthread_create(&t, NULL, spin_setter, NULL);
    while (!atomic_load(&spin_flag))
        ;
    pthread_join(t, NULL);
    check("preemption: a spinning thread does not starve another", 1);
}

/* 1 MiB through a pipe: the writer blocks when it is full, the reader when empty. */
static int pipe_fds[2];

static void *pipe_writer(void *arg)
{
    static unsigned char chunk[4096];
    (void)arg;
    for (int i = 0; i < 256; i++) {
        memset(chunk, i, sizeof chunk);
        if (write(pipe_fds[1], chunk, sizeof chunk) != (ssize_t)sizeof chunk)
            return (void *)1;
    }
    close(pipe_fds[1]);
    return NULL;
}

static void test_pipe(void)
{
    pthread_t t;
    unsigned char buf[1000];
    long total = 0, sum = 0, expect = 0;
    ssize_t n;
    if (pipe(pipe_fds) != 0) {
        check("pipe", 0);
        return;
    }
    pthread_create(&t, NULL, pipe_writer, NULL);
    while ((n = read(pipe_fds[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            sum += buf[i];
        total += n;
    }
    void *r;
    pthread_join(t, &r);
    close(pipe_fds[0]);
    for (int i = 0; i < 256; i++)
        expect += 4096L * i;
    check("pipe between threads: every byte, in order, then end of file",
          total == 256 * 4096 && sum == expect && r == NULL);
}

/*
 * Neither wait ends by itself: the join returns only once the cancel
 * interrupted the call (a hang here is the runner's timeout). The read
 * is restarted under SA_RESTART, so the handler must see the PC rewound
 * into musl's cancellable range; nanosleep returns EINTR instead, which
 * musl checks after the call.
 */
static int cancel_pipe[2];
static atomic_int cancel_started;

static void *cancel_reader(void *arg)
{
    char c;
    (void)arg;
    atomic_fetch_add(&cancel_started, 1);
    read(cancel_pipe[0], &c, 1);
    return NULL;
}

static void *cancel_sleeper(void *arg)
{
    struct timespec ts = {60, 0};
    (void)arg;
    atomic_fetch_add(&cancel_started, 1);
    nanosleep(&ts, NULL);
    return NULL;
}

static void test_cancel(const char *label, void *(*fn)(void *))
{
    pthread_t t;
    void *r = NULL;
    atomic_store(&cancel_started, 0);
    if (pthread_create(&t, NULL, fn, NULL)) {
        check(label, 0);
        return;
    }
    /* Cancelling before the call also ends the thread: wait until it got
     * close, then give it time to block so the test covers a sleeping thread. */
    while (!atomic_load(&cancel_started))
        sched_yield();
    for (int i = 0; i < 100; i++)
        sched_yield();
    pthread_cancel(t);
    pthread_join(t, &r);
    check(label, r == PTHREAD_CANCELED);
}

int main(void)
{
    test_pipe();
    test_preemption();
    test_producer_consumer();
    test_barrier();
    test_rwlock();
    test_tls();
    test_detached();
    test_futex_pingpong();
    test_futex_errors();
    if (pipe(cancel_pipe) != 0) {
        check("pipe", 0);
    } else {
        test_cancel("pthread_cancel: a thread blocked in read is cancelled", cancel_reader);
        close(cancel_pipe[0]);
        close(cancel_pipe[1]);
    }
    test_cancel("pthread_cancel: a thread in nanosleep is cancelled", cancel_sleeper);
    return guest_done();
}
