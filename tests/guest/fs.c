// The file namespace: open openat close fstat stat lstat newfstatat statx
// getdents64 access faccessat readlink readlinkat getcwd chdir mkdir mkdirat
// unlink unlinkat rename renameat umask, with ENOENT EEXIST ENOTDIR EISDIR
// ENOTEMPTY EINVAL EBADF EFAULT ERANGE.
#include "guest.h"
#include <dirent.h>
#include <stdint.h>

/* musl 1.2.3 has no struct statx: the kernel's layout (256 bytes), stable ABI. */
struct kstatx_timestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};
struct kstatx {
    uint32_t stx_mask, stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink, stx_uid, stx_gid;
    uint16_t stx_mode, pad1;
    uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct kstatx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    uint64_t spare[14];
};
#define KSTATX_TYPE        0x1U
#define KSTATX_MODE        0x2U
#define KSTATX_SIZE        0x200U
#define KSTATX_BASIC_STATS 0x7ffU

/* getdents64 records; musl does not export the kernel's struct. */
struct kdirent64 {
    uint64_t d_ino;
    int64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;
    char d_name[];
};

static char base[400];

/* base + "/" + rel, in one of a few rotating buffers so calls can nest. */
static const char *at(const char *rel)
{
    static char bufs[4][512];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%s/%s", base, rel);
    return b;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists a directory with getdents64 as "name/type" entries, sorted. */
static void list_dir(const char *label, int dfd)
{
    static char names[32][64];
    char *sorted[32];
    int n = 0;
    char buf[256] __attribute__((aligned(8)));
    syscall(SYS_lseek, dfd, 0, SEEK_SET);
    for (;;) {
        long got = syscall(SYS_getdents64, dfd, buf, sizeof buf);
        if (got < 0) {
            want(label, got, 0);
            return;
        }
        if (got == 0)
            break;
        for (long off = 0; off < got;) {
            struct kdirent64 *d = (struct kdirent64 *)(buf + off);
            const char *type = d->d_type == DT_DIR ? "dir" : d->d_type == DT_REG ? "file" : "other";
            if (n < 32)
                snprintf(names[n], sizeof names[n], "%s/%s", d->d_name, type);
            sorted[n] = names[n];
            n++;
            off += d->d_reclen;
        }
    }
    qsort(sorted, (size_t)n, sizeof sorted[0], cmp_str);
    printf("%s:", label);
    for (int i = 0; i < n; i++)
        printf(" %s", sorted[i]);
    printf("\n");
}

static void test_create(void)
{
    /* umask returns the previous mask; the created file's mode is masked. */
    syscall(SYS_umask, 022);
    check("umask returns previous", syscall(SYS_umask, 027) == 022);
    want("mkdir", sys_mkdir(base, 0755), 0);
    want("mkdir existing", sys_mkdir(base, 0755), EEXIST);
    want("mkdir missing parent", sys_mkdir(at("no/such"), 0755), ENOENT);
    want("mkdir bad pointer", sys_mkdir(BAD_LOW, 0755), EFAULT);

    int fd = (int)want("open create", sys_open(at("f"), O_WRONLY | O_CREAT | O_EXCL, 0666), 0);
    struct stat st;
    want("fstat new file", syscall(SYS_fstat, fd, &st), 0);
    check("new file is regular", S_ISREG(st.st_mode));
    check("new file mode 0640", (st.st_mode & 07777) == 0640);
    check("new file empty", st.st_size == 0);
    check("write 5", syscall(SYS_write, fd, "12345", 5) == 5);
    want("close", syscall(SYS_close, fd), 0);
    want("close again", syscall(SYS_close, fd), EBADF);
    want("close -1", syscall(SYS_close, -1L), EBADF);
    syscall(SYS_umask, 022);

    want("open missing", sys_open(at("missing"), O_RDONLY, 0), ENOENT);
    want("open empty path", sys_open("", O_RDONLY, 0), ENOENT);
    want("open excl existing", sys_open(at("f"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
    want("open through file", sys_open(at("f/x"), O_RDONLY, 0), ENOTDIR);
    want("open dir for writing", sys_open(base, O_WRONLY, 0), EISDIR);
    want("open file as directory", sys_open(at("f"), O_RDONLY | O_DIRECTORY, 0), ENOTDIR);
    want("open bad pointer", sys_open(BAD_LOW, O_RDONLY, 0), EFAULT);
    want("open kernel pointer", sys_open(BAD_KERNEL, O_RDONLY, 0), EFAULT);
}

static void test_openat(int dfd)
{
    int fd = (int)want("openat relative", syscall(SYS_openat, dfd, "f", O_RDONLY), 0);
    char buf[8] = {0};
    check("openat read", syscall(SYS_read, fd, buf, sizeof buf) == 5 && !memcmp(buf, "12345", 5));
    want("openat missing", syscall(SYS_openat, dfd, "nope", O_RDONLY), ENOENT);
    want("openat file as dirfd", syscall(SYS_openat, fd, "x", O_RDONLY), ENOTDIR);
    want("openat bad dirfd", syscall(SYS_openat, 99, "x", O_RDONLY), EBADF);
    /* An absolute path ignores the dirfd, even an invalid one. */
    long fd2 = want("openat absolute", syscall(SYS_openat, 99, at("f"), O_RDONLY), 0);
    long fd3 = want("openat cwd", syscall(SYS_openat, FDCWD, at("f"), O_RDONLY), 0);
    syscall(SYS_close, fd3);
    syscall(SYS_close, fd2);
    syscall(SYS_close, fd);
}

static void test_stat(int dfd)
{
    struct stat st, st2;
    want("stat file", sys_stat(at("f"), &st), 0);
    check("stat size 5", st.st_size == 5);
    check("stat regular", S_ISREG(st.st_mode));
    check("stat mode 0640", (st.st_mode & 07777) == 0640);
    check("stat has inode", st.st_ino != 0);
    want("stat dir", sys_stat(base, &st2), 0);
    check("stat dir is dir", S_ISDIR(st2.st_mode));
    check("inodes differ", st.st_ino != st2.st_ino);
    want("stat missing", sys_stat(at("missing"), &st2), ENOENT);
    want("stat through file", sys_stat(at("f/x"), &st2), ENOTDIR);
    want("stat bad path pointer", sys_stat(BAD_LOW, &st2), EFAULT);
    want("stat bad buffer", sys_stat(at("f"), BAD_KERNEL), EFAULT);

    /* Without symlinks, lstat and stat agree. */
    want("lstat file", sys_lstat(at("f"), &st2), 0);
    check("lstat same inode", st2.st_ino == st.st_ino && st2.st_size == 5);
    want("lstat missing", sys_lstat(at("missing"), &st2), ENOENT);

    int fd = (int)sys_open(at("f"), O_RDONLY, 0);
    want("fstat", syscall(SYS_fstat, fd, &st2), 0);
    check("fstat same inode", st2.st_ino == st.st_ino && st2.st_dev == st.st_dev);
    want("fstat bad fd", syscall(SYS_fstat, 99, &st2), EBADF);
    want("fstat bad buffer", syscall(SYS_fstat, fd, BAD_LOW), EFAULT);

    want("newfstatat relative", syscall(SYS_newfstatat, dfd, "f", &st2, 0), 0);
    check("newfstatat size", st2.st_size == 5);
    want("newfstatat empty path", syscall(SYS_newfstatat, fd, "", &st2, AT_EMPTY_PATH), 0);
    check("newfstatat empty path inode", st2.st_ino == st.st_ino);
    want("newfstatat nofollow", syscall(SYS_newfstatat, dfd, "f", &st2, AT_SYMLINK_NOFOLLOW), 0);
    want("newfstatat missing", syscall(SYS_newfstatat, dfd, "nope", &st2, 0), ENOENT);
    want("newfstatat bad flags", syscall(SYS_newfstatat, dfd, "f", &st2, 0x1), EINVAL);
    want("newfstatat bad dirfd", syscall(SYS_newfstatat, 99, "f", &st2, 0), EBADF);

    struct kstatx sx;
    memset(&sx, 0, sizeof sx);
    want("statx", syscall(SYS_statx, dfd, "f", 0, KSTATX_BASIC_STATS, &sx), 0);
    check("statx mask", (sx.stx_mask & (KSTATX_TYPE | KSTATX_MODE | KSTATX_SIZE)) ==
                            (KSTATX_TYPE | KSTATX_MODE | KSTATX_SIZE));
    check("statx size", sx.stx_size == 5);
    check("statx regular", S_ISREG(sx.stx_mode) && (sx.stx_mode & 07777) == 0640);
    check("statx inode", sx.stx_ino == (uint64_t)st.st_ino);
    want("statx empty path", syscall(SYS_statx, fd, "", AT_EMPTY_PATH, KSTATX_BASIC_STATS, &sx), 0);
    want("statx missing", syscall(SYS_statx, dfd, "nope", 0, KSTATX_BASIC_STATS, &sx), ENOENT);
    want("statx bad flags", syscall(SYS_statx, dfd, "f", 0x1, KSTATX_BASIC_STATS, &sx), EINVAL);
    want("statx reserved mask", syscall(SYS_statx, dfd, "f", 0, 0x80000000U, &sx), EINVAL);
    want("statx bad buffer", syscall(SYS_statx, dfd, "f", 0, KSTATX_BASIC_STATS, BAD_LOW), EFAULT);
    syscall(SYS_close, fd);
}

static void test_access(int dfd)
{
    want("access exists", sys_access(at("f"), F_OK), 0);
    want("access read", sys_access(at("f"), R_OK), 0);
    want("access missing", sys_access(at("missing"), F_OK), ENOENT);
    want("access bad mode", sys_access(at("f"), 0x100), EINVAL);
    want("faccessat", syscall(SYS_faccessat, dfd, "f", R_OK), 0);
    want("faccessat missing", syscall(SYS_faccessat, dfd, "nope", F_OK), ENOENT);
    want("faccessat bad dirfd", syscall(SYS_faccessat, 99, "f", F_OK), EBADF);

    /* There are no symlinks here: readlink of anything else is EINVAL. */
    char buf[64];
    want("readlink regular file", sys_readlink(at("f"), buf, sizeof buf), EINVAL);
    want("readlink missing", sys_readlink(at("missing"), buf, sizeof buf), ENOENT);
    want("readlinkat regular file", syscall(SYS_readlinkat, dfd, "f", buf, sizeof buf), EINVAL);
    want("readlinkat missing", syscall(SYS_readlinkat, dfd, "nope", buf, sizeof buf), ENOENT);
}

static void test_cwd(void)
{
    char buf[512];
    want("mkdir sub", sys_mkdir(at("sub"), 0755), 0);
    want("chdir base", syscall(SYS_chdir, base), 0);
    long n = want("getcwd", syscall(SYS_getcwd, buf, sizeof buf), 0);
    check("getcwd is base", strcmp(buf, base) == 0);
    /* The raw call returns the length including the terminating NUL. */
    check("getcwd length", n == (long)strlen(base) + 1);
    want("chdir relative", syscall(SYS_chdir, "sub"), 0);
    syscall(SYS_getcwd, buf, sizeof buf);
    check("getcwd in sub", strcmp(buf, at("sub")) == 0);
    want("chdir dotdot", syscall(SYS_chdir, ".."), 0);
    syscall(SYS_getcwd, buf, sizeof buf);
    check("getcwd back", strcmp(buf, base) == 0);
    long fd = want("open relative to cwd", sys_open("f", O_RDONLY, 0), 0);
    syscall(SYS_close, fd);
    want("chdir to file", syscall(SYS_chdir, "f"), ENOTDIR);
    want("chdir missing", syscall(SYS_chdir, "missing"), ENOENT);
    want("getcwd too small", syscall(SYS_getcwd, buf, 1), ERANGE);
    want("getcwd bad buffer", syscall(SYS_getcwd, BAD_LOW, sizeof buf), EFAULT);
}

static void test_dirs(int dfd)
{
    want("mkdirat", syscall(SYS_mkdirat, dfd, "d2", 0755), 0);
    want("mkdirat existing", syscall(SYS_mkdirat, dfd, "d2", 0755), EEXIST);
    long fd = sys_open(at("f"), O_RDONLY, 0);
    want("mkdirat file as dirfd", syscall(SYS_mkdirat, fd, "x", 0755), ENOTDIR);
    want("create d2/x", sys_open(at("d2/x"), O_WRONLY | O_CREAT, 0644), 0);

    list_dir("entries", dfd);
    char buf[256] __attribute__((aligned(8)));
    want("getdents64 on file", syscall(SYS_getdents64, fd, buf, sizeof buf), ENOTDIR);
    want("getdents64 bad fd", syscall(SYS_getdents64, 99, buf, sizeof buf), EBADF);
    syscall(SYS_lseek, dfd, 0, SEEK_SET);
    want("getdents64 tiny buffer", syscall(SYS_getdents64, dfd, buf, 1), EINVAL);
    syscall(SYS_lseek, dfd, 0, SEEK_SET);
    want("getdents64 bad buffer", syscall(SYS_getdents64, dfd, BAD_KERNEL, sizeof buf), EFAULT);
    syscall(SYS_close, fd);
}

static void test_rename(int dfd)
{
    struct stat st;
    want("rename", sys_rename(at("f"), at("g")), 0);
    want("old name gone", sys_stat(at("f"), &st), ENOENT);
    want("new name there", sys_stat(at("g"), &st), 0);
    check("renamed size", st.st_size == 5);
    want("rename missing", sys_rename(at("f"), at("h")), ENOENT);
    want("rename file onto dir", sys_rename(at("g"), at("sub")), EISDIR);
    want("rename dir onto file", sys_rename(at("sub"), at("g")), ENOTDIR);
    want("rename dir into itself", sys_rename(at("sub"), at("sub/inner")), EINVAL);
    want("rename dir onto non-empty", sys_rename(at("sub"), at("d2")), ENOTEMPTY);
    /* Replacing an existing file is atomic and allowed. */
    long fd = sys_open(at("h"), O_WRONLY | O_CREAT, 0644);
    syscall(SYS_close, fd);
    want("rename over file", sys_rename(at("g"), at("h")), 0);
    sys_stat(at("h"), &st);
    check("replaced content", st.st_size == 5);
    want("renameat", syscall(SYS_renameat, dfd, "h", dfd, "i"), 0);
    want("renameat missing", syscall(SYS_renameat, dfd, "h", dfd, "j"), ENOENT);
    want("renameat bad dirfd", syscall(SYS_renameat, 99, "i", dfd, "j"), EBADF);
}

static void test_unlink(int dfd)
{
    /* An unlinked file stays readable through an open descriptor. */
    long fd = sys_open(at("i"), O_RDONLY, 0);
    want("unlink dir", sys_unlink(at("sub")), EISDIR);
    want("unlink missing", sys_unlink(at("missing")), ENOENT);
    want("unlink through file", sys_unlink(at("i/x")), ENOTDIR);
    want("unlink", sys_unlink(at("i")), 0);
    char buf[8];
    check("read after unlink", syscall(SYS_read, fd, buf, sizeof buf) == 5);
    syscall(SYS_close, fd);

    want("unlinkat dir without flag", syscall(SYS_unlinkat, dfd, "d2", 0), EISDIR);
    want("unlinkat non-empty dir", syscall(SYS_unlinkat, dfd, "d2", AT_REMOVEDIR), ENOTEMPTY);
    want("unlinkat file", syscall(SYS_unlinkat, dfd, "d2/x", 0), 0);
    want("unlinkat empty dir", syscall(SYS_unlinkat, dfd, "d2", AT_REMOVEDIR), 0);
    want("unlinkat bad flags", syscall(SYS_unlinkat, dfd, "sub", 0x1), EINVAL);
    want("unlinkat missing", syscall(SYS_unlinkat, dfd, "d2", AT_REMOVEDIR), ENOENT);
    want("unlinkat sub", syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR), 0);
    list_dir("entries at end", (int)dfd);
}

int main(void)
{
    snprintf(base, sizeof base, "%s/fs-test", work_dir());
    test_create();
    int dfd = (int)want("open base dir", sys_open(base, O_RDONLY | O_DIRECTORY, 0), 0);
    test_openat(dfd);
    test_stat(dfd);
    test_access(dfd);
    test_cwd();
    test_dirs(dfd);
    test_rename(dfd);
    test_unlink(dfd);
    syscall(SYS_chdir, "/");
    want("remove base", syscall(SYS_unlinkat, FDCWD, base, AT_REMOVEDIR), 0);
    syscall(SYS_close, dfd);
    return guest_done();
}
