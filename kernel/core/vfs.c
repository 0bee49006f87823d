/*
 * The VFS's objects: inodes and open files, with the rules that are the
 * same for every file system below (ramfs, devfs nodes in it, pipes,
 * volumes): reading and writing, offsets, sizes, attributes. Names, the
 * tree and its mounts are namei.c's.
 */
#include "clock.h"
#include "errno.h"
#include "flock.h"
#include "lib.h"
#include "mm.h"
#include "vfs.h"

static uint32_t umask_bits = 022;

/* ---- inodes -------------------------------------------------------------- */

uint64_t vfs_now_ns(void)
{
    return clock_realtime_coarse_ns();
}

void inode_touch(struct inode *ip)
{
    ip->mtime_ns = ip->ctime_ns = vfs_now_ns();
}

static void inode_maybe_evict(struct inode *ip)
{
    if (ip->nlink == 0 && ip->refcount == 0 && ip->iops && ip->iops->evict)
        ip->iops->evict(ip);
}

void inode_get(struct inode *ip)
{
    ip->refcount++;
}

void inode_put(struct inode *ip)
{
    BUG_ON(ip->refcount == 0);
    ip->refcount--;
    inode_maybe_evict(ip);
}

void inode_drop_link(struct inode *ip)
{
    BUG_ON(ip->nlink == 0);
    ip->nlink--;
    ip->ctime_ns = vfs_now_ns();
    inode_maybe_evict(ip);
}

/* ---- open files ------------------------------------------------------------- */

static ssize_t dir_read(struct file *f, void *buf, size_t len, off_t off)
{
    (void)f, (void)buf, (void)len, (void)off;
    return -EISDIR;
}

static const struct file_ops dir_file_ops = {
    .read = dir_read,
    .lseek = vfs_generic_lseek,
};

/* O_PATH files and symlinks: nothing to read or write. */
static const struct file_ops path_file_ops;

static uint64_t file_serial;

struct file *vfs_file_alloc(struct inode *ip, const struct file_ops *ops, unsigned flags)
{
    struct file *f = kzalloc(sizeof(*f));
    if (!f)
        return NULL;
    f->inode = ip;
    f->ops = ops;
    f->flags = flags & VFS_O_FILE_MASK;
    f->refcount = 1;
    f->serial = ++file_serial;
    inode_get(ip);
    return f;
}

void file_get(struct file *f)
{
    f->refcount++;
}

void file_put(struct file *f)
{
    BUG_ON(f->refcount == 0);
    if (--f->refcount)
        return;
    lock_release_file(f);
    if (f->ops->release)
        f->ops->release(f);
    inode_put(f->inode);
    kfree(f->path);
    kfree(f);
}

static const struct file_ops *ops_for(struct inode *ip, unsigned flags)
{
    if (flags & VFS_O_PATH)
        return &path_file_ops;
    if (ip->type == VFS_DIR)
        return &dir_file_ops;
    return ip->fops;
}

int vfs_open_inode(struct inode *ip, unsigned flags, struct file **out)
{
    if (!(flags & VFS_O_PATH)) {
        if (ip->type == VFS_LNK)
            return -ELOOP;
        if (ip->type == VFS_DIR && (flags & VFS_O_WRITE))
            return -EISDIR;
    }
    if ((flags & VFS_O_DIRECTORY) && ip->type != VFS_DIR)
        return -ENOTDIR;
    const struct file_ops *ops = ops_for(ip, flags);
    if (!ops)
        return -ENXIO; /* a device node without a driver, or a named fifo */
    if ((flags & VFS_O_TRUNC) && ip->type == VFS_REG && !(flags & VFS_O_PATH) &&
        (ip->size || ops->open)) { /* a volume's size may have changed on the host */
        int err = ip->iops->setsize(ip, 0);
        if (err)
            return err;
    }
    struct file *f = vfs_file_alloc(ip, ops, flags);
    if (!f)
        return -ENOMEM;
    int err = ops->open ? ops->open(f) : 0;
    if (err) {
        inode_put(ip);
        kfree(f);
        return err;
    }
    *out = f;
    return 0;
}

ssize_t vfs_pread(struct file *f, void *buf, size_t len, off_t off)
{
    if (!(f->flags & VFS_O_READ))
        return -EBADF;
    if (!f->ops->read)
        return -EINVAL;
    if (!f->ops->lseek)
        return -ESPIPE;
    if (off < 0)
        return -EINVAL;
    return f->ops->read(f, buf, len, off);
}

ssize_t vfs_pwrite(struct file *f, const void *buf, size_t len, off_t off)
{
    if (!(f->flags & VFS_O_WRITE))
        return -EBADF;
    if (!f->ops->write)
        return -EINVAL;
    if (!f->ops->lseek)
        return -ESPIPE;
    if (off < 0)
        return -EINVAL;
    return f->ops->write(f, buf, len, off);
}

ssize_t vfs_read(struct file *f, void *buf, size_t len)
{
    if (!(f->flags & VFS_O_READ))
        return -EBADF;
    if (!f->ops->read)
        return -EINVAL;
    ssize_t n = f->ops->read(f, buf, len, f->offset);
    if (n > 0 && f->ops->lseek)
        f->offset += n;
    return n;
}

ssize_t vfs_write(struct file *f, const void *buf, size_t len)
{
    if (!(f->flags & VFS_O_WRITE))
        return -EBADF;
    if (!f->ops->write)
        return -EINVAL;
    if ((f->flags & VFS_O_APPEND) && f->inode->type == VFS_REG)
        f->offset = (off_t)f->inode->size;
    ssize_t n = f->ops->write(f, buf, len, f->offset);
    if (n > 0 && f->ops->lseek)
        f->offset += n;
    return n;
}

off_t vfs_generic_lseek(struct file *f, off_t off, int whence)
{
    off_t size = (off_t)f->inode->size, base;
    switch (whence) {
    case VFS_SEEK_SET:
        base = 0;
        break;
    case VFS_SEEK_CUR:
        base = f->offset;
        break;
    case VFS_SEEK_END:
        base = size;
        break;
    case VFS_SEEK_DATA:
    case VFS_SEEK_HOLE:
        /* A file here has no holes worth reporting: all data, then the end. */
        if (off < 0 || off >= size)
            return -ENXIO;
        base = 0;
        if (whence == VFS_SEEK_HOLE)
            off = size;
        break;
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    f->offset = base + off;
    return f->offset;
}

off_t vfs_lseek(struct file *f, off_t off, int whence)
{
    if (!f->ops->lseek)
        return -ESPIPE;
    return f->ops->lseek(f, off, whence);
}

static int truncate_inode(struct inode *ip, off_t size)
{
    if (size < 0)
        return -EINVAL;
    if (ip->type == VFS_DIR)
        return -EISDIR;
    if (ip->type != VFS_REG)
        return -EINVAL;
    /* A generated file (/proc) has no bytes of its own to cut. */
    if (!ip->fops || !ip->fops->write)
        return -EACCES;
    if ((uint64_t)size > VFS_FILE_MAX)
        return -EFBIG;
    return ip->iops->setsize(ip, (uint64_t)size);
}

int vfs_ftruncate(struct file *f, off_t size)
{
    if (!(f->flags & VFS_O_WRITE) || f->inode->type != VFS_REG)
        return -EINVAL;
    return truncate_inode(f->inode, size);
}

int vfs_truncate(struct inode *at, const char *path, off_t size)
{
    struct inode *ip;
    int err = vfs_lookup(at, path, 0, &ip);
    return err ? err : truncate_inode(ip, size);
}

ssize_t vfs_nread(struct file *f)
{
    return f->ops->nread ? f->ops->nread(f) : -ENOTTY;
}

unsigned vfs_poll(struct file *f)
{
    return f->ops->poll ? f->ops->poll(f) : VFS_POLL_IN | VFS_POLL_OUT;
}

int vfs_readdir(struct file *f, vfs_filldir_t fill, void *ctx)
{
    struct inode *dir = f->inode;
    if (dir->type != VFS_DIR || (f->flags & VFS_O_PATH))
        return -ENOTDIR;
    if (dir->nlink == 0)
        return -ENOENT;
    int n = 0;
    if (f->offset == 0) {
        if (fill(ctx, ".", 1, dir->ino, VFS_DIR, 1))
            return n;
        f->offset = 1, n++;
    }
    if (f->offset == 1) {
        struct inode *parent = vfs_parent(dir);
        if (!parent)
            return -ENOENT;
        if (fill(ctx, "..", 2, parent->ino, VFS_DIR, 2))
            return n;
        f->offset = 2, n++;
    }
    if (f->offset < 2)
        return -EINVAL;
    return n + dir->iops->readdir(dir, &f->offset, fill, ctx);
}

void vfs_stat_inode(struct inode *ip, struct vfs_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->type = ip->type;
    st->mode = ip->mode;
    st->nlink = ip->nlink;
    st->blksize = VFS_BLOCK_SIZE;
    st->dev = ip->type == VFS_FIFO ? 0xc : 0x10; /* a pipe lives on no disk */
    st->ino = ip->ino;
    st->size = ip->size;
    st->blocks = ip->type == VFS_REG ? (ip->size + 511) / 512 : 0;
    st->rdev_major = ip->rdev_major;
    st->rdev_minor = ip->rdev_minor;
    st->atime_ns = ip->atime_ns;
    st->mtime_ns = ip->mtime_ns;
    st->ctime_ns = ip->ctime_ns;
    if (ip->iops && ip->iops->stat)
        ip->iops->stat(ip, st);
}

int vfs_stat(struct inode *at, const char *path, unsigned lookup_flags, struct vfs_stat *st)
{
    struct inode *ip;
    int err = vfs_lookup(at, path, lookup_flags, &ip);
    if (err)
        return err;
    vfs_stat_inode(ip, st);
    return 0;
}

/* The one user is root: only execute permission can be missing. */
int vfs_access(struct inode *at, const char *path, int mode, unsigned lookup_flags)
{
    struct inode *ip;
    int err = vfs_lookup(at, path, lookup_flags, &ip);
    if (err)
        return err;
    if ((mode & VFS_X_OK) && ip->type != VFS_DIR && !(ip->mode & 0111))
        return -EACCES;
    return 0;
}

int vfs_chmod_inode(struct inode *ip, uint32_t mode)
{
    struct vfs_attr a = {.valid = VFS_ATTR_MODE, .mode = mode & 07777};
    return vfs_setattr(ip, &a);
}

int vfs_setattr(struct inode *ip, const struct vfs_attr *a)
{
    if (ip->iops && ip->iops->setattr)
        return ip->iops->setattr(ip, a);
    if (a->valid & VFS_ATTR_MODE)
        ip->mode = a->mode & 07777;
    if (a->valid & VFS_ATTR_ATIME)
        ip->atime_ns = a->atime_ns;
    if (a->valid & VFS_ATTR_MTIME)
        ip->mtime_ns = a->mtime_ns;
    ip->ctime_ns = vfs_now_ns();
    return 0;
}

#define TMPFS_MAGIC 0x01021994

void vfs_statfs(struct inode *ip, struct vfs_statfs *st)
{
    *st = (struct vfs_statfs){.type = TMPFS_MAGIC,
                              .bsize = PAGE_SIZE,
                              .blocks = page_total(),
                              .bfree = page_free_count(),
                              .bavail = page_free_count(),
                              .namelen = VFS_NAME_MAX};
    if (ip->iops && ip->iops->statfs)
        ip->iops->statfs(ip, st);
}

int vfs_fallocate(struct file *f, off_t off, off_t len)
{
    struct inode *ip = f->inode;
    if (off < 0 || len <= 0)
        return -EINVAL;
    if (!(f->flags & VFS_O_WRITE))
        return -EBADF;
    if (ip->type == VFS_DIR)
        return -EISDIR;
    if (ip->type != VFS_REG)
        return -ENODEV;
    if (off > (off_t)VFS_FILE_MAX - len)
        return -EFBIG;
    /* Memory and the host's file are given as they are written: only the
       size grows, from the size the file system has now (stat asks a volume). */
    struct vfs_stat st;
    vfs_stat_inode(ip, &st);
    if ((uint64_t)(off + len) <= st.size)
        return 0;
    return truncate_inode(ip, off + len);
}

int vfs_fsync(struct file *f, bool datasync)
{
    if (f->ops->fsync)
        return f->ops->fsync(f, datasync);
    struct inode *ip = f->inode;
    return ip->iops && ip->iops->fsync ? ip->iops->fsync(ip, datasync) : 0;
}

/* ---- umask ------------------------------------------------------------------ */

uint32_t vfs_umask(uint32_t mask)
{
    uint32_t old = umask_bits;
    umask_bits = mask & 0777;
    return old;
}

uint32_t vfs_get_umask(void)
{
    return umask_bits;
}
