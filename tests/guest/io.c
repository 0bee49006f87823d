// Data transfer on files: read write readv writev pread64 pwrite64 lseek, with
// their error cases (EBADF, EFAULT, EINVAL, EISDIR, ESPIPE).
#include "guest.h"
#include <sys/uio.h>

static char path[512];

static void basic_rw(void)
{
    int fd = (int)want("open create", sys_open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), 0);
    want("write", syscall(SYS_write, fd, "hello world", 11), 0);
    check("offset after write", syscall(SYS_lseek, fd, 0, SEEK_CUR) == 11);
    check("lseek set", syscall(SYS_lseek, fd, 0, SEEK_SET) == 0);

    char buf[32] = {0};
    check("read all", syscall(SYS_read, fd, buf, sizeof buf) == 11);
    check("read content", memcmp(buf, "hello world", 11) == 0);
    check("read at eof", syscall(SYS_read, fd, buf, sizeof buf) == 0);
    check("read zero bytes", syscall(SYS_read, fd, buf, 0) == 0);

    check("lseek end", syscall(SYS_lseek, fd, 0, SEEK_END) == 11);
    check("lseek end-5", syscall(SYS_lseek, fd, -5L, SEEK_END) == 6);
    check("lseek cur+2", syscall(SYS_lseek, fd, 2, SEEK_CUR) == 8);
    want("lseek negative", syscall(SYS_lseek, fd, -100L, SEEK_SET), EINVAL);
    want("lseek bad whence", syscall(SYS_lseek, fd, 0, 77), EINVAL);

    /* Seeking past the end then writing leaves a hole that reads as zeros. */
    check("lseek past end", syscall(SYS_lseek, fd, 16, SEEK_SET) == 16);
    check("write after hole", syscall(SYS_write, fd, "!", 1) == 1);
    struct stat st;
    want("fstat", syscall(SYS_fstat, fd, &st), 0);
    check("size with hole", st.st_size == 17);
    memset(buf, 'x', sizeof buf);
    check("pread hole", syscall(SYS_pread64, fd, buf, 5, 11) == 5);
    check("hole is zeros", memcmp(buf, "\0\0\0\0\0", 5) == 0);

    /* pread/pwrite use their own offset and leave the file position alone. */
    check("lseek 3", syscall(SYS_lseek, fd, 3, SEEK_SET) == 3);
    check("pwrite", syscall(SYS_pwrite64, fd, "W", 1, 6) == 1);
    check("pread", syscall(SYS_pread64, fd, buf, 11, 0) == 11);
    check("pread content", memcmp(buf, "hello World", 11) == 0);
    check("position unchanged", syscall(SYS_lseek, fd, 0, SEEK_CUR) == 3);
    check("pread past eof", syscall(SYS_pread64, fd, buf, 4, 100) == 0);
    want("pread negative", syscall(SYS_pread64, fd, buf, 4, -1L), EINVAL);
    want("pwrite negative", syscall(SYS_pwrite64, fd, "x", 1, -1L), EINVAL);

    /* Scatter/gather: the pieces land in order, and lengths add up. */
    check("lseek 0", syscall(SYS_lseek, fd, 0, SEEK_SET) == 0);
    struct iovec wv[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
    check("writev", syscall(SYS_writev, fd, wv, 3) == 8);
    check("lseek 0 again", syscall(SYS_lseek, fd, 0, SEEK_SET) == 0);
    char a[2], b[4], c[32];
    struct iovec rv[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
    long n = syscall(SYS_readv, fd, rv, 3);
    check("readv count", n == 17);
    check("readv split",
          memcmp(a, "ab", 2) == 0 && memcmp(b, "cdef", 4) == 0 && memcmp(c, "gh", 2) == 0);
    want("readv negative count", syscall(SYS_readv, fd, rv, -1L), EINVAL);
    struct iovec huge[1] = {{a, (size_t)-1}};
    want("readv length overflow", syscall(SYS_readv, fd, huge, 1), EINVAL);

    /* Bad user pointers must fail with EFAULT, and the program keeps running. */
    check("lseek 0 for efault", syscall(SYS_lseek, fd, 0, SEEK_SET) == 0);
    want("read into low address", syscall(SYS_read, fd, BAD_LOW, 10), EFAULT);
    want("read into kernel address", syscall(SYS_read, fd, BAD_KERNEL, 10), EFAULT);
    want("write from low address", syscall(SYS_write, fd, BAD_LOW, 10), EFAULT);
    want("write from kernel address", syscall(SYS_write, fd, BAD_KERNEL, 10), EFAULT);
    want("readv bad iovec array", syscall(SYS_readv, fd, BAD_LOW, 1), EFAULT);
    want("pwrite from kernel address", syscall(SYS_pwrite64, fd, BAD_KERNEL, 4, 0), EFAULT);
    want("close", syscall(SYS_close, fd), 0);

    /* O_APPEND writes always go to the end, whatever the position. */
    fd = (int)want("open append", sys_open(path, O_WRONLY | O_APPEND, 0), 0);
    check("lseek 0 append", syscall(SYS_lseek, fd, 0, SEEK_SET) == 0);
    check("append write", syscall(SYS_write, fd, "END", 3) == 3);
    check("append size", syscall(SYS_lseek, fd, 0, SEEK_END) == 20);
    want("read write-only fd", syscall(SYS_read, fd, buf, 1), EBADF);
    want("close append", syscall(SYS_close, fd), 0);

    fd = (int)want("open read-only", sys_open(path, O_RDONLY, 0), 0);
    want("write read-only fd", syscall(SYS_write, fd, "x", 1), EBADF);
    want("pwrite read-only fd", syscall(SYS_pwrite64, fd, "x", 1, 0), EBADF);
    want("close read-only", syscall(SYS_close, fd), 0);

    /* O_TRUNC empties an existing file. */
    fd = (int)want("open trunc", sys_open(path, O_RDWR | O_TRUNC, 0), 0);
    check("truncated", syscall(SYS_lseek, fd, 0, SEEK_END) == 0);
    want("close trunc", syscall(SYS_close, fd), 0);
}

static void bad_fds(void)
{
    char buf[4];
    struct iovec v = {buf, sizeof buf};
    want("read closed fd", syscall(SYS_read, 99, buf, 1), EBADF);
    want("write closed fd", syscall(SYS_write, 99, buf, 1), EBADF);
    want("write fd -1", syscall(SYS_write, -1, buf, 1), EBADF);
    want("readv closed fd", syscall(SYS_readv, 99, &v, 1), EBADF);
    want("writev closed fd", syscall(SYS_writev, 99, &v, 1), EBADF);
    want("pread closed fd", syscall(SYS_pread64, 99, buf, 1, 0), EBADF);
    want("pwrite closed fd", syscall(SYS_pwrite64, 99, buf, 1, 0), EBADF);
    want("lseek closed fd", syscall(SYS_lseek, 99, 0, SEEK_SET), EBADF);
}

static void special_files(const char *work)
{
    char buf[4];
    /* A directory opens for reading, but read(2) on it is EISDIR. */
    int dfd = (int)want("open dir", sys_open(work, O_RDONLY | O_DIRECTORY, 0), 0);
    want("read dir", syscall(SYS_read, dfd, buf, sizeof buf), EISDIR);
    want("close dir", syscall(SYS_close, dfd), 0);

    /* Pipes have no file position. */
    int p[2];
    want("pipe", sys_pipe(p), 0);
    want("lseek pipe", syscall(SYS_lseek, p[0], 0, SEEK_SET), ESPIPE);
    want("pread pipe", syscall(SYS_pread64, p[0], buf, 1, 0), ESPIPE);
    want("pwrite pipe", syscall(SYS_pwrite64, p[1], "x", 1, 0), ESPIPE);
    syscall(SYS_close, p[0]);
    syscall(SYS_close, p[1]);

    /* The console: writev straight to stdout, after stdio's own buffer. */
    fflush(stdout);
    struct iovec v[2] = {{"writev to ", 10}, {"stdout\n", 7}};
    check("writev stdout", syscall(SYS_writev, 1, v, 2) == 17);
}

int main(void)
{
    const char *work = work_dir();
    snprintf(path, sizeof path, "%s/io-test.txt", work);
    basic_rw();
    bad_fds();
    special_files(work);
    want("unlink", sys_unlink(path), 0);
    return guest_done();
}
