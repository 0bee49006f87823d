/*
 * File-system system calls: Linux's flags, structures and error rules on
 * top of the VFS (vfs.h) and the descriptor table (fd.h). This file holds
 * what the others (fs.h) share, turning the program's paths and directory
 * descriptors into the VFS's, and the calls that open and close files,
 * check and change their permissions and sizes, and make pipes;
 * read_write.c, stat.c, dir.c and fcntl.c have the rest.
 *
 * Every pointer from the program is checked before the kernel touches it,
 * and paths are copied in first, so a bad pointer is -EFAULT, never a fault.
 */
#include "abi.h"
#include "errno.h"
#include "fd.h"
#include "fs.h"
#include "lib.h"
#include "mm.h"
#include "syscalls.h"
#include "vfs.h"

/* ---- paths ------------------------------------------------------------- */

/* Copies a user path into a fresh buffer; an empty path is -ENOENT unless allowed. */
long path_get(const char *upath, bool allow_empty, char **out)
{
    char *buf = kmalloc(PATH_MAX_LINUX);
    if (!buf)
        return -ENOMEM;
    long n = user_path(upath, buf, PATH_MAX_LINUX);
    if (n == 0 && !allow_empty)
        n = -ENOENT;
    if (n < 0) {
        kfree(buf);
        return n;
    }
    *out = buf;
    return n;
}

/* The inode an fd names, with AT_FDCWD naming the working directory. */
long fd_inode(int fd, struct inode **out)
{
    if (fd == AT_FDCWD) {
        *out = vfs_cwd();
        return 0;
    }
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    *out = f->inode;
    return 0;
}

/* The directory a relative path starts from: NULL for the working directory. */
long dirfd_base(int dirfd, const char *path, struct inode **at)
{
    *at = NULL;
    if (path[0] == '/' || dirfd == AT_FDCWD)
        return 0;
    long err = fd_inode(dirfd, at);
    if (err)
        return err;
    return (*at)->type == VFS_DIR ? 0 : -ENOTDIR;
}

/* Copies the path and finds its base: what almost every *at call starts with. */
long path_at(int dirfd, const char *upath, char **path, struct inode **at)
{
    long n = path_get(upath, false, path);
    if (n < 0)
        return n;
    long err = dirfd_base(dirfd, *path, at);
    if (err) {
        kfree(*path);
        return err;
    }
    return 0;
}

/*
 * The descriptor an absolute path names, when it is one of the names of an
 * open descriptor: /dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/N and
 * /proc/self/fd/N; -1 otherwise. On Linux these are symbolic links to
 * /proc/self/fd/N, whose own "magic" links lead to the open file; here
 * devfs makes the first links and open and stat recognise the names.
 */
int fd_named_by(const char *path)
{
    static const char *const stdio[] = {"/dev/stdin", "/dev/stdout", "/dev/stderr"};
    for (int i = 0; i < 3; i++)
        if (strcmp(path, stdio[i]) == 0)
            return i;
    static const char *const dirs[] = {"/dev/fd/", "/proc/self/fd/"};
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        size_t len = strlen(dirs[i]);
        if (strncmp(path, dirs[i], len) != 0 || !path[len])
            continue;
        long n = 0;
        for (const char *p = path + len; *p; p++) {
            if (*p < '0' || *p > '9' || n > FD_LIMIT)
                return -1;
            n = n * 10 + (*p - '0');
        }
        return n < FD_LIMIT ? (int)n : -1;
    }
    return -1;
}

/* ---- open and close ---------------------------------------------------------- */

/* Opening fd's name: a regular file or directory opens again (an offset
 * of its own, O_TRUNC applies, as on Linux); a pipe, terminal or socket
 * gives the same open file. */
static long open_fd_again(int fd, unsigned vflags, struct file **out)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -ENOENT;
    if (f->inode->type == VFS_REG || f->inode->type == VFS_DIR)
        return vfs_open_inode(f->inode, vflags & ~(VFS_O_CREAT | VFS_O_EXCL), out);
    file_get(f);
    *out = f;
    return 0;
}

static long open_flags_to_vfs(int flags, unsigned *out)
{
    if (flags & O_TMPFILE_)
        return -EOPNOTSUPP; /* unnamed files in ramfs are not written yet */
    unsigned f = 0;
    if (flags & O_PATH) {
        f = VFS_O_PATH;
    } else {
        switch (flags & O_ACCMODE) {
        case O_RDONLY:
            f = VFS_O_READ;
            break;
        case O_WRONLY:
            f = VFS_O_WRITE;
            break;
        case O_RDWR:
            f = VFS_O_READ | VFS_O_WRITE;
            break;
        }
        f |= (flags & O_APPEND) ? VFS_O_APPEND : 0;
        f |= (flags & O_NONBLOCK) ? VFS_O_NONBLOCK : 0;
        f |= (flags & O_CREAT) ? VFS_O_CREAT : 0;
        f |= (flags & O_EXCL) ? VFS_O_EXCL : 0;
        f |= (flags & O_TRUNC) ? VFS_O_TRUNC : 0;
        f |= (flags & (O_SYNC | O_DSYNC)) ? VFS_O_SYNC : 0;
        f |= (flags & O_DIRECT) ? VFS_O_DIRECT : 0;
    }
    f |= (flags & O_DIRECTORY) ? VFS_O_DIRECTORY : 0;
    f |= (flags & O_NOFOLLOW) ? VFS_O_NOFOLLOW : 0;
    *out = f;
    return 0;
}

static long do_open_at(int dirfd, const char *upath, int flags, uint32_t mode)
{
    unsigned vflags;
    long err = open_flags_to_vfs(flags, &vflags);
    if (err)
        return err;
    char *path;
    struct inode *at;
    err = path_at(dirfd, upath, &path, &at);
    if (err)
        return err;
    struct file *f;
    int named = path[0] == '/' ? fd_named_by(path) : -1;
    if (named >= 0)
        err = open_fd_again(named, vflags, &f);
    else
        err = vfs_openat(at, path, vflags, mode & 07777, &f);
    kfree(path);
    if (err)
        return err;
    int fd = fd_alloc(f, 0, (flags & O_CLOEXEC) != 0);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYSCALL_DEFINE3(open, const char *, path, int, flags, unsigned int, mode)
{
    return do_open_at(AT_FDCWD, path, flags, mode);
}

SYSCALL_DEFINE4(openat, int, dirfd, const char *, path, int, flags, unsigned int, mode)
{
    return do_open_at(dirfd, path, flags, mode);
}

SYSCALL_DEFINE1(close, int, fd)
{
    return fd_close(fd);
}

SYSCALL_DEFINE3(close_range, unsigned int, first, unsigned int, last, unsigned int, flags)
{
    if ((flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) || first > last)
        return -EINVAL;
    fd_close_range(first, last, flags & CLOSE_RANGE_CLOEXEC);
    return 0;
}

/* ---- permissions and sizes -------------------------------------------------------- */

static long access_at(int dirfd, const char *upath, int mode, int flags)
{
    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct vfs_stat vs;
    long err = stat_at(dirfd, upath, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), &vs);
    if (err)
        return err;
    /* The program runs as root: only a missing execute bit can refuse it. */
    if ((mode & X_OK) && vs.type != VFS_DIR && !(vs.mode & 0111))
        return -EACCES;
    return 0;
}

SYSCALL_DEFINE2(access, const char *, path, int, mode)
{
    return access_at(AT_FDCWD, path, mode, 0);
}

SYSCALL_DEFINE3(faccessat, int, dirfd, const char *, path, int, mode)
{
    return access_at(dirfd, path, mode, 0);
}

SYSCALL_DEFINE4(faccessat2, int, dirfd, const char *, path, int, mode, int, flags)
{
    return access_at(dirfd, path, mode, flags);
}

SYSCALL_DEFINE1(umask, unsigned int, mask)
{
    return vfs_umask(mask);
}

static long chmod_at(int dirfd, const char *upath, unsigned mode, int flags)
{
    if (flags & ~AT_SYMLINK_NOFOLLOW)
        return -EINVAL;
    if (flags & AT_SYMLINK_NOFOLLOW)
        return -EOPNOTSUPP; /* as Linux: symlinks have no mode of their own */
    char *path;
    struct inode *at, *ip;
    long err = path_at(dirfd, upath, &path, &at);
    if (err)
        return err;
    err = vfs_lookup(at, path, 0, &ip);
    if (!err)
        err = vfs_chmod_inode(ip, mode);
    kfree(path);
    return err;
}

SYSCALL_DEFINE2(chmod, const char *, path, unsigned int, mode)
{
    return chmod_at(AT_FDCWD, path, mode, 0);
}

SYSCALL_DEFINE3(fchmodat, int, dirfd, const char *, path, unsigned int, mode)
{
    return chmod_at(dirfd, path, mode, 0);
}

SYSCALL_DEFINE2(fchmod, int, fd, unsigned int, mode)
{
    struct file *f = fd_get(fd);
    if (!f || (f->flags & VFS_O_PATH))
        return -EBADF;
    return vfs_chmod_inode(f->inode, mode);
}

SYSCALL_DEFINE2(ftruncate, int, fd, off_t, length)
{
    struct file *f = fd_get(fd);
    if (!f || (f->flags & VFS_O_PATH))
        return -EBADF;
    if (length < 0)
        return -EINVAL;
    return vfs_ftruncate(f, length);
}

SYSCALL_DEFINE2(truncate, const char *, upath, off_t, length)
{
    char *path;
    long err = path_get(upath, false, &path);
    if (err < 0)
        return err;
    err = vfs_truncate(NULL, path, length);
    kfree(path);
    return err;
}

/* In-memory files have nothing to write back; a volume's reach the host's disk. */
SYSCALL_DEFINE1(fsync, int, fd)
{
    struct file *f = fd_get(fd);
    return f ? vfs_fsync(f, false) : -EBADF;
}

SYSCALL_DEFINE1(fdatasync, int, fd)
{
    struct file *f = fd_get(fd);
    return f ? vfs_fsync(f, true) : -EBADF;
}

SYSCALL_DEFINE0(sync)
{
    return 0;
}

SYSCALL_DEFINE1(syncfs, int, fd)
{
    return fd_get(fd) ? 0 : -EBADF;
}

/* ---- pipes ------------------------------------------------------------------ */

static long make_pipe(int *ufds, int flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK))
        return -EINVAL; /* O_DIRECT (packet mode) is not supported */
    if (!user_writable(ufds, 2 * sizeof(int)))
        return -EFAULT;
    struct file *rd, *wr;
    long err = vfs_pipe((flags & O_NONBLOCK) ? VFS_O_NONBLOCK : 0, &rd, &wr);
    if (err)
        return err;
    bool cloexec = flags & O_CLOEXEC;
    int rfd = fd_alloc(rd, 0, cloexec);
    if (rfd < 0) {
        file_put(rd);
        file_put(wr);
        return rfd;
    }
    int wfd = fd_alloc(wr, 0, cloexec);
    if (wfd < 0) {
        fd_close(rfd);
        file_put(wr);
        return wfd;
    }
    ufds[0] = rfd;
    ufds[1] = wfd;
    return 0;
}

SYSCALL_DEFINE1(pipe, int *, fds)
{
    return make_pipe(fds, 0);
}

SYSCALL_DEFINE2(pipe2, int *, fds, int, flags)
{
    return make_pipe(fds, flags);
}
