/*
 * Names: the tree from its root, path lookup with symbolic links and
 * mounts, opening by name, the operations on names (mkdir, unlink, rename,
 * link, symlink, mknod), the working directory and mounts. What an inode or
 * open file does once found is vfs.c's.
 */
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "vfs.h"

static struct inode *root;
static struct inode *cwd;

/* ---- the tree ------------------------------------------------------------- */

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

struct inode *vfs_parent(struct inode *dir)
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
        *out = vfs_parent(dir);
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

/* ---- opening by name ------------------------------------------------------- */

static char *absolute_path(struct inode *at, const char *path);

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
    return ln.dir->iops->mknod(ln.dir, ln.name, ln.len, VFS_REG, mode & ~vfs_get_umask(), out);
}

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
    return ln.dir->iops->mknod(ln.dir, ln.name, ln.len, type, mode & ~vfs_get_umask(), out);
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
    for (struct inode *d = dir; d; d = vfs_parent(d)) {
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

/* RENAME_EXCHANGE: both names exist, and neither directory may end up
   inside itself; a file system without exchange says EINVAL, as Linux's. */
static int exchange(const struct last_name *o, const struct last_name *n)
{
    struct inode *src = lookup_last(o), *dst = lookup_last(n);
    if (!src || !dst)
        return -ENOENT;
    if ((o->trailing_slash && src->type != VFS_DIR) || (n->trailing_slash && dst->type != VFS_DIR))
        return -ENOTDIR;
    if (src == dst)
        return 0;
    if (src->covers || dst->covers)
        return -EBUSY;
    if (o->dir->iops != n->dir->iops)
        return -EXDEV;
    if ((src->type == VFS_DIR && is_within(n->dir, src)) ||
        (dst->type == VFS_DIR && is_within(o->dir, dst)))
        return -EINVAL;
    if (!o->dir->iops->exchange)
        return -EINVAL;
    return o->dir->iops->exchange(o->dir, o->name, o->len, n->dir, n->name, n->len);
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
    if ((flags & ~(VFS_RENAME_NOREPLACE | VFS_RENAME_EXCHANGE)) ||
        flags == (VFS_RENAME_NOREPLACE | VFS_RENAME_EXCHANGE))
        return -EINVAL;
    if (is_special(&o) || is_special(&n))
        return -EBUSY;
    if (flags & VFS_RENAME_EXCHANGE)
        return exchange(&o, &n);
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

/* Where link and symlink make a name that is no directory: it must not
   exist, may not end in a slash, and its folder must not be removed. */
static int new_file_name(struct inode *at, const char *path, struct last_name *ln)
{
    int err = resolve_parent(at, path, ln);
    if (err)
        return err;
    if (is_special(ln) || lookup_last(ln))
        return -EEXIST;
    if (ln->trailing_slash)
        return -ENOENT;
    return check_dir_alive(ln->dir);
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
    err = new_file_name(nat, newpath, &ln);
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
    int err = new_file_name(at, path, &ln);
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

/* ---- working directory ------------------------------------------------------ */

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
