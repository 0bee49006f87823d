/*
 * The file calls databases use beside read and write: owners and times
 * (chown family, utimensat and its older forms), fallocate, fadvise64,
 * statfs and sync_file_range. On the in-memory files they do what one
 * root-owned process needs; on a volume they reach the host's file.
 */
#include "abi.h"
#include "errno.h"
#include "fd.h"
#include "fs.h"
#include "lib.h"
#include "mm.h"
#include "syscalls.h"
#include "vfs.h"

#define UTIME_NOW  ((1L << 30) - 1)
#define UTIME_OMIT ((1L << 30) - 2)
#define ST_RDONLY  1

#define FALLOC_FL_KEEP_SIZE 0x1

#define POSIX_FADV_NOREUSE 5 /* the last advice; 4 and 5 on x86_64 and aarch64 */

#define SYNC_FILE_RANGE_WAIT_BEFORE 1
#define SYNC_FILE_RANGE_WRITE       2
#define SYNC_FILE_RANGE_WAIT_AFTER  4

struct linux_statfs { /* the same on x86_64 and aarch64 */
    long f_type, f_bsize;
    unsigned long f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int f_fsid[2];
    long f_namelen, f_frsize, f_flags, f_spare[4];
};

struct linux_timeval {
    long tv_sec, tv_usec;
};

struct linux_utimbuf {
    long actime, modtime;
};

/* The inode dirfd/upath names; an empty or NULL path names dirfd itself
   when allow_fd (AT_EMPTY_PATH, futimens). */
static long inode_at(int dirfd, const char *upath, bool nofollow, bool allow_fd, struct inode **out)
{
    char *path = NULL;
    long n = upath ? path_get(upath, true, &path) : 0;
    if (n < 0)
        return n;
    long err;
    if (n == 0) {
        struct file *f = allow_fd ? fd_get(dirfd) : NULL;
        err = !allow_fd ? -ENOENT : f ? 0 : -EBADF;
        if (f)
            *out = f->inode;
    } else {
        struct inode *at;
        err = dirfd_base(dirfd, path, &at);
        if (!err)
            err = vfs_lookup(at, path, nofollow ? VFS_NOFOLLOW : 0, out);
    }
    kfree(path);
    return err;
}

/* ---- owners ------------------------------------------------------------------ */

static long chown_inode(struct inode *ip, unsigned uid, unsigned gid)
{
    struct vfs_attr a = {.uid = uid, .gid = gid};
    a.valid |= uid != (unsigned)-1 ? VFS_ATTR_UID : 0;
    a.valid |= gid != (unsigned)-1 ? VFS_ATTR_GID : 0;
    return a.valid ? vfs_setattr(ip, &a) : 0;
}

static long chown_at(int dirfd, const char *upath, unsigned uid, unsigned gid, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct inode *ip;
    long err = inode_at(dirfd, upath, flags & AT_SYMLINK_NOFOLLOW, flags & AT_EMPTY_PATH, &ip);
    return err ? err : chown_inode(ip, uid, gid);
}

SYSCALL_DEFINE5(fchownat, int, dirfd, const char *, path, unsigned int, uid, unsigned int, gid, int,
                flags)
{
    return chown_at(dirfd, path, uid, gid, flags);
}

SYSCALL_DEFINE3(chown, const char *, path, unsigned int, uid, unsigned int, gid)
{
    return chown_at(AT_FDCWD, path, uid, gid, 0);
}

SYSCALL_DEFINE3(lchown, const char *, path, unsigned int, uid, unsigned int, gid)
{
    return chown_at(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

SYSCALL_DEFINE3(fchown, int, fd, unsigned int, uid, unsigned int, gid)
{
    struct file *f = fd_get(fd);
    return f ? chown_inode(f->inode, uid, gid) : -EBADF;
}

/* ---- times ---------------------------------------------------------------------- */

/* One of utimensat's times: into *ns and the valid bit, or -EINVAL. */
static long time_arg(const struct linux_timespec *t, unsigned bit, uint64_t now, uint64_t *ns,
                     unsigned *valid)
{
    if (!t || t->tv_nsec == UTIME_NOW) {
        *ns = now;
        *valid |= bit;
    } else if (t->tv_nsec != UTIME_OMIT) {
        if (t->tv_nsec < 0 || t->tv_nsec >= 1000000000 || t->tv_sec < 0)
            return -EINVAL;
        *ns = (uint64_t)t->tv_sec * 1000000000 + (uint64_t)t->tv_nsec;
        *valid |= bit;
    }
    return 0;
}

/* Sets the times of what dirfd/path names from t[2] (a kernel copy; NULL:
   both now), as utimensat does; the older calls come through here too. */
static long set_times(int dirfd, const char *path, const struct linux_timespec *t, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct vfs_attr a = {0};
    uint64_t now = vfs_now_ns();
    long err = time_arg(t ? &t[0] : NULL, VFS_ATTR_ATIME, now, &a.atime_ns, &a.valid);
    if (!err)
        err = time_arg(t ? &t[1] : NULL, VFS_ATTR_MTIME, now, &a.mtime_ns, &a.valid);
    struct inode *ip;
    /* A NULL path names dirfd itself: futimens; Linux reads it as a name at AT_FDCWD. */
    if (!err && !path && dirfd == AT_FDCWD)
        err = -EFAULT;
    if (!err)
        err = inode_at(dirfd, path, flags & AT_SYMLINK_NOFOLLOW, !path || (flags & AT_EMPTY_PATH),
                       &ip);
    return err ? err : a.valid ? vfs_setattr(ip, &a) : 0;
}

SYSCALL_DEFINE4(utimensat, int, dirfd, const char *, path, const struct linux_timespec *, times,
                int, flags)
{
    struct linux_timespec t[2];
    if (times) {
        if (!user_readable(times, sizeof(t)))
            return -EFAULT;
        memcpy(t, times, sizeof(t));
    }
    return set_times(dirfd, path, times ? t : NULL, flags);
}

/* futimesat and utimes: microseconds, with no UTIME_NOW or UTIME_OMIT. */
static long set_times_us(int dirfd, const char *path, const struct linux_timeval *times)
{
    struct linux_timeval tv[2];
    struct linux_timespec t[2];
    if (times) {
        if (!user_readable(times, sizeof(tv)))
            return -EFAULT;
        memcpy(tv, times, sizeof(tv));
        for (int i = 0; i < 2; i++) {
            if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
                return -EINVAL;
            t[i] = (struct linux_timespec){.tv_sec = tv[i].tv_sec, .tv_nsec = tv[i].tv_usec * 1000};
        }
    }
    return set_times(dirfd, path, times ? t : NULL, 0);
}

SYSCALL_DEFINE3(futimesat, int, dirfd, const char *, path, const struct linux_timeval *, times)
{
    return set_times_us(dirfd, path, times);
}

SYSCALL_DEFINE2(utimes, const char *, path, const struct linux_timeval *, times)
{
    return set_times_us(AT_FDCWD, path, times);
}

/* utime: whole seconds. */
SYSCALL_DEFINE2(utime, const char *, path, const struct linux_utimbuf *, times)
{
    struct linux_timespec t[2];
    if (times) {
        if (!user_readable(times, sizeof(*times)))
            return -EFAULT;
        t[0] = (struct linux_timespec){.tv_sec = times->actime};
        t[1] = (struct linux_timespec){.tv_sec = times->modtime};
    }
    return set_times(AT_FDCWD, path, times ? t : NULL, 0);
}

/* ---- space and the file system ------------------------------------------------------- */

SYSCALL_DEFINE4(fallocate, int, fd, int, mode, off_t, offset, off_t, len)
{
    struct file *f = fd_get(fd);
    if (!f || (f->flags & VFS_O_PATH))
        return -EBADF;
    if (mode & ~FALLOC_FL_KEEP_SIZE)
        return -EOPNOTSUPP;
    if (offset < 0 || len <= 0)
        return -EINVAL;
    if (mode & FALLOC_FL_KEEP_SIZE)
        return (f->flags & VFS_O_WRITE) ? 0 : -EBADF;
    return vfs_fallocate(f, offset, len);
}

/* Advice is only a hint, and with no page cache there is nothing to act on:
   the call checks its arguments as Linux does and changes nothing. */
SYSCALL_DEFINE4(fadvise64, int, fd, off_t, offset, off_t, len, int, advice)
{
    (void)offset;
    struct file *f = fd_get(fd);
    if (!f || (f->flags & VFS_O_PATH))
        return -EBADF;
    if (vfs_is_pipe(f))
        return -ESPIPE; /* before the other checks, as Linux; sockets are accepted */
    if (len < 0 || advice < 0 || advice > POSIX_FADV_NOREUSE)
        return -EINVAL;
    return 0;
}

static long put_statfs(struct inode *ip, struct linux_statfs *ubuf)
{
    if (!user_writable(ubuf, sizeof(*ubuf)))
        return -EFAULT;
    struct vfs_statfs vs;
    vfs_statfs(ip, &vs);
    struct linux_statfs s = {
        .f_type = (long)vs.type,
        .f_bsize = (long)vs.bsize,
        .f_blocks = vs.blocks,
        .f_bfree = vs.bfree,
        .f_bavail = vs.bavail,
        .f_files = vs.files,
        .f_ffree = vs.ffree,
        .f_fsid = {(int)vs.fsid, (int)(vs.fsid >> 32)},
        .f_namelen = (long)vs.namelen,
        .f_frsize = (long)vs.bsize,
        .f_flags = vs.readonly ? ST_RDONLY : 0,
    };
    memcpy(ubuf, &s, sizeof(s));
    return 0;
}

SYSCALL_DEFINE2(statfs, const char *, path, struct linux_statfs *, buf)
{
    struct inode *ip;
    long err = inode_at(AT_FDCWD, path, false, false, &ip);
    return err ? err : put_statfs(ip, buf);
}

SYSCALL_DEFINE2(fstatfs, int, fd, struct linux_statfs *, buf)
{
    struct file *f = fd_get(fd);
    return f ? put_statfs(f->inode, buf) : -EBADF;
}

/* Without a page cache, writing the range out is syncing the file's data. */
SYSCALL_DEFINE4(sync_file_range, int, fd, off_t, offset, off_t, nbytes, unsigned int, flags)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    if (offset < 0 || nbytes < 0 ||
        (flags &
         ~(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)))
        return -EINVAL;
    return (flags & SYNC_FILE_RANGE_WRITE) ? vfs_fsync(f, true) : 0;
}
