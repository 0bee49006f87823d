// File descriptors: dup dup2 dup3 pipe pipe2 fcntl ioctl close, with EBADF,
// EINVAL, EAGAIN and ENOTTY (TIOCGWINSZ on the console is not a terminal).
#include "guest.h"
#include <sys/ioctl.h>

/* The lowest free descriptor: what dup and open must return. */
static long lowest_free(void)
{
    for (long fd = 0; fd < 1024; fd++)
        if (syscall(SYS_fcntl, fd, F_GETFD) < 0)
            return fd;
    return -1;
}

static void test_dup(void)
{
    long low = lowest_free();
    long d = want("dup", syscall(SYS_dup, 1L), 0);
    check("dup takes lowest free", d == low);
    check("dup shares file", syscall(SYS_fcntl, d, F_GETFL) == syscall(SYS_fcntl, 1L, F_GETFL));
    want("dup closed fd", syscall(SYS_dup, 99L), EBADF);
    want("dup fd -1", syscall(SYS_dup, -1L), EBADF);

    check("dup2 to 50", sys_dup2(d, 50L) == 50);
    check("dup2 replaces open fd", sys_dup2(1L, 50L) == 50);
#ifdef SYS_dup2
    check("dup2 same fd", syscall(SYS_dup2, 50L, 50L) == 50);
#else
    /* No dup2 call here (aarch64); musl's dup2() checks the fd with fcntl. */
    check("dup2 same fd", dup2(50, 50) == 50);
#endif
    want("dup2 closed source", sys_dup2(99L, 51L), EBADF);
    want("dup2 target too big", sys_dup2(1L, 0x7fffffffL), EBADF);

    check("dup3 to 52", syscall(SYS_dup3, 1L, 52L, (long)O_CLOEXEC) == 52);
    check("dup3 sets cloexec", syscall(SYS_fcntl, 52L, F_GETFD) == FD_CLOEXEC);
    check("dup2 clears cloexec", sys_dup2(1L, 52L) == 52 && syscall(SYS_fcntl, 52L, F_GETFD) == 0);
    want("dup3 same fd", syscall(SYS_dup3, 52L, 52L, 0L), EINVAL);
    want("dup3 bad flags", syscall(SYS_dup3, 1L, 53L, (long)O_NONBLOCK), EINVAL);
    want("dup3 closed source", syscall(SYS_dup3, 99L, 53L, 0L), EBADF);

    /* Writing through a duplicate reaches the console like fd 1. */
    fflush(stdout);
    check("write via dup", syscall(SYS_write, 50L, "via dup\n", 8) == 8);

    want("close dup", syscall(SYS_close, d), 0);
    want("close 50", syscall(SYS_close, 50L), 0);
    want("close 52", syscall(SYS_close, 52L), 0);
    want("close 50 again", syscall(SYS_close, 50L), EBADF);
    check("lowest free again", lowest_free() == low);
}

static void test_fcntl(void)
{
    long d = syscall(SYS_fcntl, 1L, F_DUPFD, 60L);
    check("F_DUPFD at least 60", d == 60);
    check("F_DUPFD next", syscall(SYS_fcntl, 1L, F_DUPFD, 60L) == 61);
    check("F_DUPFD_CLOEXEC", syscall(SYS_fcntl, 1L, F_DUPFD_CLOEXEC, 60L) == 62 &&
                                 syscall(SYS_fcntl, 62L, F_GETFD) == FD_CLOEXEC);
    check("F_GETFD clear", syscall(SYS_fcntl, 60L, F_GETFD) == 0);
    want("F_SETFD", syscall(SYS_fcntl, 60L, F_SETFD, (long)FD_CLOEXEC), 0);
    check("F_GETFD set", syscall(SYS_fcntl, 60L, F_GETFD) == FD_CLOEXEC);
    /* Descriptor flags are per descriptor: the duplicate at 61 is unaffected. */
    check("F_GETFD other dup", syscall(SYS_fcntl, 61L, F_GETFD) == 0);
    want("F_DUPFD negative", syscall(SYS_fcntl, 1L, F_DUPFD, -1L), EINVAL);
    want("fcntl bad fd", syscall(SYS_fcntl, 99L, F_GETFD), EBADF);
    want("fcntl bad command", syscall(SYS_fcntl, 1L, 9999L), EINVAL);
    syscall(SYS_close, 60L);
    syscall(SYS_close, 61L);
    syscall(SYS_close, 62L);
}

static void test_pipe(void)
{
    int p[2] = {-1, -1};
    want("pipe", sys_pipe(p), 0);
    check("pipe fds distinct", p[0] >= 0 && p[1] >= 0 && p[0] != p[1]);
    check("read end flags", (syscall(SYS_fcntl, p[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
    check("write end flags", (syscall(SYS_fcntl, p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
    check("pipe write", syscall(SYS_write, p[1], "ping", 4) == 4);
    char buf[16] = {0};
    check("pipe read", syscall(SYS_read, p[0], buf, sizeof buf) == 4 && !memcmp(buf, "ping", 4));
    want("write to read end", syscall(SYS_write, p[0], "x", 1), EBADF);
    want("read from write end", syscall(SYS_read, p[1], buf, 1), EBADF);

    /* Empty and non-blocking: EAGAIN rather than waiting forever. */
    want("set O_NONBLOCK", syscall(SYS_fcntl, p[0], F_SETFL, (long)O_NONBLOCK), 0);
    check("F_GETFL has O_NONBLOCK", (syscall(SYS_fcntl, p[0], F_GETFL) & O_NONBLOCK) != 0);
    want("read empty nonblocking", syscall(SYS_read, p[0], buf, 1), EAGAIN);

    /* Bytes written before the writer closes are still read; then EOF. */
    check("write before close", syscall(SYS_write, p[1], "last", 4) == 4);
    want("close write end", syscall(SYS_close, p[1]), 0);
    check("read rest", syscall(SYS_read, p[0], buf, sizeof buf) == 4);
    check("read eof", syscall(SYS_read, p[0], buf, sizeof buf) == 0);
    want("close read end", syscall(SYS_close, p[0]), 0);
    want("pipe bad pointer", sys_pipe(BAD_LOW), EFAULT);

    int q[2];
    want("pipe2 cloexec nonblock", syscall(SYS_pipe2, q, (long)(O_CLOEXEC | O_NONBLOCK)), 0);
    check("pipe2 cloexec", syscall(SYS_fcntl, q[0], F_GETFD) == FD_CLOEXEC &&
                               syscall(SYS_fcntl, q[1], F_GETFD) == FD_CLOEXEC);
    check("pipe2 nonblock", (syscall(SYS_fcntl, q[1], F_GETFL) & O_NONBLOCK) != 0);
    want("pipe2 read empty", syscall(SYS_read, q[0], buf, 1), EAGAIN);
    /* A large write through a pipe arrives whole and in order. */
    static char big[3000], back[3000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 7);
    check("pipe2 write 3000", syscall(SYS_write, q[1], big, sizeof big) == (long)sizeof big);
    size_t got = 0;
    while (got < sizeof back) {
        long n = syscall(SYS_read, q[0], back + got, sizeof back - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    check("pipe2 read 3000", got == sizeof back && !memcmp(big, back, sizeof big));
    syscall(SYS_close, q[0]);
    syscall(SYS_close, q[1]);
    want("pipe2 bad flags", syscall(SYS_pipe2, q, (long)O_APPEND), EINVAL);
}

static void test_ioctl(void)
{
    struct winsize ws;
    want("ioctl TIOCGWINSZ stdout", syscall(SYS_ioctl, 1L, (long)TIOCGWINSZ, &ws), ENOTTY);
    want("ioctl bad fd", syscall(SYS_ioctl, 99L, (long)TIOCGWINSZ, &ws), EBADF);
    int p[2];
    sys_pipe(p);
    want("ioctl TIOCGWINSZ pipe", syscall(SYS_ioctl, p[0], (long)TIOCGWINSZ, &ws), ENOTTY);
    syscall(SYS_close, p[0]);
    syscall(SYS_close, p[1]);
}

int main(void)
{
    test_dup();
    test_fcntl();
    test_pipe();
    test_ioctl();
    return guest_done();
}
