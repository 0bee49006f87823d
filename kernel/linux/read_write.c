/* Reading and writing: read, write, their positioned and vector forms, lseek, sendfile. */
#include "abi.h"
#include "errno.h"
#include "fd.h"
#include "fs.h"
#include "lib.h"
#include "mm.h"
#include "proc.h"
#include "signal.h"
#include "syscalls.h"
#include "vfs.h"

/* Linux never moves more than this in one call (INT_MAX rounded down to a page). */
#define MAX_RW_COUNT 0x7ffff000L
/* sendfile's bounce buffer: big enough that a large file goes to a socket
   in few writes (each one a full TCP send buffer), small enough to allocate. */
#define SENDFILE_CHUNK (64 * 1024)

SYSCALL_DEFINE3(read, int, fd, void *, buf, size_t, count)
{
    struct file *f = fd_get(fd);
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
    struct file *f = fd_get(fd);
    if (!f || !(f->flags & VFS_O_WRITE))
        return -EBADF;
    count = MIN(count, (size_t)MAX_RW_COUNT);
    if (count && !user_readable(buf, count))
        return -EFAULT;
    return pipe_broken(vfs_write(f, buf, count));
}

SYSCALL_DEFINE4(pread64, int, fd, void *, buf, size_t, count, off_t, pos)
{
    struct file *f = fd_get(fd);
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
    struct file *f = fd_get(fd);
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
    struct file *f = fd_get(fd);
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
    struct file *f = fd_get(fd);
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
    struct file *f = fd_get(fd);
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
    struct file *in = fd_get(in_fd), *out = fd_get(out_fd);
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
