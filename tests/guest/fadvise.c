// fadvise64 (posix_fadvise): every advice is accepted on a file, a folder
// and /dev/null and changes nothing; EBADF for a bad or O_PATH descriptor,
// ESPIPE for a pipe (before the advice is looked at), EINVAL for an unknown
// advice or a negative length.
#include "guest.h"

/* posix_fadvise returns the error number instead of setting errno. */
static void advise(const char *label, int fd, off_t off, off_t len, int advice, int want_errno)
{
    int e = posix_fadvise(fd, off, len, advice);
    errno = e;
    want(label, e ? -1 : 0, want_errno);
}

int main(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/fadvise-file", work_dir());
    int fd = (int)sys_open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    check("open file", fd >= 0);
    check("write file", write(fd, "0123456789", 10) == 10);

    static const struct {
        const char *name;
        int advice;
    } advices[] = {
        {"POSIX_FADV_NORMAL", POSIX_FADV_NORMAL},
        {"POSIX_FADV_RANDOM", POSIX_FADV_RANDOM},
        {"POSIX_FADV_SEQUENTIAL", POSIX_FADV_SEQUENTIAL},
        {"POSIX_FADV_WILLNEED", POSIX_FADV_WILLNEED},
        {"POSIX_FADV_DONTNEED", POSIX_FADV_DONTNEED},
        {"POSIX_FADV_NOREUSE", POSIX_FADV_NOREUSE},
    };
    for (size_t i = 0; i < sizeof advices / sizeof advices[0]; i++)
        advise(advices[i].name, fd, 0, 0, advices[i].advice, 0);
    advise("range past the end", fd, 1 << 20, 4096, POSIX_FADV_WILLNEED, 0);

    /* Nothing changed: the data, the size and the offset are as written. */
    struct stat st;
    char buf[16] = {0};
    check("size kept", fstat(fd, &st) == 0 && st.st_size == 10);
    check("offset kept", lseek(fd, 0, SEEK_CUR) == 10);
    check("data kept", pread(fd, buf, sizeof buf, 0) == 10 && memcmp(buf, "0123456789", 10) == 0);

    advise("unknown advice 6", fd, 0, 0, 6, EINVAL);
    advise("unknown advice -1", fd, 0, 0, -1, EINVAL);
    advise("negative length", fd, 0, -1, POSIX_FADV_NORMAL, EINVAL);
    advise("negative offset", fd, -1, 10, POSIX_FADV_NORMAL, 0);

    int dir = (int)sys_open(work_dir(), O_RDONLY | O_DIRECTORY, 0);
    advise("folder", dir, 0, 0, POSIX_FADV_SEQUENTIAL, 0);
    int null = (int)sys_open("/dev/null", O_RDONLY, 0);
    advise("/dev/null", null, 0, 0, POSIX_FADV_DONTNEED, 0);

    int p[2];
    check("pipe", sys_pipe(p) == 0);
    advise("pipe read end", p[0], 0, 0, POSIX_FADV_NORMAL, ESPIPE);
    advise("pipe write end", p[1], 0, 0, POSIX_FADV_NORMAL, ESPIPE);
    advise("pipe, unknown advice", p[0], 0, 0, 6, ESPIPE);

    int opath = (int)sys_open(path, O_PATH, 0);
    check("open O_PATH", opath >= 0);
    advise("O_PATH descriptor", opath, 0, 0, POSIX_FADV_NORMAL, EBADF);
    advise("closed descriptor", 99, 0, 0, POSIX_FADV_NORMAL, EBADF);
    advise("descriptor -1", -1, 0, 0, POSIX_FADV_NORMAL, EBADF);
    advise("bad descriptor, unknown advice", 99, 0, 0, 6, EBADF);

    close(opath);
    close(p[0]);
    close(p[1]);
    close(null);
    close(dir);
    close(fd);
    sys_unlink(path);
    return guest_done();
}
