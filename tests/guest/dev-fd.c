// The names of open descriptors: /dev/stdin, /dev/stdout, /dev/stderr,
// /dev/fd/N and /proc/self/fd/N open the file descriptor N has (a pipe
// gives the same pipe; a regular file opens again, with an offset of its
// own, O_TRUNC applying), stat and access see it, /dev/stdout is a
// symbolic link to /proc/self/fd/1 as on Linux, and a closed descriptor's
// name is ENOENT. Pipes stand in for the standard streams so that the
// native run's own stdout is left alone.
#include "guest.h"
#include <sys/stat.h>

static int pipe_w, pipe_r;

/* Writes through path (opened as fopen "w" does) and reads it back from
 * the pipe; silent, for stdout may be the pipe meanwhile. */
static int write_via(const char *path)
{
    char buf[32] = {0};
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 0;
    int ok = write(fd, "hello", 5) == 5;
    close(fd);
    return ok && read(pipe_r, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0;
}

static void test_stdio_names(void)
{
    int p[2];
    want("pipe", pipe(p), 0);
    pipe_r = p[0];
    pipe_w = p[1];
    int saved_out = dup(1), saved_err = dup(2), saved_in = dup(0);
    dup2(pipe_w, 1);
    dup2(pipe_w, 2);
    int out_ok = write_via("/dev/stdout"), err_ok = write_via("/dev/stderr");
    int proc_ok = write_via("/proc/self/fd/1");
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    check("write via /dev/stdout", out_ok);
    check("write via /dev/stderr", err_ok);
    check("write via /proc/self/fd/1", proc_ok);

    dup2(pipe_r, 0);
    write(pipe_w, "abc", 3);
    int in = (int)want("open /dev/stdin", open("/dev/stdin", O_RDONLY), 0);
    char buf[8] = {0};
    check("read via /dev/stdin", read(in, buf, sizeof buf) == 3 && strcmp(buf, "abc") == 0);
    close(in);
    dup2(saved_in, 0);
    close(saved_in);
    close(saved_out);
    close(saved_err);

    dup2(pipe_w, 7);
    check("write via /dev/fd/7", write_via("/dev/fd/7"));
    check("write via /proc/self/fd/7", write_via("/proc/self/fd/7"));
    struct stat st;
    want("stat /dev/fd/7", stat("/dev/fd/7", &st), 0);
    check("a fifo", S_ISFIFO(st.st_mode));
    want("access /dev/fd/7", access("/dev/fd/7", W_OK), 0);
    close(7);
    want("open closed /dev/fd/7", open("/dev/fd/7", O_WRONLY), ENOENT);
    want("stat closed /proc/self/fd/7", stat("/proc/self/fd/7", &st), ENOENT);
    want("open /dev/fd/x", open("/dev/fd/x", O_RDONLY), ENOENT);

    char target[64] = {0};
    check("/dev/stdout links to fd 1", readlink("/dev/stdout", target, sizeof target - 1) > 0 &&
                                           strcmp(target, "/proc/self/fd/1") == 0);
    want("lstat /dev/stdin", lstat("/dev/stdin", &st), 0);
    check("a symbolic link", S_ISLNK(st.st_mode));
}

static void test_regular_file(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/devfd-file", work_dir());
    int fd = (int)want("create file", open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), 0);
    write(fd, "0123456789", 10);
    char name[32];
    snprintf(name, sizeof name, "/dev/fd/%d", fd);
    int again = (int)want("open file by its fd", open(name, O_RDONLY), 0);
    char buf[16] = {0};
    check("own offset, from the start", read(again, buf, 4) == 4 && memcmp(buf, "0123", 4) == 0);
    struct stat a, b;
    fstat(fd, &a);
    fstat(again, &b);
    check("same inode", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    close(again);
    snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
    int trunc = (int)want("open with O_TRUNC", open(name, O_WRONLY | O_TRUNC), 0);
    fstat(fd, &a);
    check("truncated", a.st_size == 0);
    close(trunc);
    close(fd);
    unlink(path);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    test_stdio_names();
    test_regular_file();
    return guest_done();
}
