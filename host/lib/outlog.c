#include "outlog.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define HEADER     5
#define MAX_RECORD (16u << 20) /* the relay writes at most 64 KiB at a time */

int outlog_append(int fd, enum outlog_stream stream, const void *buf, size_t len)
{
    unsigned char header[HEADER] = {(unsigned char)stream, (unsigned char)len,
                                    (unsigned char)(len >> 8), (unsigned char)(len >> 16),
                                    (unsigned char)(len >> 24)};
    struct iovec iov[2] = {{header, HEADER}, {(void *)buf, len}};
    size_t want = HEADER + len;
    ssize_t n;
    while ((n = writev(fd, iov, 2)) < 0 && errno == EINTR)
        ;
    if (n < 0)
        return -1;
    if ((size_t)n != want) {
        errno = ENOSPC; /* a short append: the disk is full */
        return -1;
    }
    return 0;
}

/* Reads exactly len bytes, or fewer at the end of the file. */
static size_t read_full(int fd, void *buf, size_t len)
{
    size_t got = 0;
    ssize_t n;
    while (got < len &&
           ((n = read(fd, (char *)buf + got, len - got)) > 0 || (n < 0 && errno == EINTR)))
        got += n > 0 ? (size_t)n : 0;
    return got;
}

int outlog_read(int fd, int (*fn)(void *ctx, enum outlog_stream, const void *, size_t), void *ctx)
{
    char *data = NULL;
    int rc = 0;
    for (;;) {
        off_t start = lseek(fd, 0, SEEK_CUR);
        unsigned char h[HEADER];
        size_t got = read_full(fd, h, HEADER);
        uint32_t len = h[1] | (uint32_t)h[2] << 8 | (uint32_t)h[3] << 16 | (uint32_t)h[4] << 24;
        if (got < HEADER) {
            lseek(fd, start, SEEK_SET); /* not whole yet, or the end */
            break;
        }
        if (h[0] < OUTLOG_STDOUT || h[0] > OUTLOG_CONSOLE || len > MAX_RECORD) {
            rc = -1; /* not a record: the log is damaged */
            break;
        }
        char *grown = realloc(data, len ? len : 1);
        if (!grown) {
            rc = -1;
            break;
        }
        data = grown;
        if (read_full(fd, data, len) < len) {
            lseek(fd, start, SEEK_SET); /* not whole yet */
            break;
        }
        if (fn(ctx, (enum outlog_stream)h[0], data, len) < 0) {
            rc = -1;
            break;
        }
    }
    free(data);
    return rc;
}
