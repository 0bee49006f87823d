/* make bench: futex ping-pong round trips per second and thread
 * create+join per second, measured by the program itself (monotonic
 * clock), so the same binary reports for the unikernel and for Linux. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define ROUNDS             20000
#define THREADS            2000

static atomic_uint word;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits for word to become want, then hands it on as want + 1. */
static void step(unsigned want)
{
    while (atomic_load(&word) != want)
        syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, want - 1, NULL, NULL, 0);
    atomic_store(&word, want + 1);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *ponger(void *arg)
{
    (void)arg;
    for (unsigned i = 1; i < 2 * ROUNDS; i += 2)
        step(i);
    return NULL;
}

static void *nothing(void *arg)
{
    return arg;
}

int main(void)
{
    pthread_t t;
    double t0 = now();
    pthread_create(&t, NULL, ponger, NULL);
    for (unsigned i = 0; i < 2 * ROUNDS; i += 2)
        step(i);
    pthread_join(t, NULL);
    double t1 = now();
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&t, NULL, nothing, NULL);
        pthread_join(t, NULL);
    }
    double t2 = now();
    printf("futex_roundtrips_per_s %.0f\n", ROUNDS / (t1 - t0));
    printf("thread_create_join_per_s %.0f\n", THREADS / (t2 - t1));
    return 0;
}
