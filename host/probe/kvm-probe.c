/*
 * The guest that unikit boots under KVM, once per host boot, before it
 * trusts KVM with a program (host/lib/accel.c). It does what every program
 * does early and what a KVM unfit for unikit's guests fails at: floating
 * point in SIMD registers (musl's start-up and string functions use them
 * too), system calls, the clock and a timer interrupt. Exit status 0 means
 * KVM ran all of it correctly.
 */
#include <time.h>

static long long ns(const struct timespec *t)
{
    return t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(void)
{
    volatile double a = 1.5, b = 0.25;
    double sum = 0;
    for (int i = 0; i < 8; i++)
        sum += a * b + a / b; /* 0.375 + 6 per round: exact in binary */
    struct timespec start, end, nap = {0, 1000000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    return sum == 51.0 && ns(&end) - ns(&start) >= nap.tv_nsec ? 0 : 1;
}
