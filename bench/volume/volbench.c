/*
 * bench/volume.sh's program: times itself on a folder (a volume in the
 * guest, the host folder as a Linux process) and prints
 *   write_mb_per_s W   writing MB megabytes in 1 MiB writes, then fsync
 *   read_mb_per_s R    reading them back in 1 MiB reads
 *   fsync_median_us F  the median fsync of FSYNCS 4 KiB appends
 * Usage: volbench DIR [MB [FSYNCS]]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static char buf[CHUNK];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
    perror(what);
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    long mb = argc > 2 ? atol(argv[2]) : 64, fsyncs = argc > 3 ? atol(argv[3]) : 100;
    char path[4096];
    snprintf(path, sizeof path, "%s/volbench.data", argv[1]);
    memset(buf, 'v', sizeof buf);

    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return fail("open");
    double t0 = now_s();
    for (long i = 0; i < mb; i++)
        if (write(fd, buf, CHUNK) != CHUNK)
            return fail("write");
    if (fsync(fd) != 0)
        return fail("fsync");
    double t1 = now_s();
    if (lseek(fd, 0, SEEK_SET) != 0)
        return fail("lseek");
    for (long i = 0; i < mb; i++)
        if (read(fd, buf, CHUNK) != CHUNK)
            return fail("read");
    double t2 = now_s();
    printf("write_mb_per_s %.1f\n", (double)mb / (t1 - t0));
    printf("read_mb_per_s %.1f\n", (double)mb / (t2 - t1));

    if (ftruncate(fd, 0) != 0)
        return fail("ftruncate");
    double *lat = calloc((size_t)fsyncs, sizeof(*lat));
    for (long i = 0; lat && i < fsyncs; i++) {
        if (pwrite(fd, buf, 4096, i * 4096) != 4096)
            return fail("pwrite");
        double s = now_s();
        if (fsync(fd) != 0)
            return fail("fsync");
        lat[i] = now_s() - s;
    }
    if (!lat || fsyncs < 1)
        return 1;
    qsort(lat, (size_t)fsyncs, sizeof(*lat), cmp_double);
    printf("fsync_median_us %.0f\n", lat[fsyncs / 2] * 1e6);
    close(fd);
    unlink(path);
    return 0;
}
