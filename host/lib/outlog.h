/*
 * An instance's output log ($dir/output): what the program wrote to its
 * stdout and stderr and what the kernel printed on its console, in the
 * order unikit received it, each piece kept with the stream it came on, so
 * `logs` can give them back apart, as docker logs does. Records are one
 * byte naming the stream, the length as 4 little-endian bytes, then the
 * bytes themselves: any bytes, binary ones too.
 */
#ifndef UNIKIT_OUTLOG_H
#define UNIKIT_OUTLOG_H

#include <stdbool.h>
#include <stddef.h>

enum outlog_stream {
    OUTLOG_STDOUT = 1,
    OUTLOG_STDERR = 2,
    OUTLOG_CONSOLE = 3, /* the kernel's messages, and the supervisor's */
};

/* Appends one record (fd opened with O_APPEND); 0, or -1 with errno. */
int outlog_append(int fd, enum outlog_stream stream, const void *buf, size_t len);

/*
 * Calls fn for each whole record from fd's position on, and leaves the
 * position after the last whole one (a record still being written is read
 * by the next call). Returns 0, or -1 when fn did or the log is damaged.
 */
int outlog_read(int fd, int (*fn)(void *ctx, enum outlog_stream, const void *, size_t), void *ctx);

#endif
