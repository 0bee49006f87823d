/* Directories and the names in them: getdents64, the working directory, mkdir,
   unlink, rename, link, symlink and readlink. */
#include "abi.h"
#include "errno.h"
#include "fd.h"
#include "fs.h"
#include "lib.h"
#include "mm.h"
#include "syscalls.h"
#include "vfs.h"

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
    struct file *f = fd_get(fd);
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
    struct file *f = fd_get(fd);
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
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
        return -EINVAL; /* RENAME_WHITEOUT is overlayfs's */
    char *oldp, *newp;
    struct inode *oat, *nat;
    long err = two_paths(odirfd, uold, ndirfd, unew, &oldp, &oat, &newp, &nat);
    if (err)
        return err;
    err = vfs_rename(oat, oldp, nat, newp,
                     ((flags & RENAME_NOREPLACE) ? VFS_RENAME_NOREPLACE : 0) |
                         ((flags & RENAME_EXCHANGE) ? VFS_RENAME_EXCHANGE : 0));
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
