/*
 * Counts the primes below LIMIT with one thread per online CPU (at least
 * two), checks the count against a single-threaded run, and reports which
 * CPUs the threads ran on. Exit status 1 when the two counts differ.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define LIMIT       2000000
#define BLOCK       5000 /* numbers per block; blocks go round-robin to threads */
#define SAMPLE      256  /* sched_getcpu() once per this many numbers */
#define MAX_THREADS 64
#define MAX_CPU     1024

static atomic_bool cpu_seen[MAX_CPU];
static atomic_bool getcpu_failed;

struct work {
    int index, count;
    long primes;
};

static int is_prime(long n)
{
    if (n < 2)
        return 0;
    if (n % 2 == 0)
        return n == 2;
    for (long d = 3; d * d <= n; d += 2)
        if (n % d == 0)
            return 0;
    return 1;
}

static void note_cpu(void)
{
    int cpu = sched_getcpu();
    if (cpu < 0)
        atomic_store(&getcpu_failed, true);
    else if (cpu < MAX_CPU)
        atomic_store(&cpu_seen[cpu], true);
}

/* Round-robin blocks rather than one range each: the cost of a number
 * grows with it, and equal shares keep every CPU busy until the end. */
static long count_share(int index, int count, int sample)
{
    long primes = 0;
    for (long start = (long)index * BLOCK; start < LIMIT; start += (long)count * BLOCK) {
        long end = start + BLOCK < LIMIT ? start + BLOCK : LIMIT;
        for (long n = start; n < end; n++) {
            if (sample && n % SAMPLE == 0)
                note_cpu();
            primes += is_prime(n);
        }
    }
    return primes;
}

static void *worker(void *arg)
{
    struct work *w = arg;
    w->primes = count_share(w->index, w->count, 1);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int nthreads = online < 2 ? 2 : online > MAX_THREADS ? MAX_THREADS : (int)online;
    printf("cpus online: %ld\n", online);

    double t0 = now();
    long expected = count_share(0, 1, 0);
    double t1 = now();

    pthread_t threads[MAX_THREADS];
    struct work work[MAX_THREADS];
    for (int i = 0; i < nthreads; i++) {
        work[i] = (struct work){i, nthreads, 0};
        if (pthread_create(&threads[i], NULL, worker, &work[i]) != 0) {
            fprintf(stderr, "threads-demo: pthread_create failed\n");
            return 1;
        }
    }
    long total = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(threads[i], NULL);
        total += work[i].primes;
    }
    double t2 = now();

    printf("primes below %d, single-threaded: %.2f s, %d threads: %.2f s\n", LIMIT, t1 - t0,
           nthreads, t2 - t1);
    printf("result: %ld (matches single-threaded: %s)\n", total, total == expected ? "yes" : "no");
    if (atomic_load(&getcpu_failed)) {
        printf("threads ran on unknown CPUs: sched_getcpu failed\n");
    } else {
        int distinct = 0;
        for (int i = 0; i < MAX_CPU; i++)
            distinct += atomic_load(&cpu_seen[i]);
        printf("threads ran on %d distinct CPU%s\n", distinct, distinct == 1 ? "" : "s");
    }
    return total == expected ? 0 : 1;
}
