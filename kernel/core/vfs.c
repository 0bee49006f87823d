/*
 * The VFS: path lookup, open files and the operations on names. The file
 * systems below (ramfs, devfs nodes in it, pipes) do the storage; this file
 * holds the rules that are the same for all of them.
 */
#include "clock.h"
#include "errno.h"
#include "flock.h"
#include "lib.h"
#include "mm.h"
#include "vfs.h"

static struct inode *root;
static struct inode *cwd;
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

struct inode *vfs_root(void)
{
    return root;
}

struct inode *vfs_cwd(void)
{
    return cwd;
}

void vfs_init(void)
{
    root = ramfs_create_root();
    cwd = root;
    inode_get(cwd);
    devfs_init();
    if (vfs_mkdir(root, "tmp", 01777) < 0)
        panic("vfs: cannot create /tmp");
    /* The umask did not apply the sticky bit; set the mode exactly. */
    struct inode *tmp;
    if (vfs_lookup(root, "/tmp", 0, &tmp) == 0)
        tmp->mode = 01777;
}

/* ---- path lookup ------------------------------------------------------------ */

static bool is_dot(const char *name, size_t len)
{
    return len == 1 && name[0] == '.';
}

static bool is_dotdot(const char *name, size_t len)
{
    return len == 2 && name[0] == '.' && name[1] == '.';
}

/* The directory above dir, across a mount: NULL when dir was removed. */
static struct inode *parent_of(struct inode *dir)
{
    if (dir == root)
        return root;
    if (dir->covers)
        dir = dir->covers;
    return dir->iops->parent(dir);
}

/* What a lookup that reached ip goes on with: a root mounted on it, if any. */
static struct inode *mounted_on(struct inode *ip)
{
    return ip && ip->mounted ? ip->mounted : ip;
}

/* One step from dir to its entry name. */
static int step(struct inode *dir, const char *name, size_t len, struct inode **out)
{
    if (dir->type != VFS_DIR)
        return -ENOTDIR;
    if (len > VFS_NAME_MAX)
        return -ENAMETOOLONG;
    if (is_dot(name, len)) {
        *out = dir;
        return 0;
    }
    if (dir->nlink == 0) /* removed: its entries and ".." are gone */
        return -ENOENT;
    if (is_dotdot(name, len)) {
        *out = parent_of(dir);
        return *out ? 0 : -ENOENT;
    }
    *out = mounted_on(dir->iops->lookup(dir, name, len));
    return *out ? 0 : -ENOENT;
}

static int resolve(struct inode *base, const char *path, size_t plen, bool follow, int *links,
                   struct inode **out);

static int follow_link(struct inode *dir, struct inode *link, int *links, struct inode **out)
{
    if (++*links > VFS_SYMLINK_MAX)
        return -ELOOP;
    const char *target = link->iops->readlink(link);
    size_t tlen = strlen(target);
    if (tlen == 0)
        return -ENOENT;
    return resolve(dir, target, tlen, true, links, out);
}

/*
 * Walks the first plen bytes of path from base (or the root for an absolute
 * path). A symlink met on the way is followed; a final one only if follow
 * is set or a slash comes after it.
 */
static int resolve(struct inode *base, const char *path, size_t plen, bool follow, int *links,
                   struct inode **out)
{
    struct inode *cur = plen && path[0] == '/' ? root : base;
    size_t i = 0;
    for (;;) {
        while (i < plen && path[i] == '/')
            i++;
        if (i == plen) {
            *out = cur;
            return 0;
        }
        size_t start = i;
        while (i < plen && path[i] != '/')
            i++;
        size_t j = i;
        while (j < plen && path[j] == '/')
            j++;
        bool last = j == plen, trailing_slash = last && j > i;

        struct inode *next;
        int err = step(cur, path + start, i - start, &next);
        if (err)
            return err;
        if (next->type == VFS_LNK && (!last || follow || trailing_slash)) {
            err = follow_link(cur, next, links, &next);
            if (err)
                return err;
        }
        if (trailing_slash && next->type != VFS_DIR)
            return -ENOTDIR;
        cur = next;
    }
}

static struct inode *base_dir(struct inode *at)
{
    return at ? at : cwd;
}

int vfs_lookup(struct inode *at, const char *path, unsigned lookup_flags, struct inode **out)
{
    int links = 0;
    size_t len = strlen(path);
    if (len == 0)
        return -ENOENT;
    if (len >= VFS_PATH_MAX)
        return -ENAMETOOLONG;
    return resolve(base_dir(at), path, len, !(lookup_flags & VFS_NOFOLLOW), &links, out);
}

/* The directory a path's last component lives in, and that component. */
struct last_name {
    struct inode *dir;
    const char *name;
    size_t len; /* 0 when the path names the root ("/") */
    bool trailing_slash;
};

static int resolve_parent(struct inode *at, const char *path, struct last_name *ln)
{
    size_t n = strlen(path);
    if (n == 0)
        return -ENOENT;
    if (n >= VFS_PATH_MAX)
        return -ENAMETOOLONG;
    size_t end = n;
    while (end > 0 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    int links = 0;
    int err = resolve(base_dir(at), path, start, true, &links, &ln->dir);
    if (err)
        return err;
    if (ln->dir->type != VFS_DIR)
        return -ENOTDIR;
    ln->name = path + start;
    ln->len = end - start;
    ln->trailing_slash = end < n;
    if (ln->len > VFS_NAME_MAX)
        return -ENAMETOOLONG;
    return 0;
}

static bool is_special(const struct last_name *ln)
{
    return ln->len == 0 || is_dot(ln->name, ln->len) || is_dotdot(ln->name, ln->len);
}

/* The existing entry for ln, not following a symlink; NULL if absent. */
static struct inode *lookup_last(const struct last_name *ln)
{
    struct inode *ip;
    return step(ln->dir, ln->name, ln->len, &ip) == 0 ? ip : NULL;
}

/* Refuses to add entries to a directory that has been removed. */
static int check_dir_alive(struct inode *dir)
{
    return dir->nlink == 0 ? -ENOENT : 0;
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

/* The O_CREAT half of open: finds or makes the last component. */
static int open_create(struct inode *at, const char *path, unsigned flags, uint32_t mode,
                       struct inode **out)
{
    struct last_name ln;
    int err = resolve_parent(at, path, &ln);
    if (err)
        return err;
    if (is_special(&ln))
        return (flags & VFS_O_EXCL) ? -EEXIST : -EISDIR;
    struct inode *ip = lookup_last(&ln);
    if (ip) {
        if (flags & VFS_O_EXCL)
            return -EEXIST;
        if (ip->type == VFS_LNK) {
            if (flags & VFS_O_NOFOLLOW)
                return -ELOOP;
            int links = 0;
            return follow_link(ln.dir, ip, &links, out);
        }
        if (ln.trailing_slash && ip->type != VFS_DIR)
            return -ENOTDIR;
        *out = ip;
        return 0;
    }
    if (ln.trailing_slash)
        return -EISDIR;
    err = check_dir_alive(ln.dir);
    if (err)
        return err;
    return ln.dir->iops->mknod(ln.dir, ln.name, ln.len, VFS_REG, mode & ~umask_bits, out);
}

static char *absolute_path(struct inode *at, const char *path);

int vfs_openat(struct inode *at, const char *path, unsigned flags, uint32_t mode, struct file **out)
{
    struct inode *ip;
    int err;
    if (flags & VFS_O_CREAT) {
        err = open_create(at, path, flags, mode, &ip);
        if (err == 0 && ip->type == VFS_DIR)
            return -EISDIR;
    } else {
        unsigned lf = (flags & VFS_O_NOFOLLOW) ? VFS_NOFOLLOW : 0;
        err = vfs_lookup(at, path, lf, &ip);
    }
    if (err)
        return err;
    err = vfs_open_inode(ip, flags, out);
    if (!err && ip->type == VFS_REG)
        (*out)->path = absolute_path(at, path);
    return err;
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
        struct inode *parent = parent_of(dir);
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

/* ---- the name space ----------------------------------------------------------- */

/* A new node of type at path, which must not exist yet (mkdir, bind). */
static int make_node(struct inode *at, const char *path, enum vfs_type type, uint32_t mode,
                     struct inode **out)
{
    struct last_name ln;
    int err = resolve_parent(at, path, &ln);
    if (err)
        return err;
    if (is_special(&ln) || lookup_last(&ln))
        return -EEXIST;
    err = check_dir_alive(ln.dir);
    if (err)
        return err;
    return ln.dir->iops->mknod(ln.dir, ln.name, ln.len, type, mode & ~umask_bits, out);
}

int vfs_mkdir(struct inode *at, const char *path, uint32_t mode)
{
    struct inode *ip;
    return make_node(at, path, VFS_DIR, mode & 01777, &ip);
}

int vfs_rmdir(struct inode *at, const char *path)
{
    struct last_name ln;
    int err = resolve_parent(at, path, &ln);
    if (err)
        return err;
    if (ln.len == 0)
        return -EBUSY;
    if (is_dot(ln.name, ln.len))
        return -EINVAL;
    if (is_dotdot(ln.name, ln.len))
        return -ENOTEMPTY;
    struct inode *ip = lookup_last(&ln);
    if (!ip)
        return -ENOENT;
    if (ip->type != VFS_DIR)
        return -ENOTDIR;
    if (ip == root || ip->covers)
        return -EBUSY;
    if (!ip->iops->dir_empty(ip))
        return -ENOTEMPTY;
    return ln.dir->iops->unlink(ln.dir, ln.name, ln.len);
}

int vfs_unlink(struct inode *at, const char *path)
{
    struct last_name ln;
    int err = resolve_parent(at, path, &ln);
    if (err)
        return err;
    if (is_special(&ln))
        return -EISDIR;
    struct inode *ip = lookup_last(&ln);
    if (!ip)
        return -ENOENT;
    if (ip->type == VFS_DIR)
        return -EISDIR;
    if (ln.trailing_slash)
        return -ENOTDIR;
    return ln.dir->iops->unlink(ln.dir, ln.name, ln.len);
}

/* True when dir is ip or lies below it. */
static bool is_within(struct inode *dir, struct inode *ip)
{
    for (struct inode *d = dir; d; d = parent_of(d)) {
        if (d == ip)
            return true;
        if (d == root)
            break;
    }
    return false;
}

static int check_rename_target(struct inode *src, struct inode *dst, struct inode *ndir)
{
    if (src->type == VFS_DIR) {
        if (is_within(ndir, src))
            return -EINVAL;
        if (dst && dst->type != VFS_DIR)
            return -ENOTDIR;
        if (dst && !dst->iops->dir_empty(dst))
            return -ENOTEMPTY;
    } else if (dst && dst->type == VFS_DIR) {
        return -EISDIR;
    }
    return 0;
}

int vfs_rename(struct inode *oat, const char *oldpath, struct inode *nat, const char *newpath,
               unsigned flags)
{
    struct last_name o, n;
    int err = resolve_parent(oat, oldpath, &o);
    if (!err)
        err = resolve_parent(nat, newpath, &n);
    if (err)
        return err;
    if (flags & ~VFS_RENAME_NOREPLACE)
        return -EINVAL;
    if (is_special(&o) || is_special(&n))
        return -EBUSY;
    struct inode *src = lookup_last(&o);
    if (!src)
        return -ENOENT;
    if ((o.trailing_slash || n.trailing_slash) && src->type != VFS_DIR)
        return -ENOTDIR;
    struct inode *dst = lookup_last(&n);
    if (dst && (flags & VFS_RENAME_NOREPLACE))
        return -EEXIST;
    if (dst == src)
        return 0;
    if (src->covers || (dst && dst->covers))
        return -EBUSY; /* a mount point stays where it is */
    if (o.dir->iops != n.dir->iops)
        return -EXDEV;
    err = check_rename_target(src, dst, n.dir);
    if (!err)
        err = check_dir_alive(n.dir);
    if (err)
        return err;
    return o.dir->iops->rename(o.dir, o.name, o.len, n.dir, n.name, n.len);
}

int vfs_link(struct inode *oat, const char *oldpath, struct inode *nat, const char *newpath,
             unsigned lookup_flags)
{
    struct inode *ip;
    int err = vfs_lookup(oat, oldpath, lookup_flags, &ip);
    if (err)
        return err;
    if (ip->type == VFS_DIR)
        return -EPERM;
    struct last_name ln;
    err = resolve_parent(nat, newpath, &ln);
    if (err)
        return err;
    if (is_special(&ln) || lookup_last(&ln))
        return -EEXIST;
    if (ln.trailing_slash)
        return -ENOENT;
    err = check_dir_alive(ln.dir);
    if (err)
        return err;
    if (ip->iops != ln.dir->iops || !ln.dir->iops->link)
        return -EXDEV;
    return ln.dir->iops->link(ln.dir, ln.name, ln.len, ip);
}

int vfs_symlink(const char *target, struct inode *at, const char *path)
{
    if (!*target)
        return -ENOENT;
    if (strlen(target) >= VFS_PATH_MAX)
        return -ENAMETOOLONG;
    struct last_name ln;
    int err = resolve_parent(at, path, &ln);
    if (err)
        return err;
    if (is_special(&ln) || lookup_last(&ln))
        return -EEXIST;
    if (ln.trailing_slash)
        return -ENOENT;
    err = check_dir_alive(ln.dir);
    if (err)
        return err;
    struct inode *ip;
    return ln.dir->iops->symlink(ln.dir, ln.name, ln.len, target, &ip);
}

ssize_t vfs_readlink(struct inode *at, const char *path, char *buf, size_t size)
{
    struct inode *ip;
    int err = vfs_lookup(at, path, VFS_NOFOLLOW, &ip);
    if (err)
        return err;
    if (ip->type != VFS_LNK)
        return -EINVAL;
    const char *target = ip->iops->readlink(ip);
    size_t n = MIN(strlen(target), size);
    memcpy(buf, target, n);
    return (ssize_t)n;
}

static int mknod_with_ops(const char *path, enum vfs_type type, uint32_t mode,
                          const struct file_ops *ops, struct inode **out)
{
    struct last_name ln;
    int err = resolve_parent(root, path, &ln);
    if (err)
        return err;
    if (is_special(&ln) || lookup_last(&ln))
        return -EEXIST;
    err = ln.dir->iops->mknod(ln.dir, ln.name, ln.len, type, mode, out);
    if (err)
        return err;
    (*out)->fops = ops;
    return 0;
}

int vfs_mknod_device(const char *path, uint32_t mode, const struct file_ops *ops, uint32_t major,
                     uint32_t minor)
{
    struct inode *ip;
    int err = mknod_with_ops(path, VFS_CHR, mode, ops, &ip);
    if (err)
        return err;
    ip->rdev_major = major;
    ip->rdev_minor = minor;
    return 0;
}

int vfs_mknod_generated(const char *path, uint32_t mode, const struct file_ops *ops)
{
    struct inode *ip;
    return mknod_with_ops(path, VFS_REG, mode, ops, &ip);
}

int vfs_mknod_socket(struct inode *at, const char *path, uint32_t mode, struct inode **out)
{
    return make_node(at, path, VFS_SOCK, mode & 07777, out);
}

/* ---- working directory and umask ------------------------------------------------ */

int vfs_fchdir(struct inode *dir)
{
    if (dir->type != VFS_DIR)
        return -ENOTDIR;
    inode_get(dir);
    inode_put(cwd);
    cwd = dir;
    return 0;
}

int vfs_chdir(struct inode *at, const char *path)
{
    struct inode *ip;
    int err = vfs_lookup(at, path, 0, &ip);
    return err ? err : vfs_fchdir(ip);
}

/* Writes the absolute path of directory dir into buf; returns its length + 1.
   Builds it backwards from the end of buf: names are found child to parent. */
static ssize_t dir_path(struct inode *dir, char *buf, size_t size)
{
    if (size < 2)
        return -ERANGE;
    size_t pos = size - 1;
    buf[pos] = '\0';
    for (struct inode *d = dir; d != root;) {
        if (d->covers)
            d = d->covers;
        struct inode *parent = d->iops->parent(d);
        const char *name;
        size_t len;
        if (!parent || !parent->iops->name_of(parent, d, &name, &len))
            return -ENOENT;
        if (len + 1 > pos)
            return -ERANGE;
        pos -= len;
        memcpy(buf + pos, name, len);
        buf[--pos] = '/';
        d = parent;
    }
    if (pos == size - 1)
        buf[--pos] = '/';
    size_t n = size - pos;
    memmove(buf, buf + pos, n);
    return (ssize_t)n;
}

ssize_t vfs_getcwd(char *buf, size_t size)
{
    return cwd->nlink == 0 ? -ENOENT : dir_path(cwd, buf, size);
}

/* Appends path's components to the absolute path in buf (n bytes long),
 * "." and ".." taken as they read; false when it does not fit. */
static bool append_components(char *buf, size_t n, size_t size, const char *path)
{
    while (*path) {
        size_t len = 0;
        while (path[len] && path[len] != '/')
            len++;
        if (is_dotdot(path, len)) {
            while (n > 1 && buf[n - 1] != '/')
                n--;
            n -= n > 1; /* and the slash, unless it is the root */
        } else if (len && !is_dot(path, len)) {
            if (n + len + 2 > size)
                return false;
            if (n > 1)
                buf[n++] = '/';
            memcpy(buf + n, path, len);
            n += len;
        }
        path += len + (path[len] == '/');
        buf[n] = '\0';
    }
    return true;
}

/* The absolute name an open gave a file, in a new string (NULL when not
 * known), for /proc/self/maps: the folder at (or the working directory)
 * and path after it. Symbolic links before the last name are not resolved. */
static char *absolute_path(struct inode *at, const char *path)
{
    char *buf = kmalloc(VFS_PATH_MAX);
    if (!buf)
        return NULL;
    ssize_t n = 1;
    if (path[0] == '/')
        memcpy(buf, "/", 2);
    else if ((n = dir_path(base_dir(at), buf, VFS_PATH_MAX)) > 0)
        n--;
    if (n <= 0 || !append_components(buf, (size_t)n, VFS_PATH_MAX, path)) {
        kfree(buf);
        return NULL;
    }
    char *copy = kstrdup(buf);
    kfree(buf);
    return copy;
}

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

/* ---- mounts ------------------------------------------------------------------- */

/* Makes the directory at path and its missing parents (mkdir -p). */
static int make_dirs(const char *path)
{
    char buf[VFS_PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        int err = vfs_mkdir(root, buf, 0755);
        buf[i] = c;
        if (err && err != -EEXIST)
            return err;
    }
    return 0;
}

int vfs_mount(const char *path, struct inode *fs_root)
{
    int err = make_dirs(path);
    struct inode *dir;
    if (!err)
        err = vfs_lookup(root, path, 0, &dir);
    if (err)
        return err;
    if (dir->type != VFS_DIR)
        return -ENOTDIR;
    if (dir == root || dir->covers)
        return -EBUSY; /* the root, or a mount point already */
    inode_get(dir);
    inode_get(fs_root);
    dir->mounted = fs_root;
    fs_root->covers = dir;
    return 0;
}
