// cpus: 2 4
// Threads touching the same fresh page at once (issue #17: a Go program
// crashed with --cpus 2 in its allocator). Each round maps fresh memory;
// every thread then writes to each page in turn as soon as all are ready,
// so several CPUs fault on one page together. The first fault maps it; the
// others, which waited for the kernel, must find it mapped and go on, not
// be killed with SIGSEGV. MADV_DONTNEED between rounds makes the pages
// fresh again without a new mapping; munmap ends each round.
#include "guest.h"
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#define THREADS 4
#define PAGES   64
#define ROUNDS  40
#define PAGE    4096

static char *volatile region;
static volatile int started[THREADS]; /* round each thread has reached */
static volatile int touched[THREADS];

static void wait_for_all(volatile int *marks, int round)
{
    for (int t = 0; t < THREADS; t++)
        while (__atomic_load_n(&marks[t], __ATOMIC_ACQUIRE) < round)
            ;
}

/* Every thread writes its own byte of each page, all starting together. */
static void touch_all(int self)
{
    char *r = region;
    for (int p = 0; p < PAGES; p++)
        r[p * PAGE + self] = (char)(self + 1);
}

static void *toucher(void *arg)
{
    int self = (int)(intptr_t)arg;
    for (int round = 1; round <= 2 * ROUNDS; round++) {
        __atomic_store_n(&started[self], round, __ATOMIC_RELEASE);
        wait_for_all(started, round);
        touch_all(self);
        __atomic_store_n(&touched[self], round, __ATOMIC_RELEASE);
        wait_for_all(touched, round);
        /* Thread 0 prepares the next round's memory while the others wait. */
        if (self == 0 && round % 2 == 1)
            madvise(region, PAGES * PAGE, MADV_DONTNEED);
        if (self == 0 && round % 2 == 0 && round < 2 * ROUNDS) {
            munmap(region, PAGES * PAGE);
            region = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                          -1, 0);
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t threads[THREADS];
    region = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) {
        printf("mmap: %s\n", errno_name(errno));
        return 1;
    }
    for (int t = 1; t < THREADS; t++)
        pthread_create(&threads[t], NULL, toucher, (void *)(intptr_t)t);
    toucher((void *)0);
    for (int t = 1; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    int right = 1;
    for (int p = 0; p < PAGES; p++)
        for (int t = 0; t < THREADS; t++)
            right &= region[p * PAGE + t] == t + 1;
    printf("fault-race: every thread's writes landed: %s\n", right ? "yes" : "no");
    return 0;
}
