/* stat, lstat, fstat, newfstatat and statx: the VFS's stat in Linux's structures. */
#include "abi.h"
#include "errno.h"
#include "fd.h"
#include "fs.h"
#include "lib.h"
#include "mm.h"
#include "syscalls.h"
#include "vfs.h"

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

/* Linux's dev_t encoding: 12 bits of major, 20 of minor, interleaved. */
static uint64_t encode_dev(uint32_t major, uint32_t minor)
{
    return (minor & 0xff) | ((uint64_t)(major & 0xfff) << 8) | ((uint64_t)(minor & ~0xffu) << 12);
}

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
long stat_at(int dirfd, const char *upath, int flags, struct vfs_stat *vs)
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
    struct file *f = fd_get(fd);
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
