/*
 * timeit RUNS COMMAND [ARG...]: runs COMMAND RUNS times, one after another,
 * with stdout and stderr on /dev/null, and prints each run's wall time in
 * microseconds, one per line. bench/lib.sh's time_runs uses it: a `date`
 * process either side of a run would add its own start (milliseconds on a
 * virtual machine) to every sample.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: timeit RUNS COMMAND [ARG...]\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    int null = open("/dev/null", O_WRONLY);
    for (int i = 0; i < runs; i++) {
        long long start = now_us();
        pid_t pid = fork();
        if (pid == 0) {
            dup2(null, 1);
            dup2(null, 2);
            execvp(argv[2], argv + 2);
            _exit(127);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) < 0) {
            perror("timeit");
            return 1;
        }
        printf("%lld\n", now_us() - start);
    }
    return 0;
}
