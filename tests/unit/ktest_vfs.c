/*
 * The file system on the host: the VFS, ramfs, devfs, pipes, the descriptor
 * table and cpio directly, and the Linux file-system calls through their
 * handlers (sys_NAME with a struct syscall_args), as the dispatcher calls them.
 */
#include <setjmp.h>
#include <stdlib.h>

#include "check.h"

#include "abi.h"
#include "fd.h"
#include "syscalls.h"
#include "vfs.h"

/* From kshim.c. */
extern jmp_buf *kshim_panic_jmp;
extern char kshim_panic_msg[256];
extern int kshim_deadlocks;
extern int kshim_self_signals[65];
extern bool kshim_console_capture;
extern char kshim_console[4096];
extern size_t kshim_console_len;
#define BAD ((void *)1)

#define HANDLERS(X)                                                                                \
    X(read)                                                                                        \
    X(write)                                                                                       \
    X(readv)                                                                                       \
    X(writev)                                                                                      \
    X(pread64)                                                                                     \
    X(pwrite64)                                                                                    \
    X(open)                                                                                        \
    X(openat)                                                                                      \
    X(close) X(lseek) X(fstat) X(stat) X(lstat) X(newfstatat) X(statx) X(getdents64) X(access)     \
        X(faccessat) X(readlink) X(getcwd) X(chdir) X(fchdir) X(mkdir) X(rmdir) X(unlink)          \
            X(unlinkat) X(rename) X(renameat2) X(fcntl) X(dup) X(dup2) X(dup3) X(pipe) X(pipe2)    \
                X(ioctl) X(umask) X(ftruncate) X(truncate) X(fsync) X(symlink) X(sendfile)         \
                    X(close_range) X(link)
#define DECLARE(n) long sys_##n(const struct syscall_args *);
HANDLERS(DECLARE)

static long call(syscall_fn fn, long a0, long a1, long a2, long a3, long a4)
{
    struct syscall_args args = {.nr = 0, .a = {a0, a1, a2, a3, a4, 0}};
    return fn(&args);
}
#define SYS0(n)                call(sys_##n, 0, 0, 0, 0, 0)
#define SYS1(n, a)             call(sys_##n, (long)(a), 0, 0, 0, 0)
#define SYS2(n, a, b)          call(sys_##n, (long)(a), (long)(b), 0, 0, 0)
#define SYS3(n, a, b, c)       call(sys_##n, (long)(a), (long)(b), (long)(c), 0, 0)
#define SYS4(n, a, b, c, d)    call(sys_##n, (long)(a), (long)(b), (long)(c), (long)(d), 0)
#define SYS5(n, a, b, c, d, e) call(sys_##n, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e))

static int open_rw(const char *path)
{
    return (int)SYS3(open, path, O_RDWR | O_CREAT | O_TRUNC, 0644);
}

static long write_str(int fd, const char *s)
{
    return SYS3(write, fd, s, strlen(s));
}

/* ---- the VFS directly ------------------------------------------------------- */

static void test_file_read_write(void)
{
    struct file *f;
    CHECK(vfs_openat(NULL, "/tmp/a.txt", VFS_O_READ | VFS_O_WRITE | VFS_O_CREAT, 0644, &f) == 0);
    CHECK(vfs_write(f, "hello world", 11) == 11);
    CHECK(vfs_lseek(f, 0, VFS_SEEK_SET) == 0);
    char buf[64] = {0};
    CHECK(vfs_read(f, buf, sizeof(buf)) == 11);
    CHECK_STR(buf, "hello world");
    CHECK(vfs_read(f, buf, sizeof(buf)) == 0);
    CHECK(vfs_lseek(f, -5, VFS_SEEK_END) == 6);
    CHECK(vfs_lseek(f, -100, VFS_SEEK_SET) == -EINVAL);
    CHECK(vfs_lseek(f, 0, 9) == -EINVAL);

    /* A hole past the end reads as zeros. */
    CHECK(vfs_pwrite(f, "!", 1, 20) == 1);
    CHECK(f->inode->size == 21);
    memset(buf, 'x', sizeof(buf));
    CHECK(vfs_pread(f, buf, 10, 11) == 10);
    CHECK(memcmp(buf, "\0\0\0\0\0\0\0\0\0!", 10) == 0);

    /* Truncation, then growth: the cut bytes must not come back. */
    CHECK(vfs_ftruncate(f, 5) == 0);
    CHECK(vfs_ftruncate(f, 12) == 0);
    memset(buf, 'x', sizeof(buf));
    CHECK(vfs_pread(f, buf, 64, 0) == 12);
    CHECK(memcmp(buf, "hello\0\0\0\0\0\0\0", 12) == 0);
    file_put(f);

    /* A file larger than many chunks, written in odd pieces. */
    CHECK(vfs_openat(NULL, "/tmp/big", VFS_O_READ | VFS_O_WRITE | VFS_O_CREAT, 0600, &f) == 0);
    size_t n = 100000;
    unsigned char *data = malloc(n), *back = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 7 + 3);
    for (size_t off = 0; off < n; off += 777)
        CHECK(vfs_write(f, data + off, MIN(777, n - off)) == (ssize_t)MIN(777, n - off));
    CHECK(vfs_pread(f, back, n, 0) == (ssize_t)n);
    CHECK(memcmp(data, back, n) == 0);
    struct vfs_stat st;
    CHECK(vfs_stat(NULL, "/tmp/big", 0, &st) == 0);
    CHECK(st.size == n && st.type == VFS_REG && st.mode == 0600);
    CHECK(st.blocks == (n + 511) / 512);
    CHECK(vfs_ftruncate(f, 5000) == 0);
    CHECK(vfs_pread(f, back, n, 0) == 5000);
    CHECK(memcmp(data, back, 5000) == 0);
    file_put(f);
    free(data);
    free(back);
    CHECK(vfs_unlink(NULL, "/tmp/big") == 0);
    CHECK(vfs_unlink(NULL, "/tmp/a.txt") == 0);
}

static void test_open_flags(void)
{
    struct file *f;
    CHECK(vfs_openat(NULL, "/tmp/o", VFS_O_READ, 0, &f) == -ENOENT);
    CHECK(vfs_openat(NULL, "/tmp/o", VFS_O_WRITE | VFS_O_CREAT | VFS_O_EXCL, 0644, &f) == 0);
    CHECK(vfs_write(f, "abc", 3) == 3);
    CHECK(vfs_read(f, (char[4]){0}, 3) == -EBADF);
    file_put(f);
    CHECK(vfs_openat(NULL, "/tmp/o", VFS_O_WRITE | VFS_O_CREAT | VFS_O_EXCL, 0644, &f) == -EEXIST);
    CHECK(vfs_openat(NULL, "/tmp/o", VFS_O_READ | VFS_O_DIRECTORY, 0, &f) == -ENOTDIR);
    CHECK(vfs_openat(NULL, "/tmp/o/", VFS_O_READ, 0, &f) == -ENOTDIR);
    CHECK(vfs_openat(NULL, "/tmp", VFS_O_WRITE, 0, &f) == -EISDIR);
    CHECK(vfs_openat(NULL, "/tmp/new/", VFS_O_WRITE | VFS_O_CREAT, 0644, &f) == -EISDIR);
    CHECK(vfs_openat(NULL, "/tmp/o/x", VFS_O_READ, 0, &f) == -ENOTDIR);
    CHECK(vfs_openat(NULL, "", VFS_O_READ, 0, &f) == -ENOENT);

    /* Append always writes at the end. */
    CHECK(vfs_openat(NULL, "/tmp/o", VFS_O_WRITE | VFS_O_APPEND, 0, &f) == 0);
    CHECK(vfs_lseek(f, 0, VFS_SEEK_SET) == 0);
    CHECK(vfs_write(f, "de", 2) == 2);
    CHECK(f->inode->size == 5);
    file_put(f);
    CHECK(vfs_openat(NULL, "/tmp/o", VFS_O_WRITE | VFS_O_TRUNC, 0, &f) == 0);
    CHECK(f->inode->size == 0);
    file_put(f);

    /* The umask applies to new files. */
    uint32_t old = vfs_umask(077);
    CHECK(vfs_openat(NULL, "/tmp/m", VFS_O_WRITE | VFS_O_CREAT, 0666, &f) == 0);
    CHECK(f->inode->mode == 0600);
    file_put(f);
    vfs_umask(old);
    CHECK(vfs_unlink(NULL, "/tmp/m") == 0);
    CHECK(vfs_unlink(NULL, "/tmp/o") == 0);
}

static void test_directories(void)
{
    struct vfs_stat st;
    CHECK(vfs_mkdir(NULL, "/tmp/d", 0755) == 0);
    CHECK(vfs_mkdir(NULL, "/tmp/d", 0755) == -EEXIST);
    CHECK(vfs_mkdir(NULL, "/tmp/d/e/f", 0755) == -ENOENT);
    CHECK(vfs_mkdir(NULL, "/tmp/d/e/", 0755) == 0);
    CHECK(vfs_stat(NULL, "/tmp/d", 0, &st) == 0);
    CHECK(st.type == VFS_DIR && st.nlink == 3);
    CHECK(vfs_stat(NULL, "/tmp/d/e/../../d/./e", 0, &st) == 0 && st.type == VFS_DIR);
    CHECK(vfs_stat(NULL, "/../../tmp", 0, &st) == 0 && st.type == VFS_DIR);

    struct file *f;
    CHECK(vfs_openat(NULL, "/tmp/d/file", VFS_O_WRITE | VFS_O_CREAT, 0644, &f) == 0);
    file_put(f);
    CHECK(vfs_rmdir(NULL, "/tmp/d") == -ENOTEMPTY);
    CHECK(vfs_rmdir(NULL, "/tmp/d/file") == -ENOTDIR);
    CHECK(vfs_unlink(NULL, "/tmp/d/e") == -EISDIR);
    CHECK(vfs_unlink(NULL, "/tmp/d/file/") == -ENOTDIR);
    CHECK(vfs_rmdir(NULL, "/tmp/d/.") == -EINVAL);
    CHECK(vfs_rmdir(NULL, "/") == -EBUSY);
    CHECK(vfs_mkdir(NULL, "/tmp/d/file/x", 0755) == -ENOTDIR);

    /* rename: files, directories, replacement and the rules around them. */
    CHECK(vfs_rename(NULL, "/tmp/d/file", NULL, "/tmp/d/e/moved", 0) == 0);
    CHECK(vfs_stat(NULL, "/tmp/d/file", 0, &st) == -ENOENT);
    CHECK(vfs_stat(NULL, "/tmp/d/e/moved", 0, &st) == 0);
    CHECK(vfs_rename(NULL, "/tmp/d", NULL, "/tmp/d/e/inside", 0) == -EINVAL);
    CHECK(vfs_rename(NULL, "/tmp/d/e/moved", NULL, "/tmp/d", 0) == -EISDIR);
    CHECK(vfs_rename(NULL, "/tmp/d/e", NULL, "/tmp/d/e/moved", 0) == -EINVAL);
    CHECK(vfs_mkdir(NULL, "/tmp/d2", 0755) == 0);
    CHECK(vfs_rename(NULL, "/tmp/d2", NULL, "/tmp/d/e/moved", 0) == -ENOTDIR);
    CHECK(vfs_rename(NULL, "/tmp/d2", NULL, "/tmp/d", 0) == -ENOTEMPTY);
    CHECK(vfs_rename(NULL, "/tmp/d/e", NULL, "/tmp/d2", 0) == 0); /* replaces an empty dir */
    CHECK(vfs_stat(NULL, "/tmp/d2/moved", 0, &st) == 0);
    CHECK(vfs_stat(NULL, "/tmp/d", 0, &st) == 0 && st.nlink == 2);
    CHECK(vfs_openat(NULL, "/tmp/d/g", VFS_O_READ | VFS_O_WRITE | VFS_O_CREAT, 0644, &f) == 0);
    CHECK(vfs_write(f, "gg", 2) == 2);
    CHECK(vfs_rename(NULL, "/tmp/d/g", NULL, "/tmp/d2/moved", 0) == 0); /* replaces a file */
    CHECK(vfs_rename(NULL, "/tmp/d2/moved", NULL, "/tmp/d2/moved", 0) == 0);
    CHECK(vfs_stat(NULL, "/tmp/d2/moved", 0, &st) == 0 && st.size == 2);
    CHECK(vfs_rename(NULL, "/tmp/nope", NULL, "/tmp/x", 0) == -ENOENT);
    CHECK(vfs_mkdir(NULL, "/tmp/d/h", 0755) == 0);
    CHECK(vfs_rename(NULL, "/tmp/d/h", NULL, "/tmp/d2/moved", VFS_RENAME_NOREPLACE) == -EEXIST);

    /* An unlinked open file stays readable until closed. */
    CHECK(vfs_unlink(NULL, "/tmp/d2/moved") == 0);
    char buf[4] = {0};
    CHECK(vfs_pread(f, buf, 4, 0) == 2 && memcmp(buf, "gg", 2) == 0);
    CHECK(f->inode->nlink == 0);
    file_put(f);

    /* Hard links share the inode. */
    CHECK(vfs_openat(NULL, "/tmp/d/l1", VFS_O_WRITE | VFS_O_CREAT, 0644, &f) == 0);
    file_put(f);
    CHECK(vfs_link(NULL, "/tmp/d/l1", NULL, "/tmp/d/l2", 0) == 0);
    CHECK(vfs_stat(NULL, "/tmp/d/l2", 0, &st) == 0 && st.nlink == 2);
    CHECK(vfs_link(NULL, "/tmp/d", NULL, "/tmp/dl", 0) == -EPERM);
    CHECK(vfs_unlink(NULL, "/tmp/d/l1") == 0 && vfs_unlink(NULL, "/tmp/d/l2") == 0);

    CHECK(vfs_rmdir(NULL, "/tmp/d/h") == 0);
    CHECK(vfs_rmdir(NULL, "/tmp/d") == 0);
    CHECK(vfs_rmdir(NULL, "/tmp/d2") == 0);
    CHECK(vfs_stat(NULL, "/tmp", 0, &st) == 0 && st.nlink == 2 && st.mode == 01777);
}

static void test_symlinks(void)
{
    struct vfs_stat st;
    struct file *f;
    CHECK(vfs_mkdir(NULL, "/tmp/s", 0755) == 0);
    CHECK(vfs_openat(NULL, "/tmp/s/target", VFS_O_WRITE | VFS_O_CREAT, 0644, &f) == 0);
    CHECK(vfs_write(f, "data", 4) == 4);
    file_put(f);
    CHECK(vfs_symlink("target", NULL, "/tmp/s/rel") == 0);
    CHECK(vfs_symlink("/tmp/s", NULL, "/tmp/s/abs") == 0);
    CHECK(vfs_symlink("x", NULL, "/tmp/s/rel") == -EEXIST);
    CHECK(vfs_stat(NULL, "/tmp/s/rel", 0, &st) == 0 && st.type == VFS_REG && st.size == 4);
    CHECK(vfs_stat(NULL, "/tmp/s/rel", VFS_NOFOLLOW, &st) == 0 && st.type == VFS_LNK);
    CHECK(st.size == 6);
    CHECK(vfs_stat(NULL, "/tmp/s/abs/abs/abs/rel", 0, &st) == 0 && st.type == VFS_REG);
    CHECK(vfs_stat(NULL, "/tmp/s/abs/", VFS_NOFOLLOW, &st) == 0 && st.type == VFS_DIR);
    CHECK(vfs_stat(NULL, "/tmp/s/rel/", 0, &st) == -ENOTDIR);

    char buf[16];
    CHECK(vfs_readlink(NULL, "/tmp/s/rel", buf, sizeof(buf)) == 6 && memcmp(buf, "target", 6) == 0);
    CHECK(vfs_readlink(NULL, "/tmp/s/rel", buf, 3) == 3);
    CHECK(vfs_readlink(NULL, "/tmp/s/target", buf, sizeof(buf)) == -EINVAL);

    /* Loops and long chains end in ELOOP; 40 links are still fine. */
    CHECK(vfs_symlink("loop2", NULL, "/tmp/s/loop1") == 0);
    CHECK(vfs_symlink("loop1", NULL, "/tmp/s/loop2") == 0);
    CHECK(vfs_stat(NULL, "/tmp/s/loop1", 0, &st) == -ELOOP);
    CHECK(vfs_openat(NULL, "/tmp/s/loop1", VFS_O_READ, 0, &f) == -ELOOP);
    char name[32], next[32];
    for (int i = 0; i < 41; i++) {
        snprintf(name, sizeof(name), "/tmp/s/c%d", i);
        if (i == 0)
            snprintf(next, sizeof(next), "target");
        else
            snprintf(next, sizeof(next), "c%d", i - 1);
        CHECK(vfs_symlink(next, NULL, name) == 0);
    }
    CHECK(vfs_stat(NULL, "/tmp/s/c39", 0, &st) == 0 && st.type == VFS_REG);
    CHECK(vfs_stat(NULL, "/tmp/s/c40", 0, &st) == -ELOOP);

    CHECK(vfs_openat(NULL, "/tmp/s/rel", VFS_O_READ | VFS_O_NOFOLLOW, 0, &f) == -ELOOP);
    CHECK(vfs_symlink("missing", NULL, "/tmp/s/dangling") == 0);
    CHECK(vfs_stat(NULL, "/tmp/s/dangling", 0, &st) == -ENOENT);
    CHECK(vfs_stat(NULL, "/tmp/s/dangling", VFS_NOFOLLOW, &st) == 0);
    CHECK(vfs_unlink(NULL, "/tmp/s/rel") == 0);
    CHECK(vfs_stat(NULL, "/tmp/s/target", 0, &st) == 0); /* unlink removes the link only */
}

/* ---- the file-system calls --------------------------------------------------------- */

static void test_sys_read_write(void)
{
    int fd = open_rw("/tmp/io.txt");
    CHECK(fd >= 3);
    CHECK(write_str(fd, "hello world") == 11);
    CHECK(SYS3(lseek, fd, 0, SEEK_CUR) == 11);
    CHECK(SYS3(lseek, fd, 0, SEEK_SET) == 0);
    char buf[32] = {0};
    CHECK(SYS3(read, fd, buf, sizeof(buf)) == 11);
    CHECK_STR(buf, "hello world");
    CHECK(SYS3(lseek, fd, 0, 77) == -EINVAL);
    CHECK(SYS4(pwrite64, fd, "W", 1, 6) == 1);
    CHECK(SYS4(pread64, fd, buf, 11, 0) == 11 && memcmp(buf, "hello World", 11) == 0);
    CHECK(SYS4(pread64, fd, buf, 4, -1) == -EINVAL);

    struct linux_iovec wv[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
    CHECK(SYS3(lseek, fd, 0, SEEK_SET) == 0);
    CHECK(SYS3(writev, fd, wv, 3) == 8);
    char a[2], b[4], c[32];
    struct linux_iovec rv[3] = {{a, sizeof a}, {b, sizeof b}, {c, sizeof c}};
    CHECK(SYS3(lseek, fd, 0, SEEK_SET) == 0);
    CHECK(SYS3(readv, fd, rv, 3) == 11);
    CHECK(memcmp(a, "ab", 2) == 0 && memcmp(b, "cdef", 4) == 0 && memcmp(c, "ghrld", 5) == 0);
    CHECK(SYS3(readv, fd, rv, -1) == -EINVAL);
    CHECK(SYS3(readv, fd, rv, 1025) == -EINVAL);
    struct linux_iovec huge[2] = {{a, (size_t)-1}, {b, 1}};
    CHECK(SYS3(readv, fd, huge, 1) == -EINVAL);
    struct linux_iovec over[2] = {{a, (size_t)INT64_MAX}, {b, 2}};
    CHECK(SYS3(writev, fd, over, 2) == -EINVAL);

    CHECK(SYS2(ftruncate, fd, 3) == 0);
    CHECK(SYS3(lseek, fd, 0, SEEK_END) == 3);
    CHECK(SYS2(ftruncate, fd, -1) == -EINVAL);
    CHECK(SYS2(truncate, "/tmp/io.txt", 1) == 0);
    CHECK(SYS2(truncate, "/tmp", 1) == -EISDIR);
    CHECK(SYS1(fsync, fd) == 0);
    CHECK(SYS1(close, fd) == 0);

    /* Read-only and write-only descriptors. */
    fd = (int)SYS2(open, "/tmp/io.txt", O_RDONLY);
    CHECK(write_str(fd, "x") == -EBADF);
    CHECK(SYS2(ftruncate, fd, 0) == -EINVAL);
    CHECK(SYS1(close, fd) == 0);
    fd = (int)SYS2(open, "/tmp/io.txt", O_WRONLY | O_APPEND);
    CHECK(SYS3(read, fd, buf, 1) == -EBADF);
    CHECK(write_str(fd, "yz") == 2);
    CHECK(SYS3(lseek, fd, 0, SEEK_CUR) == 3);
    CHECK(SYS1(close, fd) == 0);
    CHECK(SYS1(unlink, "/tmp/io.txt") == 0);

    /* A directory opens, but does not read. */
    fd = (int)SYS2(open, "/tmp", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    CHECK(SYS3(read, fd, buf, 4) == -EISDIR);
    CHECK(SYS1(close, fd) == 0);
    CHECK(SYS2(open, "/tmp", O_RDWR) == -EISDIR);
}

static void test_sys_errors(void)
{
    char buf[8];
    struct linux_stat st;
    CHECK(SYS3(read, 99, buf, 1) == -EBADF);
    CHECK(SYS3(write, -1, buf, 1) == -EBADF);
    CHECK(SYS1(close, 99) == -EBADF);
    CHECK(SYS3(lseek, 99, 0, SEEK_SET) == -EBADF);
    CHECK(SYS2(fstat, 99, &st) == -EBADF);
    CHECK(SYS2(open, "/nonexistent", O_RDONLY) == -ENOENT);
    CHECK(SYS2(open, "", O_RDONLY) == -ENOENT);
    CHECK(SYS2(stat, "/nonexistent/x", &st) == -ENOENT);
    CHECK(SYS1(unlink, "/nonexistent") == -ENOENT);
    CHECK(SYS1(rmdir, "/tmp/nonexistent") == -ENOENT);
    CHECK(SYS2(mkdir, "/tmp", 0755) == -EEXIST);
    CHECK(SYS4(openat, 99, "rel", O_RDONLY, 0) == -EBADF);
    long dfd = SYS4(openat, 99, "/tmp", O_RDONLY, 0); /* dirfd ignored for absolute paths */
    CHECK(dfd >= 0 && SYS1(close, dfd) == 0);
    int fd = open_rw("/tmp/plain");
    CHECK(SYS4(openat, fd, "x", O_RDONLY, 0) == -ENOTDIR);
    CHECK(SYS3(unlinkat, AT_FDCWD, "/tmp/plain", 0x1) == -EINVAL);
    CHECK(SYS1(close, fd) == 0);
    CHECK(SYS3(unlinkat, AT_FDCWD, "/tmp/plain", 0) == 0);
    CHECK(SYS1(chdir, "/nonexistent") == -ENOENT);
    CHECK(SYS2(access, "/nonexistent", F_OK) == -ENOENT);
    CHECK(SYS2(access, "/tmp", 8) == -EINVAL);

    /* Bad pointers give EFAULT, never a crash. */
    fd = open_rw("/tmp/efault");
    CHECK(SYS3(read, fd, BAD, 4) == -EFAULT);
    CHECK(SYS3(write, fd, BAD, 4) == -EFAULT);
    CHECK(SYS4(pwrite64, fd, BAD, 4, 0) == -EFAULT);
    CHECK(SYS3(readv, fd, BAD, 1) == -EFAULT);
    struct linux_iovec v = {BAD, 4};
    CHECK(SYS3(writev, fd, &v, 1) == -EFAULT);
    CHECK(SYS2(open, BAD, O_RDONLY) == -EFAULT);
    CHECK(SYS2(stat, "/tmp", BAD) == -EFAULT);
    CHECK(SYS2(fstat, fd, BAD) == -EFAULT);
    CHECK(SYS2(stat, BAD, &st) == -EFAULT);
    CHECK(SYS1(pipe, BAD) == -EFAULT);
    CHECK(SYS2(getcwd, BAD, 100) == -EFAULT);
    CHECK(SYS3(getdents64, fd, BAD, 100) == -ENOTDIR);
    CHECK(SYS2(rename, BAD, "/tmp/x") == -EFAULT);
    CHECK(SYS2(rename, "/tmp/efault", BAD) == -EFAULT);
    CHECK(SYS3(ioctl, fd, FIONREAD, BAD) == -EFAULT);
    CHECK(SYS5(statx, AT_FDCWD, "/tmp", 0, STATX_BASIC_STATS, BAD) == -EFAULT);
    CHECK(SYS3(readlink, BAD, buf, 8) == -EFAULT);
    CHECK(SYS1(close, fd) == 0);
    CHECK(SYS1(unlink, "/tmp/efault") == 0);
}

static void test_sys_stat(void)
{
    int fd = open_rw("/tmp/st");
    CHECK(SYS3(write, fd, "12345", 5) == 5);
    struct linux_stat st;
    CHECK(SYS2(fstat, fd, &st) == 0);
    CHECK(st.st_size == 5 && (st.st_mode & S_IFMT) == S_IFREG && (st.st_mode & 0777) == 0644);
    CHECK(st.st_nlink == 1 && st.st_blksize == 4096 && st.st_blocks == 1);
    CHECK(st.st_mtime_sec > 1600000000);
    struct linux_stat st2;
    CHECK(SYS2(stat, "/tmp/st", &st2) == 0 && st2.st_ino == st.st_ino);
    CHECK(SYS2(symlink, "st", "/tmp/st-link") == 0);
    CHECK(SYS2(lstat, "/tmp/st-link", &st2) == 0 && (st2.st_mode & S_IFMT) == S_IFLNK);
    CHECK(SYS4(newfstatat, AT_FDCWD, "/tmp/st-link", &st2, 0) == 0 && st2.st_ino == st.st_ino);
    CHECK(SYS4(newfstatat, AT_FDCWD, "/tmp/st-link", &st2, AT_SYMLINK_NOFOLLOW) == 0);
    CHECK((st2.st_mode & S_IFMT) == S_IFLNK);
    CHECK(SYS4(newfstatat, fd, "", &st2, AT_EMPTY_PATH) == 0 && st2.st_ino == st.st_ino);
    CHECK(SYS4(newfstatat, fd, "", &st2, 0) == -ENOENT);
    CHECK(SYS4(newfstatat, AT_FDCWD, "/tmp", &st2, 0x8000) == -EINVAL);

    struct linux_statx sx;
    CHECK(SYS5(statx, AT_FDCWD, "/tmp/st", 0, STATX_BASIC_STATS, &sx) == 0);
    CHECK(sx.stx_size == 5 && sx.stx_ino == st.st_ino && (sx.stx_mode & S_IFMT) == S_IFREG);
    CHECK((sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
    CHECK(SYS5(statx, fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx) == 0 && sx.stx_size == 5);

    CHECK(SYS2(stat, "/dev/null", &st2) == 0 && (st2.st_mode & S_IFMT) == S_IFCHR);
    CHECK(st2.st_rdev == 0x103);
    CHECK(SYS2(access, "/tmp/st", R_OK | W_OK) == 0);
    CHECK(SYS2(access, "/tmp/st", X_OK) == -EACCES);
    CHECK(SYS2(access, "/tmp", X_OK) == 0);
    CHECK(SYS3(faccessat, AT_FDCWD, "/tmp/st", F_OK) == 0);

    char buf[16] = {0};
    CHECK(SYS3(readlink, "/tmp/st-link", buf, sizeof(buf)) == 2 && memcmp(buf, "st", 2) == 0);
    CHECK(SYS3(readlink, "/tmp/st-link", buf, 0) == -EINVAL);
    CHECK(SYS3(readlink, "/tmp/st", buf, sizeof(buf)) == -EINVAL);
    CHECK(SYS1(close, fd) == 0);
    CHECK(SYS1(unlink, "/tmp/st-link") == 0 && SYS1(unlink, "/tmp/st") == 0);

    /* umask returns the previous mask. */
    long old = SYS1(umask, 027);
    CHECK(SYS1(umask, old) == 027);
}

struct seen {
    int count, dots;
    char names[128][16];
};

static void collect(struct seen *s, const char *buf, long n)
{
    for (long pos = 0; pos < n;) {
        const struct linux_dirent64 *d = (const void *)(buf + pos);
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) {
            s->dots++;
            CHECK(d->d_type == DT_DIR);
        } else if (s->count < 128) {
            snprintf(s->names[s->count++], 16, "%s", d->d_name);
            CHECK(d->d_type == DT_REG);
        }
        CHECK(d->d_reclen % 8 == 0);
        pos += d->d_reclen;
    }
}

static void test_getdents(void)
{
    CHECK(SYS2(mkdir, "/tmp/list", 0755) == 0);
    char name[64];
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "/tmp/list/file%02d", i);
        int fd = open_rw(name);
        CHECK(fd >= 0);
        SYS1(close, fd);
    }
    int dfd = (int)SYS2(open, "/tmp/list", O_RDONLY | O_DIRECTORY);
    char buf[100]; /* room for a few entries at a time */
    struct seen s = {0};
    long n;
    int calls = 0;
    while ((n = SYS3(getdents64, dfd, buf, sizeof(buf))) > 0) {
        collect(&s, buf, n);
        calls++;
        if (calls == 3) /* entries removed mid-listing must not disturb it */
            CHECK(SYS1(unlink, "/tmp/list/file00") == 0);
    }
    CHECK(n == 0);
    CHECK(calls > 10);
    CHECK(s.dots == 2);
    CHECK(s.count == 50); /* file00 was already listed when removed */
    for (int i = 0; i < s.count; i++) {
        snprintf(name, sizeof(name), "file%02d", i);
        CHECK_STR(s.names[i], name);
    }
    /* Rewinding lists again; a buffer too small for one entry is EINVAL. */
    CHECK(SYS3(lseek, dfd, 0, SEEK_SET) == 0);
    CHECK(SYS3(getdents64, dfd, buf, 10) == -EINVAL);
    memset(&s, 0, sizeof(s));
    while ((n = SYS3(getdents64, dfd, buf, sizeof(buf))) > 0)
        collect(&s, buf, n);
    CHECK(s.count == 49 && s.dots == 2);
    CHECK(SYS1(close, dfd) == 0);

    for (int i = 1; i < 50; i++) {
        snprintf(name, sizeof(name), "/tmp/list/file%02d", i);
        CHECK(SYS1(unlink, name) == 0);
    }
    CHECK(SYS1(rmdir, "/tmp/list") == 0);
}

static void test_cwd(void)
{
    char buf[256];
    CHECK(SYS2(getcwd, buf, sizeof(buf)) == 2);
    CHECK_STR(buf, "/");
    CHECK(SYS2(mkdir, "/tmp/w", 0755) == 0);
    CHECK(SYS2(mkdir, "/tmp/w/sub", 0755) == 0);
    CHECK(SYS1(chdir, "/tmp/w/sub") == 0);
    CHECK(SYS2(getcwd, buf, sizeof(buf)) == 11);
    CHECK_STR(buf, "/tmp/w/sub");
    CHECK(SYS2(getcwd, buf, 5) == -ERANGE);
    int fd = open_rw("rel.txt");
    CHECK(fd >= 0);
    CHECK(SYS1(close, fd) == 0);
    struct linux_stat st;
    CHECK(SYS2(stat, "/tmp/w/sub/rel.txt", &st) == 0);
    CHECK(SYS2(stat, "../sub/./rel.txt", &st) == 0);
    CHECK(SYS1(chdir, "rel.txt") == -ENOTDIR);
    CHECK(SYS1(chdir, "..") == 0);
    CHECK(SYS2(getcwd, buf, sizeof(buf)) == 7);
    CHECK_STR(buf, "/tmp/w");

    int dfd = (int)SYS2(open, "sub", O_RDONLY | O_DIRECTORY);
    CHECK(SYS4(newfstatat, dfd, "rel.txt", &st, 0) == 0);
    CHECK(SYS1(fchdir, dfd) == 0);
    CHECK(SYS2(getcwd, buf, sizeof(buf)) == 11);
    CHECK(SYS1(unlink, "rel.txt") == 0);
    CHECK(SYS1(close, dfd) == 0);

    /* The working directory removed from under the program. */
    CHECK(SYS1(rmdir, "/tmp/w/sub") == 0);
    CHECK(SYS2(getcwd, buf, sizeof(buf)) == -ENOENT);
    CHECK(open_rw("new") == -ENOENT);
    CHECK(SYS1(chdir, "/") == 0);
    CHECK(SYS1(rmdir, "/tmp/w") == 0);
}

static void test_rename_unlinkat(void)
{
    int fd = open_rw("/tmp/r1");
    CHECK(write_str(fd, "one") == 3);
    SYS1(close, fd);
    CHECK(SYS2(rename, "/tmp/r1", "/tmp/r2") == 0);
    struct linux_stat st;
    CHECK(SYS2(stat, "/tmp/r1", &st) == -ENOENT);
    CHECK(SYS2(stat, "/tmp/r2", &st) == 0 && st.st_size == 3);
    /* An exchange needs both names (tests/guest/rename-exchange.c does the rest). */
    CHECK(SYS5(renameat2, AT_FDCWD, "/tmp/r2", AT_FDCWD, "/tmp/r3", RENAME_EXCHANGE) == -ENOENT);
    CHECK(SYS5(renameat2, AT_FDCWD, "/tmp/r2", AT_FDCWD, "/tmp/r3", 1 << 2) == -EINVAL);
    CHECK(SYS2(mkdir, "/tmp/rd", 0700) == 0);
    CHECK(SYS3(unlinkat, AT_FDCWD, "/tmp/rd", 0) == -EISDIR);
    CHECK(SYS3(unlinkat, AT_FDCWD, "/tmp/rd", AT_REMOVEDIR) == 0);
    CHECK(SYS2(link, "/tmp/r2", "/tmp/r4") == 0);
    CHECK(SYS2(stat, "/tmp/r4", &st) == 0 && st.st_nlink == 2);
    CHECK(SYS1(unlink, "/tmp/r2") == 0 && SYS1(unlink, "/tmp/r4") == 0);
}

static void test_fd_table(void)
{
    int fd = open_rw("/tmp/fds");
    CHECK(fd == 3);
    CHECK(SYS1(dup, fd) == 4);
    CHECK(SYS2(dup2, fd, 10) == 10);
    CHECK(SYS2(dup2, fd, fd) == fd);
    CHECK(SYS2(dup2, 99, 5) == -EBADF);
    CHECK(SYS2(dup2, fd, 5000) == -EBADF);
    CHECK(SYS3(dup3, fd, fd, 0) == -EINVAL);
    CHECK(SYS3(dup3, fd, 11, 0x1) == -EINVAL);
    CHECK(SYS3(dup3, fd, 11, O_CLOEXEC) == 11);
    CHECK(SYS3(fcntl, 11, F_GETFD, 0) == FD_CLOEXEC);
    CHECK(SYS3(fcntl, 10, F_GETFD, 0) == 0);
    CHECK(SYS3(fcntl, 10, F_SETFD, FD_CLOEXEC) == 0);
    CHECK(SYS3(fcntl, 10, F_GETFD, 0) == FD_CLOEXEC);
    CHECK(SYS3(fcntl, fd, F_DUPFD, 7) == 7);
    CHECK(SYS3(fcntl, fd, F_DUPFD_CLOEXEC, 7) == 8);
    CHECK(SYS3(fcntl, 8, F_GETFD, 0) == FD_CLOEXEC);
    CHECK(SYS3(fcntl, fd, F_DUPFD, 1024) == -EINVAL);
    CHECK(SYS3(fcntl, fd, F_GETFL, 0) == O_RDWR);
    CHECK(SYS3(fcntl, fd, F_SETFL, O_APPEND | O_NONBLOCK | O_RDONLY) == 0);
    CHECK(SYS3(fcntl, 4, F_GETFL, 0) == (O_RDWR | O_APPEND | O_NONBLOCK)); /* shared file */
    CHECK(SYS3(fcntl, 99, F_GETFL, 0) == -EBADF);

    /* Descriptors share the offset of one open file. */
    CHECK(SYS3(fcntl, fd, F_SETFL, 0) == 0);
    CHECK(write_str(fd, "abc") == 3);
    CHECK(SYS3(lseek, 4, 0, SEEK_CUR) == 3);
    CHECK(SYS1(close, fd) == 0);
    CHECK(write_str(4, "d") == 1); /* still open through the duplicate */
    CHECK(SYS2(open, "/tmp/fds", O_RDONLY) == 3);
    CHECK(SYS3(close_range, 3, 20, 0) == 0);
    CHECK(SYS3(fcntl, 10, F_GETFD, 0) == -EBADF);
    CHECK(SYS3(close_range, 5, 4, 0) == -EINVAL);

    /* Running out: EMFILE at the limit. */
    fd = open_rw("/tmp/fds");
    int last = fd, n = 0;
    while ((last = (int)SYS1(dup, fd)) >= 0)
        n++;
    CHECK(last == -EMFILE);
    CHECK(n == FD_SOFT_LIMIT - 4);
    CHECK(SYS3(close_range, 3, ~0U, 0) == 0);
    CHECK(fd_set_limit(5) == 0);
    CHECK(SYS1(dup, 0) == 3 && SYS1(dup, 0) == 4 && SYS1(dup, 0) == -EMFILE);
    CHECK(SYS2(dup2, 0, 5) == -EBADF);
    CHECK(fd_set_limit(-1) == -EINVAL && fd_set_limit(FD_LIMIT + 1) == -EINVAL);
    CHECK(fd_set_limit(0) == 0 && SYS1(dup, 0) == -EMFILE && SYS3(fcntl, 0, F_DUPFD, 1) == -EINVAL);
    CHECK(fd_set_limit(FD_LIMIT) == 0);
    /* Raised to the hard limit, the table grows past the old soft one. */
    for (n = 0; (last = (int)SYS1(dup, 0)) >= 0; n++)
        ;
    CHECK(last == -EMFILE && n == FD_LIMIT - 5);
    CHECK(SYS3(close_range, 5, ~0U, 0) == 0);
    CHECK(fd_set_limit(FD_SOFT_LIMIT) == 0);
    CHECK(SYS1(close, 4) == 0);
    CHECK(SYS1(close, 3) == 0);
    CHECK(SYS1(unlink, "/tmp/fds") == 0);
}

static void test_pipes(void)
{
    int p[2];
    CHECK(SYS1(pipe, p) == 0);
    CHECK(p[0] == 3 && p[1] == 4);
    CHECK(write_str(p[1], "through the pipe") == 16);
    int avail = 0;
    CHECK(SYS3(ioctl, p[0], FIONREAD, &avail) == 0 && avail == 16);
    char buf[64] = {0};
    CHECK(SYS3(read, p[0], buf, 8) == 8);
    CHECK(SYS3(read, p[0], buf + 8, sizeof(buf)) == 8);
    CHECK_STR(buf, "through the pipe");
    CHECK(SYS3(lseek, p[0], 0, SEEK_SET) == -ESPIPE);
    CHECK(SYS4(pread64, p[0], buf, 1, 0) == -ESPIPE);
    CHECK(SYS3(write, p[0], "x", 1) == -EBADF);
    CHECK(SYS3(read, p[1], buf, 1) == -EBADF);
    struct linux_stat st;
    CHECK(SYS2(fstat, p[0], &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO);
    CHECK(SYS3(fcntl, p[0], F_GETFL, 0) == O_RDONLY);
    CHECK(SYS3(fcntl, p[1], F_GETFL, 0) == O_WRONLY);

    /* Non-blocking: an empty pipe is EAGAIN; a full one too. */
    int on = 1;
    CHECK(SYS3(ioctl, p[0], FIONBIO, &on) == 0);
    CHECK(SYS3(read, p[0], buf, 1) == -EAGAIN);
    CHECK(SYS3(fcntl, p[1], F_SETFL, O_NONBLOCK) == 0);
    static char chunk[10000];
    long total = 0, n;
    while ((n = SYS3(write, p[1], chunk, sizeof(chunk))) > 0)
        total += n;
    CHECK(n == -EAGAIN);
    CHECK(total == PIPE_CAPACITY);
    CHECK(SYS3(fcntl, p[1], F_GETPIPE_SZ, 0) == PIPE_CAPACITY);
    long drained = 0;
    while ((n = SYS3(read, p[0], chunk, sizeof(chunk))) > 0)
        drained += n;
    CHECK(drained == PIPE_CAPACITY);

    /* The writer gone: what is left, then end of file. */
    CHECK(write_str(p[1], "last") == 4);
    CHECK(SYS1(close, p[1]) == 0);
    CHECK(SYS3(read, p[0], buf, sizeof(buf)) == 4);
    CHECK(SYS3(read, p[0], buf, sizeof(buf)) == 0);
    CHECK(SYS1(close, p[0]) == 0);

    /* The reader gone: EPIPE, and SIGPIPE (13) for the writer. */
    CHECK(SYS2(pipe2, p, O_CLOEXEC) == 0);
    CHECK(SYS3(fcntl, p[0], F_GETFD, 0) == FD_CLOEXEC);
    CHECK(SYS2(pipe2, p, 0x40) == -EINVAL);
    CHECK(SYS1(close, p[0]) == 0);
    int sigpipes = kshim_self_signals[13];
    CHECK(write_str(p[1], "x") == -EPIPE);
    CHECK(kshim_self_signals[13] == sigpipes + 1);
    CHECK(SYS1(close, p[1]) == 0);

    /* A blocking read that nothing could ever satisfy sleeps for good: the
       kernel's scheduler stops the machine then; the shim counts it. */
    CHECK(SYS1(pipe, p) == 0);
    int deadlocks = kshim_deadlocks;
    CHECK(SYS3(read, p[0], buf, 1) == -EINTR);
    CHECK(kshim_deadlocks == deadlocks + 1);
    CHECK(SYS1(close, p[0]) == 0 && SYS1(close, p[1]) == 0);
}

static void test_stdio_and_devices(void)
{
    char buf[16];
    CHECK(SYS3(read, 0, buf, sizeof(buf)) == 0);
    kshim_console_capture = true;
    kshim_console_len = 0;
    CHECK(write_str(1, "to stdout\n") == 10);
    CHECK(write_str(2, "to stderr\n") == 10);
    struct linux_iovec v[2] = {{"write", 5}, {"v\n", 2}};
    CHECK(SYS3(writev, 1, v, 2) == 7);
    kshim_console_capture = false;
    CHECK_STR(kshim_console, "to stdout\nto stderr\nwritev\n");
    struct linux_winsize ws;
    CHECK(SYS3(ioctl, 1, TIOCGWINSZ, &ws) == -ENOTTY);
    CHECK(SYS3(ioctl, 1, TCGETS, buf) == -ENOTTY);
    CHECK(SYS3(lseek, 1, 0, SEEK_CUR) == -ESPIPE);

    int fd = (int)SYS2(open, "/dev/null", O_RDWR);
    CHECK(SYS3(read, fd, buf, sizeof(buf)) == 0);
    CHECK(write_str(fd, "gone") == 4);
    SYS1(close, fd);
    fd = (int)SYS2(open, "/dev/zero", O_RDONLY);
    memset(buf, 1, sizeof(buf));
    CHECK(SYS3(read, fd, buf, sizeof(buf)) == 16 && buf[0] == 0 && buf[15] == 0);
    SYS1(close, fd);
    fd = (int)SYS2(open, "/dev/urandom", O_RDONLY);
    CHECK(SYS3(read, fd, buf, sizeof(buf)) == 16);
    SYS1(close, fd);
    CHECK(SYS2(open, "/dev/random", O_RDONLY) >= 0);
    SYS1(close, 3);

    /* sendfile copies between files, with or without an offset. */
    int in = open_rw("/tmp/sf-in"), out = open_rw("/tmp/sf-out");
    CHECK(write_str(in, "0123456789") == 10);
    off_t off = 2;
    CHECK(SYS4(sendfile, out, in, &off, 5) == 5 && off == 7);
    CHECK(SYS3(lseek, in, 0, SEEK_SET) == 0);
    CHECK(SYS4(sendfile, out, in, NULL, 100) == 10);
    char back[32] = {0};
    CHECK(SYS4(pread64, out, back, sizeof(back), 0) == 15);
    CHECK_STR(back, "234560123456789");
    SYS1(close, in);
    SYS1(close, out);
    SYS1(unlink, "/tmp/sf-in");
    SYS1(unlink, "/tmp/sf-out");
}

/* ---- cpio ----------------------------------------------------------------------------- */

static size_t cpio_add(char *buf, size_t len, const char *name, unsigned mode, const void *data,
                       size_t size)
{
    size_t namesize = strlen(name) + 1;
    len +=
        (size_t)sprintf(buf + len, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
                        1u, mode, 0u, 0u, 1u, 1700000000u, size, 0u, 0u, 0u, 0u, namesize, 0u);
    memcpy(buf + len, name, namesize);
    len += namesize;
    while (len % 4)
        buf[len++] = '\0';
    memcpy(buf + len, data, size);
    len += size;
    while (len % 4)
        buf[len++] = '\0';
    return len;
}

static size_t build_archive(char *buf)
{
    size_t len = 0;
    len = cpio_add(buf, len, ".", 040755, "", 0);
    len = cpio_add(buf, len, "app", 040755, "", 0);
    len = cpio_add(buf, len, "app/hello.txt", 0100644, "hello from cpio\n", 16);
    len = cpio_add(buf, len, "app/run", 0100755, "#!/bin/sh\n", 10);
    len = cpio_add(buf, len, "app/link", 0120777, "hello.txt", 9);
    len = cpio_add(buf, len, "deep/er/file", 0100600, "x", 1); /* no parent entries */
    len = cpio_add(buf, len, "TRAILER!!!", 0, "", 0);
    return len;
}

static void test_cpio(void)
{
    static char archive[4096];
    size_t len = build_archive(archive);
    CHECK(cpio_unpack(archive, len) == 0);
    struct vfs_stat st;
    CHECK(vfs_stat(NULL, "/app/hello.txt", 0, &st) == 0 && st.size == 16 && st.mode == 0644);
    CHECK(st.mtime_ns == 1700000000ULL * 1000000000ULL);
    CHECK(vfs_stat(NULL, "/app/run", 0, &st) == 0 && st.mode == 0755);
    CHECK(vfs_stat(NULL, "/app/link", VFS_NOFOLLOW, &st) == 0 && st.type == VFS_LNK);
    CHECK(vfs_stat(NULL, "/deep/er/file", 0, &st) == 0 && st.size == 1);
    char buf[32] = {0};
    int fd = (int)SYS2(open, "/app/link", O_RDONLY);
    CHECK(SYS3(read, fd, buf, sizeof(buf)) == 16);
    CHECK_STR(buf, "hello from cpio\n");
    SYS1(close, fd);
    CHECK(vfs_access(NULL, "/app/run", VFS_X_OK, 0) == 0);
    /* Unpacking again replaces what is there. */
    CHECK(cpio_unpack(archive, len) == 0);

    /* Corruptions: each is refused, none crashes (the sanitizers watch). */
    static char bad[4096];
    memcpy(bad, archive, len);
    bad[0] = '1';
    CHECK(cpio_unpack(bad, len) == -EINVAL); /* magic */
    memcpy(bad, archive, len);
    bad[20] = 'g';
    CHECK(cpio_unpack(bad, len) == -EINVAL);           /* not hex */
    CHECK(cpio_unpack(archive, 50) == -EINVAL);        /* truncated header */
    CHECK(cpio_unpack(archive, len - 120) == -EINVAL); /* no trailer */
    CHECK(cpio_unpack(archive, 0) == -EINVAL);
    size_t l2 = cpio_add(bad, 0, "huge", 0100644, "", 0);
    memcpy(bad + 6 + 8 * 6, "7FFFFFFF", 8); /* filesize beyond the end */
    CHECK(cpio_unpack(bad, l2) == -EINVAL);
    l2 = cpio_add(bad, 0, "name", 0100644, "", 0);
    memcpy(bad + 6 + 8 * 11, "FFFFFFFF", 8); /* namesize beyond the end */
    CHECK(cpio_unpack(bad, l2) == -EINVAL);
    l2 = cpio_add(bad, 0, "name", 0100644, "", 0);
    memcpy(bad + 6 + 8 * 11, "00000000", 8); /* namesize zero */
    CHECK(cpio_unpack(bad, l2) == -EINVAL);
    l2 = cpio_add(bad, 0, "name", 0100644, "", 0);
    memcpy(bad + 6 + 8 * 11, "00000003", 8); /* name without its NUL */
    CHECK(cpio_unpack(bad, l2) == -EINVAL);
    l2 = cpio_add(bad, 0, "sym", 0120777, "", 0); /* empty symlink target */
    l2 = cpio_add(bad, l2, "TRAILER!!!", 0, "", 0);
    CHECK(cpio_unpack(bad, l2) == -EINVAL);
    /* Every truncation of a good archive fails cleanly. */
    for (size_t cut = 0; cut < len - 4; cut++)
        CHECK(cpio_unpack(archive, cut) != 0 || cut >= len - 124);
}

static void test_copy_on_write(void)
{
    static char archive[64 * 1024];
    static char content[20000];
    for (size_t i = 0; i < sizeof(content); i++)
        content[i] = (char)('a' + i % 26);
    size_t len = 0;
    len = cpio_add(archive, len, "cow", 0100644, content, sizeof(content));
    len = cpio_add(archive, len, "TRAILER!!!", 0, "", 0);
    static char pristine[64 * 1024];
    memcpy(pristine, archive, len);
    CHECK(cpio_unpack(archive, len) == 0);

    struct inode *ip;
    CHECK(vfs_lookup(NULL, "/cow", 0, &ip) == 0);
    size_t blen = 0;
    const void *direct = ramfs_backing(ip, &blen);
    CHECK(direct != NULL && blen == sizeof(content));
    CHECK(direct && memcmp(direct, content, sizeof(content)) == 0);
    CHECK(direct == archive + 116); /* after the header and "cow\0", padded: no copy */

    int fd = (int)SYS2(open, "/cow", O_RDWR);
    CHECK(SYS4(pwrite64, fd, "XYZ", 3, 5000) == 3);
    CHECK(ramfs_backing(ip, &blen) == NULL);
    CHECK(memcmp(archive, pristine, len) == 0); /* the archive is untouched */
    static char back[20000];
    CHECK(SYS4(pread64, fd, back, sizeof(back), 0) == (long)sizeof(back));
    CHECK(memcmp(back, content, 5000) == 0);
    CHECK(memcmp(back + 5000, "XYZ", 3) == 0);
    CHECK(memcmp(back + 5003, content + 5003, sizeof(content) - 5003) == 0);

    /* Truncate into the archive-backed part, then grow: zeros, not old bytes. */
    CHECK(SYS2(ftruncate, fd, 100) == 0);
    CHECK(SYS2(ftruncate, fd, 15000) == 0);
    CHECK(SYS4(pread64, fd, back, sizeof(back), 0) == 15000);
    CHECK(memcmp(back, content, 100) == 0);
    bool zeros = true;
    for (size_t i = 100; i < 15000; i++)
        zeros = zeros && back[i] == 0;
    CHECK(zeros);
    CHECK(memcmp(archive, pristine, len) == 0);
    SYS1(close, fd);
    CHECK(SYS1(unlink, "/cow") == 0);
    CHECK(memcmp(archive, pristine, len) == 0);
}

/* A second ramfs mounted on /mnt/vol (made with its parent): lookups cross
   into it, ".." and getcwd cross back, the mount point cannot go, and
   setattr, statfs and fallocate work on the files inside. */
static void test_mounts(void)
{
    struct inode *fsroot = ramfs_create_root(), *spare = ramfs_create_root(), *ip, *back;
    struct file *f;
    char cwd[64];
    CHECK(vfs_mount("/mnt/vol", fsroot) == 0);
    CHECK(vfs_mount("/mnt/vol", spare) == -EBUSY);
    CHECK(vfs_mount("/", spare) == -EBUSY);
    CHECK(vfs_lookup(NULL, "/mnt/vol", 0, &ip) == 0 && ip == fsroot);
    CHECK(vfs_openat(NULL, "/mnt/vol/f", VFS_O_WRITE | VFS_O_CREAT, 0600, &f) == 0);
    CHECK(vfs_fallocate(f, 0, 4096) == 0 && f->inode->size == 4096);
    CHECK(vfs_fallocate(f, 0, 10) == 0 && f->inode->size == 4096);
    CHECK(vfs_fsync(f, false) == 0);
    struct vfs_attr a = {.valid = VFS_ATTR_MTIME | VFS_ATTR_MODE, .mtime_ns = 7, .mode = 0640};
    CHECK(vfs_setattr(f->inode, &a) == 0 && f->inode->mtime_ns == 7 && f->inode->mode == 0640);
    file_put(f);
    CHECK(vfs_lookup(NULL, "/mnt/vol/f", 0, &ip) == 0 && ip->size == 4096);
    CHECK(vfs_lookup(NULL, "/mnt/vol/..", 0, &back) == 0 && vfs_lookup(NULL, "/mnt", 0, &ip) == 0 &&
          back == ip);
    CHECK(vfs_chdir(NULL, "/mnt/vol") == 0 && vfs_getcwd(cwd, sizeof(cwd)) == 9 &&
          strcmp(cwd, "/mnt/vol") == 0);
    CHECK(vfs_chdir(NULL, "..") == 0 && vfs_getcwd(cwd, sizeof(cwd)) == 5 &&
          strcmp(cwd, "/mnt") == 0);
    CHECK(vfs_chdir(NULL, "/") == 0);
    CHECK(vfs_rmdir(NULL, "/mnt/vol") == -EBUSY);
    CHECK(vfs_rename(NULL, "/mnt/vol", NULL, "/mnt/other", 0) == -EBUSY);
    struct vfs_statfs st;
    vfs_statfs(fsroot, &st);
    CHECK(st.bsize == 4096 && st.blocks == 4096 && st.bfree == 2048 && !st.readonly);
    CHECK(vfs_openat(NULL, "/mnt/file", VFS_O_WRITE | VFS_O_CREAT, 0600, &f) == 0);
    file_put(f);
    CHECK(vfs_mount("/mnt/file", spare) == -ENOTDIR);
    CHECK(vfs_mount("/mnt/file/x", spare) == -ENOTDIR);
    CHECK(vfs_mount("/mnt/spare", spare) == 0);
}

int main(void)
{
    vfs_init();
    fd_init_stdio(NULL);
    RUN_TEST(test_file_read_write);
    RUN_TEST(test_open_flags);
    RUN_TEST(test_directories);
    RUN_TEST(test_symlinks);
    RUN_TEST(test_sys_read_write);
    RUN_TEST(test_sys_errors);
    RUN_TEST(test_sys_stat);
    RUN_TEST(test_getdents);
    RUN_TEST(test_cwd);
    RUN_TEST(test_rename_unlinkat);
    RUN_TEST(test_fd_table);
    RUN_TEST(test_pipes);
    RUN_TEST(test_stdio_and_devices);
    RUN_TEST(test_cpio);
    RUN_TEST(test_copy_on_write);
    RUN_TEST(test_mounts);
    CHECK_EXIT();
}
