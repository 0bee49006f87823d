// futimesat, utimes and utime (x86_64 only: aarch64 has utimensat alone):
// times in microseconds (or seconds) set through a folder descriptor and a
// relative name, an absolute name, or the descriptor itself (NULL name);
// NULL times set both to now; EINVAL for microseconds out of range, EBADF,
// ENOTDIR, ENOENT and EFAULT.
// arch: x86_64
#include "guest.h"
#include <sys/time.h>
#include <time.h>
#include <utime.h>

static struct stat st;

static int stat_ok(const char *path)
{
    return sys_stat(path, &st) == 0;
}

/* Whether path's access and modification times are exactly a and m (ns). */
static int times_are(const char *path, long long a, long long m)
{
    return stat_ok(path) && st.st_atim.tv_sec * 1000000000LL + st.st_atim.tv_nsec == a &&
           st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec == m;
}

/* Whether both times are within a few seconds of now. */
static int times_now(const char *path)
{
    time_t now = time(NULL);
    return stat_ok(path) && st.st_atim.tv_sec >= now - 5 && st.st_atim.tv_sec <= now + 5 &&
           st.st_mtim.tv_sec >= now - 5 && st.st_mtim.tv_sec <= now + 5;
}

int main(void)
{
    char dir[256], file[300];
    snprintf(dir, sizeof dir, "%s/futimesat-dir", work_dir());
    snprintf(file, sizeof file, "%s/f", dir);
    check("mkdir", sys_mkdir(dir, 0755) == 0 || errno == EEXIST);
    int fd = (int)sys_open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    int dfd = (int)sys_open(dir, O_RDONLY | O_DIRECTORY, 0);
    check("open file and folder", fd >= 0 && dfd >= 0);

    struct timeval tv[2] = {{1000, 500000}, {2000, 250}};
    want("futimesat relative", syscall(SYS_futimesat, (long)dfd, "f", tv), 0);
    check("times set to the microsecond", times_are(file, 1000500000000LL, 2000000250000LL));

    tv[0] = (struct timeval){3000, 0};
    tv[1] = (struct timeval){4000, 999999};
    want("futimesat absolute", syscall(SYS_futimesat, FDCWD, file, tv), 0);
    check("times set", times_are(file, 3000000000000LL, 4000999999000LL));

    tv[1].tv_usec = 1;
    want("futimesat NULL name: the descriptor", syscall(SYS_futimesat, (long)fd, NULL, tv), 0);
    check("times set through the descriptor", times_are(file, 3000000000000LL, 4000000001000LL));

    want("futimesat NULL times", syscall(SYS_futimesat, (long)dfd, "f", NULL), 0);
    check("times now", times_now(file));

    tv[0].tv_usec = 1000000;
    want("microseconds 1000000", syscall(SYS_futimesat, (long)dfd, "f", tv), EINVAL);
    tv[0].tv_usec = -1;
    want("microseconds -1", syscall(SYS_futimesat, (long)dfd, "f", tv), EINVAL);
    tv[0].tv_usec = 0;
    want("closed folder descriptor", syscall(SYS_futimesat, 99L, "f", tv), EBADF);
    want("file as folder", syscall(SYS_futimesat, (long)fd, "f", tv), ENOTDIR);
    want("missing name", syscall(SYS_futimesat, (long)dfd, "missing", tv), ENOENT);
    want("empty name", syscall(SYS_futimesat, (long)dfd, "", tv), ENOENT);
    want("bad times pointer", syscall(SYS_futimesat, (long)dfd, "f", BAD_LOW), EFAULT);
    want("bad name pointer", syscall(SYS_futimesat, (long)dfd, BAD_LOW, tv), EFAULT);

    tv[0] = (struct timeval){5000, 5};
    tv[1] = (struct timeval){6000, 6};
    want("utimes", syscall(SYS_utimes, file, tv), 0);
    check("utimes set", times_are(file, 5000000005000LL, 6000000006000LL));
    want("utimes NULL times", syscall(SYS_utimes, file, NULL), 0);
    check("utimes now", times_now(file));
    want("utimes missing", syscall(SYS_utimes, "/no/such/file", tv), ENOENT);
    want("utimes NULL name", syscall(SYS_utimes, NULL, tv), EFAULT);

    struct utimbuf ub = {7000, 8000};
    want("utime", syscall(SYS_utime, file, &ub), 0);
    check("utime set", times_are(file, 7000000000000LL, 8000000000000LL));
    want("utime NULL times", syscall(SYS_utime, file, NULL), 0);
    check("utime now", times_now(file));
    want("utime bad pointer", syscall(SYS_utime, file, BAD_LOW), EFAULT);

    close(fd);
    close(dfd);
    sys_unlink(file);
    syscall(SYS_rmdir, dir);
    return guest_done();
}
