/* Tests for host/lib/outlog.c: records written to a temporary file and read back. */
#include "check.h"
#include "outlog.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct seen {
    char text[256];
    size_t len;
    int records;
};

/* Keeps "S:" + bytes + "|" per record, S the stream's number. */
static int collect(void *ctx, enum outlog_stream stream, const void *buf, size_t len)
{
    struct seen *s = ctx;
    if (s->len + len + 4 >= sizeof(s->text))
        return -1;
    s->text[s->len++] = (char)('0' + stream);
    s->text[s->len++] = ':';
    memcpy(s->text + s->len, buf, len);
    s->len += len;
    s->text[s->len++] = '|';
    s->records++;
    return 0;
}

/* A log as the relay writes it (O_APPEND) and a reader of its own, as logs has. */
static int temp_log(int *reader)
{
    char path[] = "/tmp/unikit-outlog-XXXXXX";
    int fd = mkstemp(path);
    fcntl(fd, F_SETFL, O_APPEND);
    *reader = open(path, O_RDONLY);
    unlink(path);
    return fd;
}

static void test_records_in_order_and_binary(void)
{
    int in;
    int fd = temp_log(&in);
    CHECK(outlog_append(fd, OUTLOG_STDOUT, "out", 3) == 0);
    CHECK(outlog_append(fd, OUTLOG_STDERR, "e\0r", 3) == 0);
    CHECK(outlog_append(fd, OUTLOG_CONSOLE, "", 0) == 0);
    struct seen s = {0};
    CHECK(outlog_read(in, collect, &s) == 0);
    CHECK(s.records == 3);
    CHECK(memcmp(s.text, "1:out|2:e\0r|3:|", 15) == 0);
    close(fd);
    close(in);
}

/* A record still being written is left for the next read, whole. */
static void test_partial_record_waits(void)
{
    int in;
    int fd = temp_log(&in);
    CHECK(outlog_append(fd, OUTLOG_STDOUT, "first", 5) == 0);
    const unsigned char header[5] = {OUTLOG_STDOUT, 6, 0, 0, 0};
    CHECK(write(fd, header, 5) == 5 && write(fd, "sec", 3) == 3);
    struct seen s = {0};
    CHECK(outlog_read(in, collect, &s) == 0);
    CHECK_STR(s.text, "1:first|");
    CHECK(outlog_read(in, collect, &s) == 0); /* nothing new yet */
    CHECK(s.records == 1);
    CHECK(write(fd, "ond", 3) == 3);
    CHECK(outlog_read(in, collect, &s) == 0);
    CHECK_STR(s.text, "1:first|1:second|");
    close(fd);
    close(in);
}

static void test_damaged_log_is_an_error(void)
{
    int in;
    int fd = temp_log(&in);
    CHECK(write(fd, "plain text, not records\n", 24) == 24);
    struct seen s = {0};
    CHECK(outlog_read(in, collect, &s) < 0);
    CHECK(s.records == 0);
    close(fd);
    close(in);
}

int main(void)
{
    RUN_TEST(test_records_in_order_and_binary);
    RUN_TEST(test_partial_record_waits);
    RUN_TEST(test_damaged_log_is_an_error);
    CHECK_EXIT();
}
