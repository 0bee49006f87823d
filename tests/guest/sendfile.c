// sendfile from a regular file to a file, a pipe and a 127.0.0.1 TCP
// socket: with an offset pointer (the pointer advances, the file position
// does not move) and without (the position advances), a count past the end
// (what is there), at the end (0), a whole 1 MiB file to the socket in one
// call, and EBADF, EINVAL (O_APPEND output, negative offset), ESPIPE (an
// offset on a pipe) and EFAULT.
#include "guest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#define SIZE (1 << 20)

static unsigned char data[SIZE], got[SIZE];

static unsigned char byte_at(size_t i)
{
    return (unsigned char)(i * 7 + i / 251);
}

/* Whether fd's bytes from pos are data[from..from+n). */
static int holds(int fd, off_t pos, size_t from, size_t n)
{
    static unsigned char buf[SIZE];
    return pread(fd, buf, n, pos) == (ssize_t)n && memcmp(buf, data + from, n) == 0;
}

static int open_work(const char *name, int flags)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", work_dir(), name);
    return (int)sys_open(path, flags | O_CREAT | O_TRUNC, 0644);
}

static void to_file(int in)
{
    int out = open_work("sendfile-out", O_RDWR);
    off_t off = 1000;
    check("offset: 5000 bytes", sendfile(out, in, &off, 5000) == 5000);
    check("offset: pointer advanced to 6000", off == 6000);
    check("offset: file position untouched", lseek(in, 0, SEEK_CUR) == 0);
    check("offset: output position advanced", lseek(out, 0, SEEK_CUR) == 5000);
    check("offset: bytes copied", holds(out, 0, 1000, 5000));

    check("seek input to 100", lseek(in, 100, SEEK_SET) == 100);
    check("no offset: 200 bytes", sendfile(out, in, NULL, 200) == 200);
    check("no offset: file position advanced to 300", lseek(in, 0, SEEK_CUR) == 300);
    check("no offset: bytes copied", holds(out, 5000, 100, 200));

    off = SIZE - 1000;
    check("past the end: 1000 of 10000", sendfile(out, in, &off, 10000) == 1000);
    check("past the end: pointer at the end", off == SIZE);
    check("at the end: 0", sendfile(out, in, &off, 10000) == 0 && off == SIZE);
    check("no offset at the end: 0",
          lseek(in, 0, SEEK_END) == SIZE && sendfile(out, in, NULL, 100) == 0);
    check("count 0", sendfile(out, in, NULL, 0) == 0);

    check("whole file, no offset", lseek(in, 0, SEEK_SET) == 0 && lseek(out, 0, SEEK_SET) == 0 &&
                                       sendfile(out, in, NULL, SIZE + 4096) == SIZE);
    check("whole file copied", holds(out, 0, 0, SIZE));
    close(out);
}

static void to_pipe(int in)
{
    int p[2];
    check("pipe", sys_pipe(p) == 0);
    off_t off = 70000;
    check("pipe: 4096 bytes", sendfile(p[1], in, &off, 4096) == 4096 && off == 74096);
    check("pipe: bytes arrive",
          read(p[0], got, sizeof got) == 4096 && memcmp(got, data + 70000, 4096) == 0);
    check("pipe: no offset", lseek(in, 10, SEEK_SET) == 10 && sendfile(p[1], in, NULL, 90) == 90 &&
                                 lseek(in, 0, SEEK_CUR) == 100);
    check("pipe: those bytes arrive",
          read(p[0], got, sizeof got) == 90 && memcmp(got, data + 10, 90) == 0);
    off = 0;
    want("offset on a pipe input", sendfile(p[1], p[0], &off, 10), ESPIPE);
    want("pipe read end as output", sendfile(p[0], in, NULL, 10), EBADF);
    close(p[0]);
    close(p[1]);
}

struct reader {
    int fd;
    size_t n;
};

static void *read_all(void *arg)
{
    struct reader *r = arg;
    ssize_t k;
    while (r->n < SIZE && (k = read(r->fd, got + r->n, SIZE - r->n)) > 0)
        r->n += (size_t)k;
    return NULL;
}

static void to_socket(int in)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    check("listener", l >= 0 && bind(l, (struct sockaddr *)&a, sizeof(a)) == 0 &&
                          listen(l, 1) == 0 && getsockname(l, (struct sockaddr *)&a, &len) == 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    check("connect", connect(c, (struct sockaddr *)&a, sizeof(a)) == 0);
    int s = accept(l, NULL, NULL);
    check("accept", s >= 0);

    struct reader r = {s, 0};
    pthread_t t;
    memset(got, 0, sizeof got);
    check("reader thread", pthread_create(&t, NULL, read_all, &r) == 0);
    /* A blocking socket takes the whole file in one call. */
    off_t off = 0;
    check("socket: whole file in one call", sendfile(c, in, &off, SIZE) == SIZE && off == SIZE);
    shutdown(c, SHUT_WR);
    pthread_join(t, NULL);
    check("socket: every byte arrives in order", r.n == SIZE && memcmp(got, data, SIZE) == 0);
    close(s);
    close(c);
    close(l);
}

static void errors(int in)
{
    int out = open_work("sendfile-err", O_WRONLY);
    int app = open_work("sendfile-append", O_WRONLY | O_APPEND);
    off_t off = -1;
    want("negative offset", sendfile(out, in, &off, 10), EINVAL);
    want("O_APPEND output", sendfile(app, in, NULL, 10), EINVAL);
    want("bad offset pointer", sendfile(out, in, BAD_LOW, 10), EFAULT);
    want("closed input", sendfile(out, 99, NULL, 10), EBADF);
    want("closed output", sendfile(99, in, NULL, 10), EBADF);
    want("write-only input", sendfile(out, out, NULL, 10), EBADF);
    int ro = (int)sys_open("/dev/null", O_RDONLY, 0);
    want("read-only output", sendfile(ro, in, NULL, 10), EBADF);
    close(ro);
    close(app);
    close(out);
}

int main(void)
{
    for (size_t i = 0; i < SIZE; i++)
        data[i] = byte_at(i);
    int in = open_work("sendfile-in", O_RDWR);
    check("input written", write(in, data, SIZE) == SIZE && lseek(in, 0, SEEK_SET) == 0);
    to_file(in);
    to_pipe(in);
    to_socket(in);
    errors(in);
    close(in);
    return guest_done();
}
