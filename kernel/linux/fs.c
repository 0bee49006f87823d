/*
 * File-system system calls: Linux's flags, structures and error rules on
 * top of the VFS (vfs.h) and the descriptor table (fd.h).
 *
 * Every pointer from the program is checked before the kernel touches it,
 * and paths are copied in first, so a bad pointer is -EFAULT, never a fault.
 */
#include "abi.h"
#include "errno.h"
#include "fd.h"
#include "flock.h"
#include "lib.h"
#include "mm.h"
#include "proc.h"
#include "signal.h"
#include "syscalls.h"
#include "tty.h"
#include "vfs.h"

#define PROGRAM_PID 1 /* the one process (process.c) */

/* Linux never moves more than this in one call (INT_MAX rounded down to a page). */
#define MAX_RW_COUNT 0x7ffff000L
/* sendfile's bounce buffer: big enough that a large file goes to a socket
   in few writes (each one a full TCP send buffer), small enough to allocate. */
#define SENDFILE_CHUNK (64 * 1024)

#if defined(__aarch64__)
#define NR_FCNTL 25
#else
#define NR_FCNTL 72
#endif

/* ---- helpers ------------------------------------------------------------ */

/* Copies a user path into a fresh buffer; an empty path is -ENOENT unless allowed. */
static long path_get(const char *upath, bool allow_empty, char **out)
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
static long fd_inode(int fd, struct inode **out)
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
static long dirfd_base(int dirfd, const char *path, struct inode **at)
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
static long path_at(int dirfd, const char *upath, char **path, struct inode **at)
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

static struct file *file_of(int fd)
{
    return fd_get(fd);
}

/*
 * The descriptor an absolute path names, when it is one of the names of an
 * open descriptor: /dev/stdin, /dev/stdout, /dev/stderr, /dev/fd/N and
 * /proc/self/fd/N; -1 otherwise. On Linux these are symbolic links to
 * /proc/self/fd/N, whose own "magic" links lead to the open file; here
 * devfs makes the first links and open and stat recognise the names.
 */
static int fd_named_by(const char *path)
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

static uint32_t linux_type_bits(enum vfs_type type)
{
    switch (type) {
    case VFS_DIR:
        return S_IFDIR;
    case VFS_REG:
        return S_IFREG;
    case VFS_LNK:
        return S_IFLNK;
    case VFS_CHR:
        return S_IFCHR;
    case VFS_FIFO:
        return S_IFIFO;
    case VFS_SOCK:
        return S_IFSOCK;
    }
    return 0;
}

static uint8_t linux_dirent_type(enum vfs_type type)
{
    switch (type) {
    case VFS_DIR:
        return DT_DIR;
    case VFS_REG:
        return DT_REG;
    case VFS_LNK:
        return DT_LNK;
    case VFS_CHR:
        return DT_CHR;
    case VFS_FIFO:
        return DT_FIFO;
    case VFS_SOCK:
        return DT_SOCK;
    }
    return DT_UNKNOWN;
}

/* Linux's dev_t encoding: 12 bits of major, 20 of minor, interleaved. */
static uint64_t encode_dev(uint32_t major, uint32_t minor)
{
    return (minor & 0xff) | ((uint64_t)(major & 0xfff) << 8) | ((uint64_t)(minor & ~0xffu) << 12);
}

/* ---- read and write --------------------------------------------------------- */

SYSCALL_DEFINE3(read, int, fd, void *, buf, size_t, count)
{
    struct file *f = file_of(fd);
    if (!f || !(f->flags & VFS_O_READ))
        return -EBADF;
    count = MIN(count, (size_t)MAX_RW_COUNT);
    if (count && !user_writable(buf, count))
        return -EFAULT;
    return vfs_read(f, buf, count);
}

/* A write to a pipe or socket whose reader is gone raises SIGPIPE in the
 * writing thread, as on Linux (a program that ignores it sees EPIPE). */
static long pipe_broken(long rc)
{
    if (rc == -EPIPE)
        proc_signal_self(SIGPIPE);
    return rc;
}

SYSCALL_DEFINE3(write, int, fd, const void *, buf, size_t, count)
{
    struct file *f = file_of(fd);
    if (!f || !(f->flags & VFS_O_WRITE))
        return -EBADF;
    count = MIN(count, (size_t)MAX_RW_COUNT);
    if (count && !user_readable(buf, count))
        return -EFAULT;
    return pipe_broken(vfs_write(f, buf, count));
}

SYSCALL_DEFINE4(pread64, int, fd, void *, buf, size_t, count, off_t, pos)
{
    struct file *f = file_of(fd);
    if (!f || !(f->flags & VFS_O_READ))
        return -EBADF;
    if (pos < 0)
        return -EINVAL;
    count = MIN(count, (size_t)MAX_RW_COUNT);
    if (count && !user_writable(buf, count))
        return -EFAULT;
    return vfs_pread(f, buf, count, pos);
}

SYSCALL_DEFINE4(pwrite64, int, fd, const void *, buf, size_t, count, off_t, pos)
{
    struct file *f = file_of(fd);
    if (!f || !(f->flags & VFS_O_WRITE))
        return -EBADF;
    if (pos < 0)
        return -EINVAL;
    count = MIN(count, (size_t)MAX_RW_COUNT);
    if (count && !user_readable(buf, count))
        return -EFAULT;
    return vfs_pwrite(f, buf, count, pos);
}

/* Checks the whole vector before any transfer, as Linux does. */
static long check_iov(const struct linux_iovec *iov, int iovcnt, bool to_user)
{
    if (iovcnt < 0 || iovcnt > UIO_MAXIOV)
        return -EINVAL;
    if (iovcnt && !user_readable(iov, (size_t)iovcnt * sizeof(*iov)))
        return -EFAULT;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        struct linux_iovec v = iov[i];
        if (v.iov_len > (size_t)INT64_MAX - total)
            return -EINVAL;
        total += v.iov_len;
        if (!v.iov_len)
            continue;
        if (to_user ? !user_writable(v.iov_base, v.iov_len) : !user_readable(v.iov_base, v.iov_len))
            return -EFAULT;
    }
    return 0;
}

/* readv/writev and their positioned forms; pos -1 means the file position. */
static long rw_iov(int fd, const struct linux_iovec *iov, int iovcnt, off_t pos, bool write)
{
    struct file *f = file_of(fd);
    if (!f || !(f->flags & (write ? VFS_O_WRITE : VFS_O_READ)))
        return -EBADF;
    long err = check_iov(iov, iovcnt, !write);
    if (err)
        return err;
    long total = 0;
    for (int i = 0; i < iovcnt && total < MAX_RW_COUNT; i++) {
        struct linux_iovec v = iov[i];
        size_t len = MIN(v.iov_len, (size_t)(MAX_RW_COUNT - total));
        if (!len)
            continue;
        ssize_t n;
        if (pos < 0)
            n = write ? vfs_write(f, v.iov_base, len) : vfs_read(f, v.iov_base, len);
        else
            n = write ? vfs_pwrite(f, v.iov_base, len, pos + total)
                      : vfs_pread(f, v.iov_base, len, pos + total);
        if (n < 0)
            return total ? total : n;
        total += n;
        if ((size_t)n < len)
            break;
    }
    return total;
}

SYSCALL_DEFINE3(readv, int, fd, const struct linux_iovec *, iov, int, iovcnt)
{
    return rw_iov(fd, iov, iovcnt, -1, false);
}

SYSCALL_DEFINE3(writev, int, fd, const struct linux_iovec *, iov, int, iovcnt)
{
    return pipe_broken(rw_iov(fd, iov, iovcnt, -1, true));
}

static long positioned_iov(int fd, const struct linux_iovec *iov, int iovcnt, off_t pos, bool write)
{
    struct file *f = file_of(fd);
    if (f && !f->ops->lseek)
        return -ESPIPE;
    if (pos < 0)
        return -EINVAL;
    return rw_iov(fd, iov, iovcnt, pos, write);
}

/* On 64-bit architectures the offset comes whole in the low half. */
SYSCALL_DEFINE5(preadv, int, fd, const struct linux_iovec *, iov, int, iovcnt, off_t, pos_l, long,
                pos_h)
{
    (void)pos_h;
    return positioned_iov(fd, iov, iovcnt, pos_l, false);
}

SYSCALL_DEFINE5(pwritev, int, fd, const struct linux_iovec *, iov, int, iovcnt, off_t, pos_l, long,
                pos_h)
{
    (void)pos_h;
    return positioned_iov(fd, iov, iovcnt, pos_l, true);
}

SYSCALL_DEFINE6(preadv2, int, fd, const struct linux_iovec *, iov, int, iovcnt, off_t, pos_l, long,
                pos_h, int, flags)
{
    (void)pos_h;
    if (flags)
        return -EOPNOTSUPP;
    return pos_l == -1 ? rw_iov(fd, iov, iovcnt, -1, false)
                       : positioned_iov(fd, iov, iovcnt, pos_l, false);
}

SYSCALL_DEFINE6(pwritev2, int, fd, const struct linux_iovec *, iov, int, iovcnt, off_t, pos_l, long,
                pos_h, int, flags)
{
    (void)pos_h;
    if (flags)
        return -EOPNOTSUPP;
    return pos_l == -1 ? rw_iov(fd, iov, iovcnt, -1, true)
                       : positioned_iov(fd, iov, iovcnt, pos_l, true);
}

SYSCALL_DEFINE3(lseek, int, fd, off_t, offset, int, whence)
{
    struct file *f = file_of(fd);
    if (!f)
        return -EBADF;
    if (f->flags & VFS_O_PATH)
        return -EBADF;
    if (!f->ops->lseek)
        return -ESPIPE;
    if (whence < SEEK_SET || whence > SEEK_HOLE)
        return -EINVAL;
    return vfs_lseek(f, offset, whence);
}

SYSCALL_DEFINE4(sendfile, int, out_fd, int, in_fd, off_t *, offset, size_t, count)
{
    struct file *in = file_of(in_fd), *out = file_of(out_fd);
    if (!in || !out || !(in->flags & VFS_O_READ) || !(out->flags & VFS_O_WRITE))
        return -EBADF;
    off_t pos = -1;
    if (offset) {
        if (!user_readable(offset, sizeof(*offset)) || !user_writable(offset, sizeof(*offset)))
            return -EFAULT;
        pos = *offset;
        if (pos < 0)
            return -EINVAL;
        if (!in->ops->lseek)
            return -ESPIPE;
    }
    if ((out->flags & VFS_O_APPEND) && out->inode->type == VFS_REG)
        return -EINVAL; /* as Linux: the copy would not land where it says */
    count = MIN(count, (size_t)MAX_RW_COUNT);
    size_t chunk = MIN(count, (size_t)SENDFILE_CHUNK);
    char *buf = chunk ? kmalloc(chunk) : NULL;
    if (chunk && !buf)
        return -ENOMEM;
    long done = 0, err = 0;
    while ((size_t)done < count) {
        size_t want = MIN(chunk, count - (size_t)done);
        ssize_t n = pos < 0 ? vfs_read(in, buf, want) : vfs_pread(in, buf, want, pos + done);
        if (n <= 0) {
            err = n;
            break;
        }
        ssize_t w = vfs_write(out, buf, (size_t)n);
        if (w < 0) {
            err = w;
            w = 0;
        }
        if (w < n && pos < 0 && in->ops->lseek)
            in->offset -= n - w; /* give back what was read but not written */
        done += w;
        if (w < n)
            break;
    }
    kfree(buf);
    if (offset)
        *offset = pos + done;
    return done ? done : err;
}

/* ---- open and close ---------------------------------------------------------- */

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

/* ---- stat ------------------------------------------------------------------------ */

static void to_linux_stat(const struct vfs_stat *vs, struct linux_stat *ls)
{
    memset(ls, 0, sizeof(*ls));
    ls->st_dev = vs->dev;
    ls->st_ino = vs->ino;
    ls->st_nlink = vs->nlink;
    ls->st_mode = linux_type_bits(vs->type) | vs->mode;
    ls->st_rdev = encode_dev(vs->rdev_major, vs->rdev_minor);
    ls->st_size = (int64_t)vs->size;
    ls->st_blksize = vs->blksize;
    ls->st_blocks = (int64_t)vs->blocks;
    ls->st_atime_sec = vs->atime_ns / 1000000000;
    ls->st_atime_nsec = vs->atime_ns % 1000000000;
    ls->st_mtime_sec = vs->mtime_ns / 1000000000;
    ls->st_mtime_nsec = vs->mtime_ns % 1000000000;
    ls->st_ctime_sec = vs->ctime_ns / 1000000000;
    ls->st_ctime_nsec = vs->ctime_ns % 1000000000;
}

static long put_stat(const struct vfs_stat *vs, struct linux_stat *ubuf)
{
    struct linux_stat ls;
    if (!user_writable(ubuf, sizeof(ls)))
        return -EFAULT;
    to_linux_stat(vs, &ls);
    memcpy(ubuf, &ls, sizeof(ls));
    return 0;
}

/* The stat of dirfd/path, with AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW. */
static long stat_at(int dirfd, const char *upath, int flags, struct vfs_stat *vs)
{
    char *path;
    long n = path_get(upath, flags & AT_EMPTY_PATH, &path);
    if (n < 0)
        return n;
    struct inode *ip;
    long err = 0;
    if (n == 0) {
        err = fd_inode(dirfd, &ip);
        if (!err)
            vfs_stat_inode(ip, vs);
    } else {
        struct inode *at;
        err = dirfd_base(dirfd, path, &at);
        int named = path[0] == '/' && !(flags & AT_SYMLINK_NOFOLLOW) ? fd_named_by(path) : -1;
        if (!err && named >= 0) {
            err = fd_inode(named, &ip) ? -ENOENT : 0;
            if (!err)
                vfs_stat_inode(ip, vs);
        } else if (!err) {
            err = vfs_stat(at, path, (flags & AT_SYMLINK_NOFOLLOW) ? VFS_NOFOLLOW : 0, vs);
        }
    }
    kfree(path);
    return err;
}

SYSCALL_DEFINE2(fstat, int, fd, struct linux_stat *, buf)
{
    struct file *f = file_of(fd);
    if (!f)
        return -EBADF;
    struct vfs_stat vs;
    vfs_stat_inode(f->inode, &vs);
    return put_stat(&vs, buf);
}

SYSCALL_DEFINE2(stat, const char *, path, struct linux_stat *, buf)
{
    struct vfs_stat vs;
    long err = stat_at(AT_FDCWD, path, 0, &vs);
    return err ? err : put_stat(&vs, buf);
}

SYSCALL_DEFINE2(lstat, const char *, path, struct linux_stat *, buf)
{
    struct vfs_stat vs;
    long err = stat_at(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, &vs);
    return err ? err : put_stat(&vs, buf);
}

SYSCALL_DEFINE4(newfstatat, int, dirfd, const char *, path, struct linux_stat *, buf, int, flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
        return -EINVAL;
    struct vfs_stat vs;
    long err = stat_at(dirfd, path, flags, &vs);
    return err ? err : put_stat(&vs, buf);
}

static struct linux_statx_timestamp statx_time(uint64_t ns)
{
    struct linux_statx_timestamp t = {
        .tv_sec = (int64_t)(ns / 1000000000),
        .tv_nsec = (uint32_t)(ns % 1000000000),
    };
    return t;
}

SYSCALL_DEFINE5(statx, int, dirfd, const char *, path, int, flags, unsigned int, mask,
                struct linux_statx *, buf)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if (mask & STATX__RESERVED || (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
        return -EINVAL;
    struct vfs_stat vs;
    long err;
    if (!path && (flags & AT_EMPTY_PATH)) { /* Linux 6.11 allows NULL for "" */
        struct inode *ip;
        err = fd_inode(dirfd, &ip);
        if (!err)
            vfs_stat_inode(ip, &vs);
    } else {
        err = stat_at(dirfd, path, flags, &vs);
    }
    if (err)
        return err;
    struct linux_statx sx;
    if (!user_writable(buf, sizeof(sx)))
        return -EFAULT;
    memset(&sx, 0, sizeof(sx));
    sx.stx_mask = STATX_BASIC_STATS;
    sx.stx_blksize = vs.blksize;
    sx.stx_nlink = vs.nlink;
    sx.stx_mode = (uint16_t)(linux_type_bits(vs.type) | vs.mode);
    sx.stx_ino = vs.ino;
    sx.stx_size = vs.size;
    sx.stx_blocks = vs.blocks;
    sx.stx_atime = statx_time(vs.atime_ns);
    sx.stx_mtime = statx_time(vs.mtime_ns);
    sx.stx_ctime = statx_time(vs.ctime_ns);
    sx.stx_rdev_major = vs.rdev_major;
    sx.stx_rdev_minor = vs.rdev_minor;
    sx.stx_dev_major = (uint32_t)(vs.dev >> 8);
    sx.stx_dev_minor = (uint32_t)(vs.dev & 0xff);
    memcpy(buf, &sx, sizeof(sx));
    return 0;
}

/* ---- directories ---------------------------------------------------------------- */

struct dirent_buf {
    char *buf; /* the user's buffer, already checked */
    size_t size, used;
    bool full; /* an entry did not fit */
};

static int fill_dirent64(void *ctx, const char *name, size_t len, uint64_t ino, enum vfs_type type,
                         off_t next)
{
    struct dirent_buf *db = ctx;
    size_t head = offsetof(struct linux_dirent64, d_name);
    size_t reclen = ALIGN_UP(head + len + 1, 8);
    if (reclen > db->size - db->used) {
        db->full = true;
        return 1;
    }
    struct linux_dirent64 d = {
        .d_ino = ino,
        .d_off = next,
        .d_reclen = (uint16_t)reclen,
        .d_type = linux_dirent_type(type),
    };
    char *p = db->buf + db->used;
    memcpy(p, &d, head);
    memcpy(p + head, name, len);
    memset(p + head + len, 0, reclen - head - len);
    db->used += reclen;
    return 0;
}

/* Resumable: the directory position stays in the file offset between calls. */
SYSCALL_DEFINE3(getdents64, int, fd, void *, dirp, unsigned int, count)
{
    struct file *f = file_of(fd);
    if (!f || (f->flags & VFS_O_PATH))
        return -EBADF;
    if (f->inode->type != VFS_DIR)
        return -ENOTDIR;
    if (!user_writable(dirp, count))
        return -EFAULT;
    struct dirent_buf db = {.buf = dirp, .size = count};
    int n = vfs_readdir(f, fill_dirent64, &db);
    if (n < 0)
        return n;
    if (db.used == 0 && db.full)
        return -EINVAL; /* not even one entry fits */
    return (long)db.used;
}

SYSCALL_DEFINE2(getcwd, char *, buf, size_t, size)
{
    char *k = kmalloc(PATH_MAX_LINUX);
    if (!k)
        return -ENOMEM;
    ssize_t n = vfs_getcwd(k, MIN(size, (size_t)PATH_MAX_LINUX));
    if (n > 0) {
        if (user_writable(buf, (size_t)n))
            memcpy(buf, k, (size_t)n);
        else
            n = -EFAULT;
    }
    kfree(k);
    return n;
}

SYSCALL_DEFINE1(chdir, const char *, upath)
{
    char *path;
    long err = path_get(upath, false, &path);
    if (err < 0)
        return err;
    err = vfs_chdir(NULL, path);
    kfree(path);
    return err;
}

SYSCALL_DEFINE1(fchdir, int, fd)
{
    struct file *f = file_of(fd);
    return f ? vfs_fchdir(f->inode) : -EBADF;
}

static long mkdir_at(int dirfd, const char *upath, unsigned mode)
{
    char *path;
    struct inode *at;
    long err = path_at(dirfd, upath, &path, &at);
    if (err)
        return err;
    err = vfs_mkdir(at, path, mode);
    kfree(path);
    return err;
}

SYSCALL_DEFINE2(mkdir, const char *, path, unsigned int, mode)
{
    return mkdir_at(AT_FDCWD, path, mode);
}

SYSCALL_DEFINE3(mkdirat, int, dirfd, const char *, path, unsigned int, mode)
{
    return mkdir_at(dirfd, path, mode);
}

static long unlink_at(int dirfd, const char *upath, int flags)
{
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    char *path;
    struct inode *at;
    long err = path_at(dirfd, upath, &path, &at);
    if (err)
        return err;
    err = (flags & AT_REMOVEDIR) ? vfs_rmdir(at, path) : vfs_unlink(at, path);
    kfree(path);
    return err;
}

SYSCALL_DEFINE1(rmdir, const char *, path)
{
    return unlink_at(AT_FDCWD, path, AT_REMOVEDIR);
}

SYSCALL_DEFINE1(unlink, const char *, path)
{
    return unlink_at(AT_FDCWD, path, 0);
}

SYSCALL_DEFINE3(unlinkat, int, dirfd, const char *, path, int, flags)
{
    return unlink_at(dirfd, path, flags);
}

/* Two paths: what rename and link share. */
static long two_paths(int odirfd, const char *uold, int ndirfd, const char *unew, char **oldp,
                      struct inode **oat, char **newp, struct inode **nat)
{
    long err = path_at(odirfd, uold, oldp, oat);
    if (err)
        return err;
    err = path_at(ndirfd, unew, newp, nat);
    if (err)
        kfree(*oldp);
    return err;
}

static long rename_at(int odirfd, const char *uold, int ndirfd, const char *unew, unsigned flags)
{
    if (flags & ~RENAME_NOREPLACE)
        return -EINVAL; /* RENAME_EXCHANGE and RENAME_WHITEOUT are not supported */
    char *oldp, *newp;
    struct inode *oat, *nat;
    long err = two_paths(odirfd, uold, ndirfd, unew, &oldp, &oat, &newp, &nat);
    if (err)
        return err;
    err = vfs_rename(oat, oldp, nat, newp, (flags & RENAME_NOREPLACE) ? VFS_RENAME_NOREPLACE : 0);
    kfree(oldp);
    kfree(newp);
    return err;
}

SYSCALL_DEFINE2(rename, const char *, oldpath, const char *, newpath)
{
    return rename_at(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

SYSCALL_DEFINE4(renameat, int, olddirfd, const char *, oldpath, int, newdirfd, const char *,
                newpath)
{
    return rename_at(olddirfd, oldpath, newdirfd, newpath, 0);
}

SYSCALL_DEFINE5(renameat2, int, olddirfd, const char *, oldpath, int, newdirfd, const char *,
                newpath, unsigned int, flags)
{
    return rename_at(olddirfd, oldpath, newdirfd, newpath, flags);
}

static long link_at(int odirfd, const char *uold, int ndirfd, const char *unew, int flags)
{
    if (flags & ~AT_SYMLINK_FOLLOW)
        return -EINVAL;
    char *oldp, *newp;
    struct inode *oat, *nat;
    long err = two_paths(odirfd, uold, ndirfd, unew, &oldp, &oat, &newp, &nat);
    if (err)
        return err;
    err = vfs_link(oat, oldp, nat, newp, (flags & AT_SYMLINK_FOLLOW) ? 0 : VFS_NOFOLLOW);
    kfree(oldp);
    kfree(newp);
    return err;
}

SYSCALL_DEFINE2(link, const char *, oldpath, const char *, newpath)
{
    return link_at(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0);
}

SYSCALL_DEFINE5(linkat, int, olddirfd, const char *, oldpath, int, newdirfd, const char *, newpath,
                int, flags)
{
    return link_at(olddirfd, oldpath, newdirfd, newpath, flags);
}

static long symlink_at(const char *utarget, int dirfd, const char *upath)
{
    char *target;
    long err = path_get(utarget, false, &target);
    if (err < 0)
        return err;
    char *path;
    struct inode *at;
    err = path_at(dirfd, upath, &path, &at);
    if (!err) {
        err = vfs_symlink(target, at, path);
        kfree(path);
    }
    kfree(target);
    return err;
}

SYSCALL_DEFINE2(symlink, const char *, target, const char *, linkpath)
{
    return symlink_at(target, AT_FDCWD, linkpath);
}

SYSCALL_DEFINE3(symlinkat, const char *, target, int, dirfd, const char *, linkpath)
{
    return symlink_at(target, dirfd, linkpath);
}

static long readlink_at(int dirfd, const char *upath, char *ubuf, int bufsiz)
{
    if (bufsiz <= 0)
        return -EINVAL;
    char *path;
    struct inode *at;
    long err = path_at(dirfd, upath, &path, &at);
    if (err)
        return err;
    size_t size = MIN((size_t)bufsiz, (size_t)PATH_MAX_LINUX);
    char *k = kmalloc(size);
    ssize_t n = k ? vfs_readlink(at, path, k, size) : -ENOMEM;
    if (n > 0) {
        if (user_writable(ubuf, (size_t)n))
            memcpy(ubuf, k, (size_t)n);
        else
            n = -EFAULT;
    }
    kfree(k);
    kfree(path);
    return n;
}

SYSCALL_DEFINE3(readlink, const char *, path, char *, buf, int, bufsiz)
{
    return readlink_at(AT_FDCWD, path, buf, bufsiz);
}

SYSCALL_DEFINE4(readlinkat, int, dirfd, const char *, path, char *, buf, int, bufsiz)
{
    return readlink_at(dirfd, path, buf, bufsiz);
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
    struct file *f = file_of(fd);
    if (!f || (f->flags & VFS_O_PATH))
        return -EBADF;
    return vfs_chmod_inode(f->inode, mode);
}

SYSCALL_DEFINE2(ftruncate, int, fd, off_t, length)
{
    struct file *f = file_of(fd);
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
    struct file *f = file_of(fd);
    return f ? vfs_fsync(f, false) : -EBADF;
}

SYSCALL_DEFINE1(fdatasync, int, fd)
{
    struct file *f = file_of(fd);
    return f ? vfs_fsync(f, true) : -EBADF;
}

SYSCALL_DEFINE0(sync)
{
    return 0;
}

SYSCALL_DEFINE1(syncfs, int, fd)
{
    return file_of(fd) ? 0 : -EBADF;
}

/* ---- descriptors ------------------------------------------------------------------- */

static long dup_from(int oldfd, int min, bool cloexec)
{
    struct file *f = file_of(oldfd);
    if (!f)
        return -EBADF;
    file_get(f);
    int fd = fd_alloc(f, min, cloexec);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYSCALL_DEFINE1(dup, int, oldfd)
{
    return dup_from(oldfd, 0, false);
}

SYSCALL_DEFINE2(dup2, int, oldfd, int, newfd)
{
    if (oldfd == newfd)
        return file_of(oldfd) ? newfd : -EBADF;
    return fd_dup_to(oldfd, newfd, false);
}

SYSCALL_DEFINE3(dup3, int, oldfd, int, newfd, int, flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (oldfd == newfd)
        return -EINVAL;
    return fd_dup_to(oldfd, newfd, flags & O_CLOEXEC);
}

static long getfl(struct file *f)
{
    long fl;
    if (f->flags & VFS_O_PATH)
        return O_PATH;
    if ((f->flags & VFS_O_READ) && (f->flags & VFS_O_WRITE))
        fl = O_RDWR;
    else if (f->flags & VFS_O_WRITE)
        fl = O_WRONLY;
    else
        fl = O_RDONLY;
    fl |= (f->flags & VFS_O_APPEND) ? O_APPEND : 0;
    fl |= (f->flags & VFS_O_NONBLOCK) ? O_NONBLOCK : 0;
    fl |= (f->flags & VFS_O_SYNC) ? O_SYNC : 0;
    fl |= (f->flags & VFS_O_DIRECT) ? O_DIRECT : 0;
    return fl;
}

/* As Linux's: O_APPEND, O_NONBLOCK and O_DIRECT change; the rest is ignored. */
static long setfl(struct file *f, long arg)
{
    unsigned keep = f->flags & ~(unsigned)(VFS_O_APPEND | VFS_O_NONBLOCK | VFS_O_DIRECT);
    f->flags = keep | ((arg & O_APPEND) ? VFS_O_APPEND : 0) |
               ((arg & O_NONBLOCK) ? VFS_O_NONBLOCK : 0) | ((arg & O_DIRECT) ? VFS_O_DIRECT : 0);
    return 0;
}

/* Where a struct flock's range starts counting from (l_whence). */
static long lock_base(struct file *f, int whence, int64_t *base)
{
    struct vfs_stat st;
    switch (whence) {
    case SEEK_SET:
        *base = 0;
        return 0;
    case SEEK_CUR:
        *base = f->offset;
        return 0;
    case SEEK_END:
        vfs_stat_inode(f->inode, &st); /* a volume's file may have grown on the host */
        *base = (int64_t)st.size;
        return 0;
    default:
        return -EINVAL;
    }
}

/* The bytes a struct flock names, as Linux reads them: l_len 0 reaches
   any end of file, a negative l_len ends just before l_start. */
static long lock_range_of(struct file *f, const struct linux_flock *fl, struct lock_range *r)
{
    int64_t base;
    long err = lock_base(f, fl->l_whence, &base);
    if (err)
        return err;
    if (fl->l_start > LOCK_OFFSET_MAX - base)
        return -EOVERFLOW;
    r->start = base + fl->l_start;
    if (r->start < 0)
        return -EINVAL;
    if (fl->l_len > 0) {
        if (fl->l_len - 1 > LOCK_OFFSET_MAX - r->start)
            return -EOVERFLOW;
        r->end = r->start + fl->l_len - 1;
    } else if (fl->l_len < 0) {
        if (r->start + fl->l_len < 0)
            return -EINVAL;
        r->end = r->start - 1;
        r->start += fl->l_len;
    } else {
        r->end = LOCK_OFFSET_MAX;
    }
    return 0;
}

static enum lock_type lock_type_of(int16_t l_type)
{
    return l_type == F_RDLCK ? LOCK_READ : l_type == F_WRLCK ? LOCK_WRITE : LOCK_NONE;
}

static bool is_ofd_cmd(int cmd)
{
    return cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
}

/* A struct flock read from the program and checked as Linux checks it. */
static long lock_request(struct file *f, int cmd, const struct linux_flock *fl,
                         struct lock_range *r)
{
    bool getlk = cmd == F_GETLK || cmd == F_OFD_GETLK;
    if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && (getlk || fl->l_type != F_UNLCK))
        return -EINVAL;
    long err = lock_range_of(f, fl, r);
    if (err)
        return err;
    r->type = lock_type_of(fl->l_type);
    if (!getlk && ((r->type == LOCK_READ && !(f->flags & VFS_O_READ)) ||
                   (r->type == LOCK_WRITE && !(f->flags & VFS_O_WRITE))))
        return -EBADF;
    if (is_ofd_cmd(cmd) && fl->l_pid != 0)
        return -EINVAL;
    r->ofd = is_ofd_cmd(cmd) ? f : NULL;
    return 0;
}

/* F_GETLK's answer: the lock in the way, or l_type F_UNLCK alone. */
static void lock_report(const struct lock_range *r, struct linux_flock *fl)
{
    if (r->type == LOCK_NONE) {
        fl->l_type = F_UNLCK;
        return;
    }
    fl->l_type = r->type == LOCK_READ ? F_RDLCK : F_WRLCK;
    fl->l_whence = SEEK_SET;
    fl->l_start = r->start;
    fl->l_len = r->end == LOCK_OFFSET_MAX ? 0 : r->end - r->start + 1;
    fl->l_pid = r->ofd ? -1 : PROGRAM_PID;
}

/* Record locks (flock.h): POSIX ones owned by the process, OFD ones by f. */
/*
 * F_SETLK(W): the file is held across a wait, which another thread's close
 * must not free; a POSIX lock won after that close is dropped again and
 * the answer is EBADF, as Linux does, since the close could not drop it.
 */
static long lock_set_held(int fd, struct file *f, const struct lock_range *r, bool wait)
{
    file_get(f);
    long err = lock_set(f->inode, r, wait);
    if (err == 0 && !r->ofd && r->type != LOCK_NONE && fd_get(fd) != f) {
        struct lock_range undo = *r;
        undo.type = LOCK_NONE;
        lock_set(f->inode, &undo, false);
        err = -EBADF;
    }
    file_put(f);
    return err == -ENOMEM ? -ENOLCK : err;
}

static long lock_cmd(int fd, struct file *f, int cmd, struct linux_flock *ufl)
{
    if (f->flags & VFS_O_PATH)
        return -EBADF;
    if (!user_readable(ufl, sizeof(*ufl)))
        return -EFAULT;
    struct linux_flock fl;
    memcpy(&fl, ufl, sizeof(fl));
    struct lock_range r;
    long err = lock_request(f, cmd, &fl, &r);
    if (err)
        return err;
    if (cmd == F_SETLK || cmd == F_OFD_SETLK || cmd == F_SETLKW || cmd == F_OFD_SETLKW)
        return lock_set_held(fd, f, &r, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
    if (!user_writable(ufl, sizeof(*ufl)))
        return -EFAULT;
    lock_test(f->inode, &r);
    lock_report(&r, &fl);
    memcpy(ufl, &fl, sizeof(fl));
    return 0;
}

/* Linux's commands left out here (owners, signals, leases, notify, seals), by name. */
static const char *fcntl_unimplemented(int cmd)
{
    switch (cmd) {
    case 8:
        return "F_SETOWN";
    case 9:
        return "F_GETOWN";
    case 10:
        return "F_SETSIG";
    case 11:
        return "F_GETSIG";
    case 15:
        return "F_SETOWN_EX";
    case 16:
        return "F_GETOWN_EX";
    case 1024:
        return "F_SETLEASE";
    case 1025:
        return "F_GETLEASE";
    case 1026:
        return "F_NOTIFY";
    case 1029:
        return "F_CANCELLK";
    case 1033:
        return "F_ADD_SEALS";
    case 1034:
        return "F_GET_SEALS";
    default:
        return NULL;
    }
}

/* Once per command, naming it: a program may try several. */
static void fcntl_warn(int cmd, const char *name)
{
    static uint32_t warned;
    unsigned bit = cmd >= 1024 ? (unsigned)(cmd - 1024 + 16) : (unsigned)cmd;
    if (bit < 32 && (warned & (1u << bit)))
        return;
    if (bit < 32)
        warned |= 1u << bit;
    kprintf("unikit: warning: fcntl (system call %d) command %s (%d) is not implemented; "
            "returning EINVAL\n",
            NR_FCNTL, name, cmd);
}

/* F_SETPIPE_SZ: a power of two of at least a page, as Linux rounds it. */
static long set_pipe_size(struct file *f, unsigned long arg)
{
    if (!vfs_is_pipe(f))
        return -EBADF;   /* as Linux */
    arg = (unsigned)arg; /* Linux reads an unsigned int */
    if (arg > PIPE_MAX_SIZE)
        return -EPERM; /* beyond pipe-max-size, which a guest cannot raise */
    size_t size = PAGE_SIZE;
    while (size < arg)
        size *= 2;
    return vfs_pipe_set_size(f, size);
}

SYSCALL_DEFINE3(fcntl, int, fd, int, cmd, unsigned long, arg)
{
    struct file *f = file_of(fd);
    if (!f)
        return -EBADF;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg >= (unsigned long)fd_limit())
            return -EINVAL;
        return dup_from(fd, (int)arg, cmd == F_DUPFD_CLOEXEC);
    case F_GETFD:
        return fd_get_cloexec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
        return fd_set_cloexec(fd, arg & FD_CLOEXEC);
    case F_GETFL:
        return getfl(f);
    case F_SETFL:
        return setfl(f, (long)arg);
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        return lock_cmd(fd, f, cmd, (struct linux_flock *)arg);
    case F_GETPIPE_SZ:
        return vfs_is_pipe(f) ? (long)vfs_pipe_size(f) : -EBADF; /* as Linux */
    case F_SETPIPE_SZ:
        return set_pipe_size(f, arg);
    default: {
        const char *name = fcntl_unimplemented(cmd);
        if (name)
            fcntl_warn(cmd, name);
        return -EINVAL; /* what Linux says to a command it does not know */
    }
    }
}

/* flock(2) operations */
#define LOCK_SH   1
#define LOCK_EX   2
#define LOCK_NB   4
#define LOCK_UN   8
#define LOCK_MAND 32

/* flock(2): a whole-file lock owned by the open file (flock.h). */
SYSCALL_DEFINE2(flock, int, fd, unsigned, op)
{
    if (op & LOCK_MAND)
        return 0; /* Linux ignores these broken "mandatory" locks */
    unsigned what = op & ~(unsigned)LOCK_NB;
    if (what != LOCK_SH && what != LOCK_EX && what != LOCK_UN)
        return -EINVAL;
    struct file *f = file_of(fd);
    if (!f || (f->flags & VFS_O_PATH))
        return -EBADF;
    enum lock_type type = what == LOCK_SH ? LOCK_READ : what == LOCK_EX ? LOCK_WRITE : LOCK_NONE;
    file_get(f); /* a close by another thread during the wait must not free it */
    long err = flock_set(f, type, !(op & LOCK_NB));
    file_put(f);
    return err;
}

SYSCALL_DEFINE3(ioctl, int, fd, unsigned int, cmd, unsigned long, arg)
{
    struct file *f = file_of(fd);
    if (!f || (f->flags & VFS_O_PATH))
        return -EBADF;
    int *iarg = (int *)arg;
    switch (cmd) {
    case FIONBIO:
        if (!user_readable(iarg, sizeof(int)))
            return -EFAULT;
        f->flags = *iarg ? f->flags | VFS_O_NONBLOCK : f->flags & ~(unsigned)VFS_O_NONBLOCK;
        return 0;
    case FIOCLEX:
    case FIONCLEX:
        return fd_set_cloexec(fd, cmd == FIOCLEX);
    case FIONREAD: {
        ssize_t n = vfs_nread(f);
        if (n < 0)
            return n;
        if (!user_writable(iarg, sizeof(int)))
            return -EFAULT;
        *iarg = (int)MIN(n, (ssize_t)0x7fffffff);
        return 0;
    }
    default:
        /*
         * Only the terminal of run -t answers TCGETS, TIOCGWINSZ...: the
         * streams are plain byte streams, as a docker container's without -t.
         */
        return tty_is(f) ? tty_ioctl(cmd, arg) : -ENOTTY;
    }
}

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
