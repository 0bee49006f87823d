/*
 * Volumes: host folders mounted into the tree over 9P2000.L (p9.h), one
 * virtio-9p device each. `unikit run -v` names them on the command line:
 *
 *     unikit.vol=TAG:PATH:MODE:UID:GID
 *
 * TAG is the device's mount tag, PATH the mount point (%XX-encoded), MODE
 * "rw" or "ro", UID and GID whom new files belong to on the host.
 *
 * The host owns the files: every inode here is a cache of one name on the
 * host, with a fid that QEMU resolves by path. A lookup asks the host
 * again (one Tgetattr for a name seen before), so files the host adds,
 * removes or replaces show at once; stat asks too. An inode is freed when
 * its name is gone from the guest and nothing holds it; a name that the
 * host changed under a cached inode is forgotten, and that inode kept.
 *
 * Open files have fids of their own, opened with the file's flags; a
 * directory keeps one opened fid for readdir and fsync. Data is never
 * cached in the guest: read and write go to the host, fsync is Tfsync,
 * which QEMU's local backend turns into fsync(2) of its own descriptor,
 * and O_SYNC adds one after every write.
 *
 * The one exception: the pages of a file that a MAP_SHARED mapping shows
 * (vol_map_page) are kept in the guest, read from the host when first
 * touched, while some mapping of the file is left. read() and write() of
 * those pages go to the host and to the kept page alike, so the mapping and
 * the descriptors agree at once; the host sees the mapping's stores when
 * they are written back: at msync (MS_SYNC adds Tfsync), fsync, munmap and
 * the program's end. Writing back writes only the pages the program stored
 * to since the last write-back (vol_page_dirty; vm.c maps the others
 * read-only, so a store faults and marks its page), so a change the host
 * makes to a mapped page the program never stored to is kept.
 */
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "p9.h"
#include "vfs.h"
#include "vm.h"

#define TOKEN    "unikit.vol="
#define DEV_BASE 0x20 /* st_dev of volume N is DEV_BASE + N */
#define DT_DIR   4
#define DT_REG   8
#define DT_LNK   10
#define DT_CHR   2
#define DT_FIFO  1

struct p9_mount {
    struct p9_client c;
    bool readonly;
    uint32_t uid, gid;
    uint64_t dev;
};

struct kept_page {
    uint8_t *data; /* NULL until the page is touched */
    bool dirty;    /* stored to through a mapping since written back */
};

struct p9_inode {
    struct inode vfs;
    struct p9_mount *m;
    uint32_t fid;
    uint32_t dir_fid;        /* opened, for readdir and fsync; 0 until needed */
    uint32_t map_fid;        /* opened, for the kept pages; 0 until needed */
    struct kept_page *pages; /* of a mapped file, by file page */
    size_t npages;
    uint64_t blocks;         /* of 512 bytes, as the host says */
    struct p9_inode *parent; /* NULL for the root and once forgotten */
    struct p9_inode *children, *sibling;
    char *name;
    size_t len;
    char *target; /* a symlink's */
};

static const struct inode_ops vol_iops;
static const struct file_ops vol_file_ops;
static unsigned nmounts;

static struct p9_inode *PI(struct inode *ip)
{
    return container_of(ip, struct p9_inode, vfs);
}

static bool is_vol(struct inode *ip)
{
    return ip->iops == &vol_iops;
}

/* ---- inodes and the cache of names -------------------------------------------- */

static enum vfs_type type_of(uint32_t mode)
{
    switch (mode & P9_S_IFMT) {
    case P9_S_IFDIR:
        return VFS_DIR;
    case P9_S_IFREG:
        return VFS_REG;
    case P9_S_IFLNK:
        return VFS_LNK;
    case P9_S_IFIFO:
        return VFS_FIFO;
    default:
        return VFS_CHR; /* devices and sockets: named, not opened */
    }
}

static void apply_attr(struct p9_inode *pi, const struct p9_attr *a)
{
    pi->vfs.mode = a->mode & 07777;
    pi->vfs.nlink = a->nlink ? (uint32_t)a->nlink : 1;
    pi->vfs.size = a->size;
    pi->vfs.atime_ns = a->atime_ns;
    pi->vfs.mtime_ns = a->mtime_ns;
    pi->vfs.ctime_ns = a->ctime_ns;
    pi->blocks = a->blocks;
}

static void unhook(struct p9_inode *pi)
{
    if (!pi->parent)
        return;
    for (struct p9_inode **pp = &pi->parent->children; *pp; pp = &(*pp)->sibling) {
        if (*pp == pi) {
            *pp = pi->sibling;
            break;
        }
    }
    pi->parent = NULL;
    pi->sibling = NULL;
}

static void hook(struct p9_inode *dir, struct p9_inode *pi)
{
    pi->parent = dir;
    pi->sibling = dir->children;
    dir->children = pi;
}

/* The name went away on the host: nothing finds the inode any more, and
   it is freed once the last open file lets go of it. */
static void forget(struct p9_inode *pi)
{
    unhook(pi);
    pi->vfs.nlink = 0;
}

/* The guest removed the name. */
static void drop(struct p9_inode *pi)
{
    unhook(pi);
    pi->vfs.nlink = 1;
    inode_drop_link(&pi->vfs);
}

static struct p9_inode *find_child(struct p9_inode *dir, const char *name, size_t len)
{
    for (struct p9_inode *c = dir->children; c; c = c->sibling)
        if (c->len == len && memcmp(c->name, name, len) == 0)
            return c;
    return NULL;
}

/* A new inode for the file fid names (fid is then the inode's), cached
   under dir/name; NULL when the host cannot say what it is. */
static struct p9_inode *make_inode(struct p9_mount *m, struct p9_inode *dir, uint32_t fid,
                                   const char *name, size_t len)
{
    struct p9_attr a;
    struct p9_inode *pi = kzalloc(sizeof(*pi));
    if (!pi || p9_getattr(&m->c, fid, &a) != 0 || !(pi->name = kmalloc(len + 1)))
        goto fail;
    pi->m = m;
    pi->fid = fid;
    memcpy(pi->name, name, len);
    pi->name[len] = '\0';
    pi->len = len;
    pi->vfs.type = type_of(a.mode);
    pi->vfs.ino = a.qpath;
    pi->vfs.iops = &vol_iops;
    pi->vfs.fops = pi->vfs.type == VFS_REG ? &vol_file_ops : NULL;
    apply_attr(pi, &a);
    if (pi->vfs.type == VFS_LNK && !(pi->target = p9_readlink(&m->c, fid)))
        goto fail;
    if (dir)
        hook(dir, pi);
    return pi;
fail:
    p9_clunk(&m->c, fid);
    if (pi)
        kfree(pi->name);
    kfree(pi);
    return NULL;
}

/* Asks the host about a cached name again: whether it still names the same file. */
static bool still_there(struct p9_inode *pi)
{
    struct p9_attr a;
    if (p9_getattr(&pi->m->c, pi->fid, &a) != 0 || a.qpath != pi->vfs.ino ||
        type_of(a.mode) != pi->vfs.type)
        return false;
    apply_attr(pi, &a);
    return true;
}

static struct inode *vol_lookup(struct inode *dir, const char *name, size_t len)
{
    struct p9_inode *d = PI(dir), *cached = find_child(d, name, len);
    if (cached) {
        if (still_there(cached))
            return &cached->vfs;
        forget(cached);
    }
    uint32_t fid = p9_fid_new(&d->m->c);
    if (p9_walk(&d->m->c, d->fid, fid, name, len) != 0)
        return NULL;
    struct p9_inode *pi = make_inode(d->m, d, fid, name, len);
    return pi ? &pi->vfs : NULL;
}

/* After the host made dir/name: its inode. */
static int created(struct p9_inode *d, const char *name, size_t len, struct inode **out)
{
    uint32_t fid = p9_fid_new(&d->m->c);
    int err = p9_walk(&d->m->c, d->fid, fid, name, len);
    if (err)
        return err;
    struct p9_inode *pi = make_inode(d->m, d, fid, name, len);
    if (!pi)
        return -EIO;
    *out = &pi->vfs;
    return 0;
}

static int vol_mknod(struct inode *dir, const char *name, size_t len, enum vfs_type type,
                     uint32_t mode, struct inode **out)
{
    struct p9_inode *d = PI(dir);
    struct p9_client *c = &d->m->c;
    int err;
    if (d->m->readonly)
        return -EROFS;
    mode &= 07777;
    if (type == VFS_DIR)
        err = p9_mkdir(c, d->fid, name, len, mode, d->m->gid);
    else if (type == VFS_REG || type == VFS_FIFO)
        err = p9_mknod(c, d->fid, name, len, mode | (type == VFS_REG ? P9_S_IFREG : P9_S_IFIFO),
                       d->m->gid);
    else
        err = -EPERM;
    return err ? err : created(d, name, len, out);
}

static int vol_symlink_op(struct inode *dir, const char *name, size_t len, const char *target,
                          struct inode **out)
{
    struct p9_inode *d = PI(dir);
    if (d->m->readonly)
        return -EROFS;
    int err = p9_symlink(&d->m->c, d->fid, name, len, target, d->m->gid);
    return err ? err : created(d, name, len, out);
}

static int vol_link_op(struct inode *dir, const char *name, size_t len, struct inode *ip)
{
    struct p9_inode *d = PI(dir);
    if (d->m->readonly)
        return -EROFS;
    if (PI(ip)->m != d->m)
        return -EXDEV;
    int err = p9_link(&d->m->c, d->fid, PI(ip)->fid, name, len);
    struct inode *made;
    return err ? err : created(d, name, len, &made);
}

static int vol_unlink(struct inode *dir, const char *name, size_t len)
{
    struct p9_inode *d = PI(dir);
    if (d->m->readonly)
        return -EROFS;
    struct inode *ip = vol_lookup(dir, name, len);
    if (!ip)
        return -ENOENT;
    int err = p9_unlinkat(&d->m->c, d->fid, name, len, ip->type == VFS_DIR ? P9_REMOVEDIR : 0);
    if (err)
        return err;
    drop(PI(ip));
    inode_touch(dir);
    return 0;
}

static int vol_rename(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
                      const char *nname, size_t nlen)
{
    struct p9_inode *od = PI(odir), *nd = PI(ndir);
    if (od->m->readonly)
        return -EROFS;
    if (nd->m != od->m)
        return -EXDEV;
    int err = p9_renameat(&od->m->c, od->fid, oname, olen, nd->fid, nname, nlen);
    if (err)
        return err;
    struct p9_inode *replaced = find_child(nd, nname, nlen), *moved = find_child(od, oname, olen);
    if (replaced && replaced != moved)
        drop(replaced);
    if (moved) { /* QEMU moved the fids below the old name with it */
        char *name = kmalloc(nlen + 1);
        unhook(moved);
        if (name) {
            memcpy(name, nname, nlen);
            name[nlen] = '\0';
            kfree(moved->name);
            moved->name = name;
            moved->len = nlen;
            hook(nd, moved);
        } else {
            moved->vfs.nlink = 0; /* unnamed now: found again by the next lookup */
        }
    }
    inode_touch(odir);
    inode_touch(ndir);
    return 0;
}

/* The directory's opened fid, opened on first use. */
static int dir_fid(struct p9_inode *d)
{
    if (d->dir_fid)
        return 0;
    uint32_t fid = p9_fid_new(&d->m->c);
    int err = p9_walk(&d->m->c, d->fid, fid, NULL, 0);
    if (err)
        return err;
    err = p9_lopen(&d->m->c, fid, P9_RDONLY | P9_DIRECTORY);
    if (err) {
        p9_clunk(&d->m->c, fid);
        return err;
    }
    d->dir_fid = fid;
    return 0;
}

/* The VFS's directory positions: 0 and 1 are "." and "..", 2 the host's 0. */
static off_t vfs_pos(uint64_t host)
{
    return host >= (uint64_t)INT64_MAX - 2 ? INT64_MAX : (off_t)host + 2;
}

static uint64_t host_pos(off_t pos)
{
    return pos == INT64_MAX ? (uint64_t)INT64_MAX : (uint64_t)(pos - 2);
}

static bool dot_or_dotdot(const struct p9_dirent *e)
{
    return (e->len == 1 && e->name[0] == '.') ||
           (e->len == 2 && e->name[0] == '.' && e->name[1] == '.');
}

static enum vfs_type dtype_to_vfs(uint8_t dtype)
{
    switch (dtype) {
    case DT_DIR:
        return VFS_DIR;
    case DT_LNK:
        return VFS_LNK;
    case DT_CHR:
        return VFS_CHR;
    case DT_FIFO:
        return VFS_FIFO;
    default:
        return VFS_REG;
    }
}

struct readdir_ctx {
    vfs_filldir_t fill;
    void *ctx;
    off_t *pos;
    int emitted;
    bool full;
};

static int readdir_entry(void *arg, const struct p9_dirent *e)
{
    struct readdir_ctx *r = arg;
    off_t next = vfs_pos(e->next);
    if (!dot_or_dotdot(e)) {
        if (r->fill(r->ctx, e->name, e->len, e->qpath, dtype_to_vfs(e->dtype), next)) {
            r->full = true;
            return 1;
        }
        r->emitted++;
    }
    *r->pos = next;
    return 0;
}

static int vol_readdir_op(struct inode *dir, off_t *pos, vfs_filldir_t fill, void *ctx)
{
    struct p9_inode *d = PI(dir);
    struct readdir_ctx r = {.fill = fill, .ctx = ctx, .pos = pos};
    if (dir_fid(d) != 0)
        return 0;
    while (!r.full && *pos != INT64_MAX &&
           p9_readdir(&d->m->c, d->dir_fid, host_pos(*pos), readdir_entry, &r) > 0)
        ;
    return r.emitted;
}

struct empty_ctx {
    bool found;
    uint64_t next;
};

static int any_entry(void *arg, const struct p9_dirent *e)
{
    struct empty_ctx *x = arg;
    x->next = e->next;
    if (dot_or_dotdot(e))
        return 0;
    x->found = true;
    return 1;
}

static bool vol_dir_empty(struct inode *dir)
{
    struct p9_inode *d = PI(dir);
    struct empty_ctx x = {0};
    if (dir_fid(d) != 0)
        return false;
    uint64_t off;
    do
        off = x.next;
    while (p9_readdir(&d->m->c, d->dir_fid, off, any_entry, &x) > 0 && !x.found && x.next != off);
    return !x.found;
}

static struct inode *vol_parent(struct inode *dir)
{
    struct p9_inode *p = PI(dir)->parent;
    return p ? &p->vfs : NULL;
}

static bool vol_name_of(struct inode *dir, struct inode *child, const char **name, size_t *len)
{
    if (!is_vol(child) || PI(child)->parent != PI(dir))
        return false;
    *name = PI(child)->name;
    *len = PI(child)->len;
    return true;
}

static const char *vol_readlink_op(struct inode *ip)
{
    return PI(ip)->target ? PI(ip)->target : "";
}

/* ---- the kept pages of mapped files ------------------------------------------- */

static void drop_pages_from(struct p9_inode *pi, size_t first)
{
    for (size_t i = first; i < pi->npages; i++) {
        if (pi->pages[i].data)
            page_free(virt_to_phys(pi->pages[i].data), 1);
        pi->pages[i] = (struct kept_page){0};
    }
    if (first == 0) {
        kfree(pi->pages);
        pi->pages = NULL;
        pi->npages = 0;
    }
}

/* As ramfs: unmapped before freed; the page holding the new end keeps its head. */
static void drop_pages_past(struct p9_inode *pi, uint64_t size)
{
    vm_file_shrunk(&pi->vfs, size);
    size_t keep = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    drop_pages_from(pi, keep);
    if (size % PAGE_SIZE && keep - 1 < pi->npages && pi->pages[keep - 1].data)
        memset(pi->pages[keep - 1].data + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
}

static int map_fid(struct p9_inode *pi)
{
    if (pi->map_fid)
        return 0;
    uint32_t fid = p9_fid_new(&pi->m->c);
    int err = p9_walk(&pi->m->c, pi->fid, fid, NULL, 0);
    if (err)
        return err;
    err = p9_lopen(&pi->m->c, fid, pi->m->readonly ? P9_RDONLY : P9_RDWR);
    if (err) {
        p9_clunk(&pi->m->c, fid);
        return err;
    }
    pi->map_fid = fid;
    return 0;
}

static int read_page(struct p9_inode *pi, uint64_t pgoff, uint8_t *page)
{
    size_t done = 0;
    while (done < PAGE_SIZE) {
        size_t want = MIN(PAGE_SIZE - done, p9_io_max(&pi->m->c));
        ssize_t n = p9_read(&pi->m->c, pi->map_fid, pgoff * PAGE_SIZE + done, page + done, want);
        if (n < 0)
            return (int)n;
        done += (size_t)n;
        if ((size_t)n < want)
            break;
    }
    return 0;
}

static int vol_map_page(struct inode *ip, uint64_t pgoff, uintptr_t *pa)
{
    struct p9_inode *pi = PI(ip);
    if (pgoff >= ALIGN_UP(ip->size, PAGE_SIZE) / PAGE_SIZE)
        return -EFAULT;
    if (pgoff >= pi->npages) {
        size_t n = MAX(pgoff + 1, pi->npages * 2);
        struct kept_page *t = krealloc(pi->pages, n * sizeof(*t));
        if (!t)
            return -ENOMEM;
        memset(t + pi->npages, 0, (n - pi->npages) * sizeof(*t));
        pi->pages = t;
        pi->npages = n;
    }
    if (!pi->pages[pgoff].data) {
        uintptr_t page = page_alloc(1);
        int err = page ? map_fid(pi) : -ENOMEM;
        if (!err)
            err = read_page(pi, pgoff, phys_to_virt(page));
        if (err) {
            if (page)
                page_free(page, 1);
            return err;
        }
        pi->pages[pgoff].data = phys_to_virt(page);
    }
    *pa = virt_to_phys(pi->pages[pgoff].data);
    return 0;
}

static bool vol_page_dirty(struct inode *ip, uint64_t pgoff, bool mark)
{
    struct p9_inode *pi = PI(ip);
    if (pgoff >= pi->npages || !pi->pages[pgoff].data)
        return false;
    pi->pages[pgoff].dirty |= mark;
    return pi->pages[pgoff].dirty;
}

static int write_page(struct p9_inode *pi, uint64_t pgoff)
{
    uint64_t start = pgoff * PAGE_SIZE;
    if (start >= pi->vfs.size)
        return 0;
    size_t len = MIN(PAGE_SIZE, pi->vfs.size - start), done = 0;
    while (done < len) {
        ssize_t n = p9_write(&pi->m->c, pi->map_fid, start + done, pi->pages[pgoff].data + done,
                             len - done);
        if (n <= 0)
            return n ? (int)n : -EIO;
        done += (size_t)n;
    }
    return 0;
}

/* Writes the pages stored to. Read-only first, and each unmarked before it
 * is written: a store meanwhile marks its page for the next write-back. */
static int write_dirty_pages(struct p9_inode *pi)
{
    int err = 0;
    vm_file_write_protect(&pi->vfs);
    for (size_t i = 0; i < pi->npages; i++) {
        if (!pi->pages[i].dirty)
            continue;
        pi->pages[i].dirty = false;
        int e = write_page(pi, i);
        pi->pages[i].dirty |= e != 0; /* tried again next time */
        err = err ? err : e;
    }
    return err;
}

static int vol_writeback(struct inode *ip, unsigned how)
{
    struct p9_inode *pi = PI(ip);
    int err = pi->m->readonly || (how & VFS_WB_CLEAN) ? 0 : write_dirty_pages(pi);
    if (!err && pi->map_fid && (how & VFS_WB_DURABLE))
        err = p9_fsync(&pi->m->c, pi->map_fid, false);
    if (how & VFS_WB_DROP)
        drop_pages_from(pi, 0);
    return err;
}

/* Copies between buf, the bytes [off, off+len) of the file, and the kept pages. */
static void kept_pages_io(struct p9_inode *pi, uint64_t off, void *buf, size_t len, bool to_pages)
{
    for (size_t done = 0; done < len;) {
        uint64_t pos = off + done;
        size_t pg = pos / PAGE_SIZE, po = pos % PAGE_SIZE, n = MIN(len - done, PAGE_SIZE - po);
        if (pg < pi->npages && pi->pages[pg].data) {
            if (to_pages)
                memcpy(pi->pages[pg].data + po, (uint8_t *)buf + done, n);
            else
                memcpy((uint8_t *)buf + done, pi->pages[pg].data + po, n);
        }
        done += n;
    }
}

static int vol_setsize(struct inode *ip, uint64_t size)
{
    struct p9_inode *pi = PI(ip);
    if (pi->m->readonly)
        return -EROFS;
    struct p9_setattr s = {.valid = P9_SETATTR_SIZE, .size = size};
    int err = p9_setattr(&pi->m->c, pi->fid, &s);
    if (err)
        return err;
    if (size < ip->size)
        drop_pages_past(pi, size);
    ip->size = size;
    inode_touch(ip);
    return 0;
}

static int vol_setattr(struct inode *ip, const struct vfs_attr *a)
{
    struct p9_inode *pi = PI(ip);
    if (pi->m->readonly)
        return -EROFS;
    struct p9_setattr s = {.mode = a->mode, .uid = a->uid, .gid = a->gid};
    s.valid |= (a->valid & VFS_ATTR_MODE) ? P9_SETATTR_MODE : 0;
    s.valid |= (a->valid & VFS_ATTR_UID) ? P9_SETATTR_UID : 0;
    s.valid |= (a->valid & VFS_ATTR_GID) ? P9_SETATTR_GID : 0;
    if (a->valid & VFS_ATTR_ATIME) {
        s.valid |= P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET;
        s.atime_sec = a->atime_ns / 1000000000;
        s.atime_nsec = a->atime_ns % 1000000000;
    }
    if (a->valid & VFS_ATTR_MTIME) {
        s.valid |= P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET;
        s.mtime_sec = a->mtime_ns / 1000000000;
        s.mtime_nsec = a->mtime_ns % 1000000000;
    }
    int err = p9_setattr(&pi->m->c, pi->fid, &s);
    if (!err)
        still_there(pi);
    return err;
}

static void vol_statfs(struct inode *ip, struct vfs_statfs *st)
{
    struct p9_inode *pi = PI(ip);
    struct p9_statfs s;
    if (p9_statfs(&pi->m->c, pi->fid, &s) == 0)
        *st = (struct vfs_statfs){.type = s.type,
                                  .bsize = s.bsize,
                                  .blocks = s.blocks,
                                  .bfree = s.bfree,
                                  .bavail = s.bavail,
                                  .files = s.files,
                                  .ffree = s.ffree,
                                  .fsid = s.fsid,
                                  .namelen = s.namelen};
    st->readonly = pi->m->readonly;
}

static void vol_stat(struct inode *ip, struct vfs_stat *st)
{
    struct p9_inode *pi = PI(ip);
    /* The host's answer now; the last known one when it has none. */
    if (ip->nlink && still_there(pi)) {
        st->mode = ip->mode;
        st->nlink = ip->nlink;
        st->size = ip->size;
        st->atime_ns = ip->atime_ns;
        st->mtime_ns = ip->mtime_ns;
        st->ctime_ns = ip->ctime_ns;
    }
    st->dev = pi->m->dev;
    st->blocks = pi->blocks;
}

static int vol_fsync_dir(struct inode *ip, bool datasync)
{
    struct p9_inode *pi = PI(ip);
    if (ip->type != VFS_DIR)
        return 0; /* an O_PATH file: nothing of its own to write */
    int err = dir_fid(pi);
    return err ? err : p9_fsync(&pi->m->c, pi->dir_fid, datasync);
}

static void vol_evict(struct inode *ip)
{
    struct p9_inode *pi = PI(ip);
    unhook(pi);
    for (struct p9_inode *c = pi->children, *next; c; c = next) {
        next = c->sibling;
        c->parent = NULL;
        c->sibling = NULL;
        c->vfs.nlink = 0;
    }
    drop_pages_from(pi, 0);
    p9_clunk(&pi->m->c, pi->fid);
    if (pi->dir_fid)
        p9_clunk(&pi->m->c, pi->dir_fid);
    if (pi->map_fid)
        p9_clunk(&pi->m->c, pi->map_fid);
    kfree(pi->name);
    kfree(pi->target);
    kfree(pi);
}

static const struct inode_ops vol_iops = {
    .lookup = vol_lookup,
    .mknod = vol_mknod,
    .symlink = vol_symlink_op,
    .link = vol_link_op,
    .unlink = vol_unlink,
    .rename = vol_rename,
    .readdir = vol_readdir_op,
    .dir_empty = vol_dir_empty,
    .parent = vol_parent,
    .name_of = vol_name_of,
    .readlink = vol_readlink_op,
    .setsize = vol_setsize,
    .map_page = vol_map_page,
    .writeback = vol_writeback,
    .page_dirty = vol_page_dirty,
    .evict = vol_evict,
    .stat = vol_stat,
    .setattr = vol_setattr,
    .fsync = vol_fsync_dir,
    .statfs = vol_statfs,
};

/* ---- open files ---------------------------------------------------------------- */

static uint32_t file_fid(struct file *f)
{
    return (uint32_t)(uintptr_t)f->priv;
}

static int vol_open(struct file *f)
{
    struct p9_inode *pi = PI(f->inode);
    struct p9_client *c = &pi->m->c;
    if (pi->m->readonly && (f->flags & VFS_O_WRITE))
        return -EROFS;
    uint32_t flags = (f->flags & VFS_O_READ) && (f->flags & VFS_O_WRITE) ? P9_RDWR
                     : (f->flags & VFS_O_WRITE)                          ? P9_WRONLY
                                                                         : P9_RDONLY;
    flags |= (f->flags & VFS_O_APPEND) ? P9_APPEND : 0;
    flags |= (f->flags & VFS_O_SYNC) ? P9_SYNC : 0;
    uint32_t fid = p9_fid_new(c);
    int err = p9_walk(c, pi->fid, fid, NULL, 0);
    if (err)
        return err;
    if ((err = p9_lopen(c, fid, flags)) != 0) {
        p9_clunk(c, fid);
        return err;
    }
    f->priv = (void *)(uintptr_t)fid;
    return 0;
}

static void vol_release(struct file *f)
{
    p9_clunk(&PI(f->inode)->m->c, file_fid(f));
}

static ssize_t vol_file_read(struct file *f, void *buf, size_t len, off_t off)
{
    struct p9_client *c = &PI(f->inode)->m->c;
    size_t done = 0;
    while (done < len) {
        size_t want = MIN(len - done, p9_io_max(c));
        ssize_t n = p9_read(c, file_fid(f), (uint64_t)off + done, (uint8_t *)buf + done, want);
        if (n < 0)
            return done ? (ssize_t)done : n;
        done += (size_t)n;
        if ((size_t)n < want)
            break; /* the end of the file */
    }
    kept_pages_io(PI(f->inode), (uint64_t)off, buf, done, false);
    return (ssize_t)done;
}

static ssize_t vol_file_write(struct file *f, const void *buf, size_t len, off_t off)
{
    struct inode *ip = f->inode;
    struct p9_client *c = &PI(ip)->m->c;
    if ((uint64_t)off >= VFS_FILE_MAX)
        return -EFBIG;
    size_t done = 0;
    while (done < len) {
        ssize_t n =
            p9_write(c, file_fid(f), (uint64_t)off + done, (const uint8_t *)buf + done, len - done);
        if (n <= 0) {
            if (done)
                break;
            return n ? n : -EIO;
        }
        done += (size_t)n;
    }
    if (done && (f->flags & VFS_O_SYNC)) {
        int err = p9_fsync(c, file_fid(f), false);
        if (err)
            return err;
    }
    kept_pages_io(PI(ip), (uint64_t)off, (void *)buf, done, true);
    if ((uint64_t)off + done > ip->size)
        ip->size = (uint64_t)off + done;
    inode_touch(ip);
    return (ssize_t)done;
}

/* The end of the file is the host's: ask before seeking from it. */
static off_t vol_lseek(struct file *f, off_t off, int whence)
{
    if (whence != VFS_SEEK_SET && whence != VFS_SEEK_CUR)
        still_there(PI(f->inode));
    return vfs_generic_lseek(f, off, whence);
}

static ssize_t vol_nread(struct file *f)
{
    uint64_t size = f->inode->size;
    return f->offset < 0 || (uint64_t)f->offset >= size ? 0 : (ssize_t)(size - f->offset);
}

/* As Linux's: the mapping's stores too. */
static int vol_file_fsync(struct file *f, bool datasync)
{
    int err = vol_writeback(f->inode, 0);
    return err ? err : p9_fsync(&PI(f->inode)->m->c, file_fid(f), datasync);
}

static const struct file_ops vol_file_ops = {
    .read = vol_file_read,
    .write = vol_file_write,
    .lseek = vol_lseek,
    .nread = vol_nread,
    .release = vol_release,
    .open = vol_open,
    .fsync = vol_file_fsync,
};

/* ---- mounting ---------------------------------------------------------------- */

/* Copies the field of s up to the next ':' (or the token's end) into out,
   %XX-decoded; returns what follows the ':', or NULL when none does. */
static const char *field(const char *s, char *out, size_t max)
{
    size_t n = 0;
    for (; *s && *s != ':' && *s != ' '; s++) {
        char c = *s;
        if (c == '%' && hex_digit(s[1]) >= 0 && hex_digit(s[2]) >= 0) {
            c = (char)(hex_digit(s[1]) * 16 + hex_digit(s[2]));
            s += 2;
        }
        if (n + 1 < max)
            out[n++] = c;
    }
    out[n] = '\0';
    return *s == ':' ? s + 1 : NULL;
}

static uint32_t number(const char *s)
{
    uint32_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint32_t)(*s++ - '0');
    return v;
}

static void mount_one(const char *spec)
{
    static char tag[64], path[VFS_PATH_MAX], mode[8], uid[16], gid[16];
    const char *p = field(spec, tag, sizeof(tag));
    p = p ? field(p, path, sizeof(path)) : NULL;
    p = p ? field(p, mode, sizeof(mode)) : NULL;
    p = p ? field(p, uid, sizeof(uid)) : NULL;
    if (!p)
        panic("volume: bad boot setting '%s'", spec);
    field(p, gid, sizeof(gid));
    struct p9_transport *t = virtio_9p_find(tag);
    if (!t)
        panic("volume %s: no virtio-9p device with tag %s", path, tag);
    struct p9_mount *m = kzalloc(sizeof(*m));
    uint32_t root_fid = 0;
    if (!m)
        panic("volume %s: out of memory", path);
    m->readonly = strcmp(mode, "ro") == 0;
    m->uid = number(uid);
    m->gid = number(gid);
    m->dev = DEV_BASE + nmounts++;
    int err = p9_connect(&m->c, t, m->uid, &root_fid);
    if (err)
        panic("volume %s: the host refused it (error %d)", path, -err);
    struct p9_inode *root = make_inode(m, NULL, root_fid, "", 0);
    if (!root || root->vfs.type != VFS_DIR)
        panic("volume %s: its host folder cannot be read", path);
    if ((err = vfs_mount(path, &root->vfs)) == -ENOTDIR || err == -EEXIST)
        panic("volume %s: the image has a file there, not a folder", path);
    if (err)
        panic("volume %s: cannot mount there (error %d)", path, -err);
}

void p9fs_mount_volumes(const char *cmdline)
{
    for (const char *p = cmdline; (p = strstr(p, TOKEN)) != NULL; p += sizeof(TOKEN) - 1)
        if (p == cmdline || p[-1] == ' ')
            mount_one(p + sizeof(TOKEN) - 1);
}
