/*
 * ramfs: the writable in-memory file system that holds the whole tree.
 *
 * A directory is a list of entries in creation order; each entry carries a
 * cookie that never changes, so a readdir position survives entries being
 * removed around it.
 *
 * A regular file's bytes live in chunks of RAMFS_CHUNK bytes, allocated on
 * first write (a chunk never written reads as zeros). Chunk 0 starts small
 * and grows, so the many tiny files of a typical tree cost little. A file
 * unpacked from the boot archive reads straight from the archive ("backing")
 * until a write copies the chunks it touches: booting copies nothing.
 *
 * A full chunk is a whole physical page (page_alloc), so that a MAP_SHARED
 * mapping maps the file's own pages into the program (ramfs_map_page): the
 * mapping and read()/write() see the same bytes, and msync has nothing to
 * do. Mapping page 0 grows a small chunk 0 to a page first. Shrinking a
 * mapped file unmaps the pages it frees (vm_file_shrunk) before freeing them.
 *
 * Invariant: bytes past the file size, in chunks and in the backing, read
 * as zeros: truncation zeroes chunk tails and shortens the backing.
 */
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "vfs.h"
#include "vm.h"

#define RAMFS_CHUNK     PAGE_SIZE
#define RAMFS_MIN_CHUNK 64
#define FIRST_COOKIE    2 /* 0 and 1 are "." and ".." */

struct ramfs_dirent {
    struct ramfs_dirent *next;
    struct inode *inode;
    off_t cookie;
    size_t len;
    char name[]; /* NUL-terminated */
};

struct ramfs_inode {
    struct inode vfs;
    union {
        struct {
            struct ramfs_dirent *head, *tail;
            struct inode *parent;
            off_t next_cookie;
        } dir;
        struct {
            const uint8_t *backing;
            size_t backing_len;
            uint8_t **chunks;
            size_t nchunks;
            size_t cap0; /* bytes allocated for chunks[0] */
        } reg;
        struct {
            char *target;
        } lnk;
    };
};

static const struct inode_ops ramfs_iops;
static const struct file_ops ramfs_file_ops;
static uint64_t next_ino = 1;

static struct ramfs_inode *RI(struct inode *ip)
{
    return container_of(ip, struct ramfs_inode, vfs);
}

static struct ramfs_inode *new_inode(enum vfs_type type, uint32_t mode)
{
    struct ramfs_inode *ri = kzalloc(sizeof(*ri));
    if (!ri)
        return NULL;
    uint64_t now = vfs_now_ns();
    ri->vfs.type = type;
    ri->vfs.mode = mode & 07777;
    ri->vfs.nlink = 1;
    ri->vfs.ino = next_ino++;
    ri->vfs.atime_ns = ri->vfs.mtime_ns = ri->vfs.ctime_ns = now;
    ri->vfs.iops = &ramfs_iops;
    if (type == VFS_REG)
        ri->vfs.fops = &ramfs_file_ops;
    if (type == VFS_DIR) {
        ri->vfs.nlink = 2;
        ri->dir.next_cookie = FIRST_COOKIE;
    }
    return ri;
}

struct inode *ramfs_create_root(void)
{
    struct ramfs_inode *ri = new_inode(VFS_DIR, 0755);
    if (!ri)
        panic("ramfs: no memory for the root");
    ri->dir.parent = &ri->vfs;
    return &ri->vfs;
}

/* ---- directories ---------------------------------------------------------- */

static struct ramfs_dirent *find_entry(struct inode *dir, const char *name, size_t len,
                                       struct ramfs_dirent **prev)
{
    struct ramfs_dirent *p = NULL;
    for (struct ramfs_dirent *d = RI(dir)->dir.head; d; p = d, d = d->next) {
        if (d->len == len && memcmp(d->name, name, len) == 0) {
            if (prev)
                *prev = p;
            return d;
        }
    }
    return NULL;
}

static struct inode *ramfs_lookup(struct inode *dir, const char *name, size_t len)
{
    struct ramfs_dirent *d = find_entry(dir, name, len, NULL);
    return d ? d->inode : NULL;
}

static int add_entry(struct inode *dir, const char *name, size_t len, struct inode *ip)
{
    struct ramfs_inode *rd = RI(dir);
    struct ramfs_dirent *d = kmalloc(sizeof(*d) + len + 1);
    if (!d)
        return -ENOSPC;
    d->next = NULL;
    d->inode = ip;
    d->cookie = rd->dir.next_cookie++;
    d->len = len;
    memcpy(d->name, name, len);
    d->name[len] = '\0';
    if (rd->dir.tail)
        rd->dir.tail->next = d;
    else
        rd->dir.head = d;
    rd->dir.tail = d;
    if (ip->type == VFS_DIR) {
        RI(ip)->dir.parent = dir;
        dir->nlink++;
    }
    inode_touch(dir);
    return 0;
}

/* Takes the entry out of dir without touching the inode's link count. */
static struct inode *remove_entry(struct inode *dir, const char *name, size_t len)
{
    struct ramfs_inode *rd = RI(dir);
    struct ramfs_dirent *prev = NULL;
    struct ramfs_dirent *d = find_entry(dir, name, len, &prev);
    if (!d)
        return NULL;
    if (prev)
        prev->next = d->next;
    else
        rd->dir.head = d->next;
    if (rd->dir.tail == d)
        rd->dir.tail = prev;
    struct inode *ip = d->inode;
    kfree(d);
    if (ip->type == VFS_DIR)
        dir->nlink--;
    inode_touch(dir);
    return ip;
}

static int ramfs_mknod(struct inode *dir, const char *name, size_t len, enum vfs_type type,
                       uint32_t mode, struct inode **out)
{
    struct ramfs_inode *ri = new_inode(type, mode);
    if (!ri)
        return -ENOSPC;
    int err = add_entry(dir, name, len, &ri->vfs);
    if (err) {
        kfree(ri);
        return err;
    }
    *out = &ri->vfs;
    return 0;
}

static int ramfs_symlink(struct inode *dir, const char *name, size_t len, const char *target,
                         struct inode **out)
{
    struct ramfs_inode *ri = new_inode(VFS_LNK, 0777);
    if (!ri)
        return -ENOSPC;
    ri->lnk.target = kstrdup(target);
    ri->vfs.size = strlen(target);
    int err = ri->lnk.target ? add_entry(dir, name, len, &ri->vfs) : -ENOSPC;
    if (err) {
        kfree(ri->lnk.target);
        kfree(ri);
        return err;
    }
    *out = &ri->vfs;
    return 0;
}

static int ramfs_link(struct inode *dir, const char *name, size_t len, struct inode *ip)
{
    int err = add_entry(dir, name, len, ip);
    if (err)
        return err;
    ip->nlink++;
    ip->ctime_ns = vfs_now_ns();
    return 0;
}

/* A removed directory loses "." and its entry in the parent at once. */
static void drop_dir_links(struct inode *ip)
{
    RI(ip)->dir.parent = NULL;
    ip->nlink = 1;
    inode_drop_link(ip);
}

static int ramfs_unlink(struct inode *dir, const char *name, size_t len)
{
    struct inode *ip = remove_entry(dir, name, len);
    if (!ip)
        return -ENOENT;
    if (ip->type == VFS_DIR)
        drop_dir_links(ip);
    else
        inode_drop_link(ip);
    return 0;
}

static int ramfs_rename(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
                        const char *nname, size_t nlen)
{
    struct ramfs_dirent *d = find_entry(odir, oname, olen, NULL);
    if (!d)
        return -ENOENT;
    struct inode *ip = d->inode;
    /* Allocate the new entry first: a failure leaves both names as they were. */
    struct inode *old_target = ramfs_lookup(ndir, nname, nlen);
    if (old_target)
        remove_entry(ndir, nname, nlen);
    int err = add_entry(ndir, nname, nlen, ip);
    if (err) {
        if (old_target)
            add_entry(ndir, nname, nlen, old_target);
        return err;
    }
    remove_entry(odir, oname, olen);
    ip->ctime_ns = vfs_now_ns();
    if (old_target) {
        if (old_target->type == VFS_DIR)
            drop_dir_links(old_target);
        else
            inode_drop_link(old_target);
    }
    return 0;
}

/* A directory moving from one parent to another takes its ".." along. */
static void move_dir(struct inode *ip, struct inode *from, struct inode *to)
{
    if (ip->type != VFS_DIR || from == to)
        return;
    from->nlink--;
    to->nlink++;
    RI(ip)->dir.parent = to;
}

/* Swaps the inodes of two entries in place: nothing to allocate, nothing to fail. */
static int ramfs_exchange(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
                          const char *nname, size_t nlen)
{
    struct ramfs_dirent *a = find_entry(odir, oname, olen, NULL);
    struct ramfs_dirent *b = find_entry(ndir, nname, nlen, NULL);
    if (!a || !b)
        return -ENOENT;
    struct inode *ai = a->inode, *bi = b->inode;
    a->inode = bi;
    b->inode = ai;
    move_dir(ai, odir, ndir);
    move_dir(bi, ndir, odir);
    ai->ctime_ns = bi->ctime_ns = vfs_now_ns();
    inode_touch(odir);
    inode_touch(ndir);
    return 0;
}

static int ramfs_readdir(struct inode *dir, off_t *pos, vfs_filldir_t fill, void *ctx)
{
    int n = 0;
    for (struct ramfs_dirent *d = RI(dir)->dir.head; d; d = d->next) {
        if (d->cookie < *pos)
            continue;
        if (fill(ctx, d->name, d->len, d->inode->ino, d->inode->type, d->cookie + 1))
            break;
        *pos = d->cookie + 1;
        n++;
    }
    return n;
}

static bool ramfs_dir_empty(struct inode *dir)
{
    return RI(dir)->dir.head == NULL;
}

static struct inode *ramfs_parent(struct inode *dir)
{
    return RI(dir)->dir.parent;
}

static bool ramfs_name_of(struct inode *dir, struct inode *child, const char **name, size_t *len)
{
    for (struct ramfs_dirent *d = RI(dir)->dir.head; d; d = d->next) {
        if (d->inode == child) {
            *name = d->name;
            *len = d->len;
            return true;
        }
    }
    return false;
}

static const char *ramfs_readlink(struct inode *ip)
{
    return RI(ip)->lnk.target;
}

/* ---- file data ------------------------------------------------------------- */

static size_t chunk_cap(struct ramfs_inode *ri, size_t ci)
{
    return ci == 0 ? ri->reg.cap0 : RAMFS_CHUNK;
}

/* Zero-filled; a full chunk is a page of its own, a smaller one comes from the heap. */
static uint8_t *chunk_alloc(size_t cap)
{
    if (cap < RAMFS_CHUNK)
        return kzalloc(cap);
    uintptr_t pa = page_alloc(1);
    return pa ? phys_to_virt(pa) : NULL;
}

static void chunk_free(uint8_t *c, size_t cap)
{
    if (c && cap < RAMFS_CHUNK)
        kfree(c);
    else if (c)
        page_free(virt_to_phys(c), 1);
}

/* Copies n bytes at pos (all inside chunk pos / RAMFS_CHUNK) into dst. */
static void read_chunk(struct ramfs_inode *ri, uint64_t pos, uint8_t *dst, size_t n)
{
    size_t ci = pos / RAMFS_CHUNK, co = pos % RAMFS_CHUNK;
    const uint8_t *src = NULL;
    size_t avail = 0;
    if (ci < ri->reg.nchunks && ri->reg.chunks[ci]) {
        src = ri->reg.chunks[ci] + co;
        avail = chunk_cap(ri, ci) > co ? chunk_cap(ri, ci) - co : 0;
    } else if (pos < ri->reg.backing_len) {
        src = ri->reg.backing + pos;
        avail = ri->reg.backing_len - pos;
    }
    avail = MIN(avail, n);
    if (avail)
        memcpy(dst, src, avail);
    memset(dst + avail, 0, n - avail);
}

static ssize_t ramfs_read(struct file *f, void *buf, size_t len, off_t off)
{
    struct ramfs_inode *ri = RI(f->inode);
    uint64_t size = f->inode->size;
    if ((uint64_t)off >= size)
        return 0;
    len = MIN(len, size - (uint64_t)off);
    size_t done = 0;
    while (done < len) {
        uint64_t pos = (uint64_t)off + done;
        size_t n = MIN(len - done, RAMFS_CHUNK - pos % RAMFS_CHUNK);
        read_chunk(ri, pos, (uint8_t *)buf + done, n);
        done += n;
    }
    return (ssize_t)done;
}

static int grow_chunk_table(struct ramfs_inode *ri, size_t want)
{
    if (want <= ri->reg.nchunks)
        return 0;
    size_t n = MAX(want, ri->reg.nchunks * 2);
    uint8_t **t = krealloc(ri->reg.chunks, n * sizeof(*t));
    if (!t)
        return -ENOSPC;
    memset(t + ri->reg.nchunks, 0, (n - ri->reg.nchunks) * sizeof(*t));
    ri->reg.chunks = t;
    ri->reg.nchunks = n;
    return 0;
}

/* The bytes of the backing that fall in chunk ci. */
static size_t backing_in_chunk(struct ramfs_inode *ri, size_t ci)
{
    uint64_t start = (uint64_t)ci * RAMFS_CHUNK;
    if (start >= ri->reg.backing_len)
        return 0;
    return MIN(RAMFS_CHUNK, ri->reg.backing_len - start);
}

static size_t small_cap(size_t need)
{
    size_t cap = RAMFS_MIN_CHUNK;
    while (cap < need)
        cap *= 2;
    return MIN(cap, RAMFS_CHUNK);
}

/* Makes chunk ci writable for bytes [0, end): allocates it, copying its backing. */
static int prepare_chunk(struct ramfs_inode *ri, size_t ci, size_t end)
{
    int err = grow_chunk_table(ri, ci + 1);
    if (err)
        return err;
    size_t backed = backing_in_chunk(ri, ci);
    uint8_t *c = ri->reg.chunks[ci];
    if (c && (ci != 0 || ri->reg.cap0 >= end))
        return 0;
    if (c) { /* chunk 0 is too small: grow it */
        size_t cap = small_cap(MAX(end, ri->reg.cap0 * 2));
        uint8_t *grown = chunk_alloc(cap);
        if (!grown)
            return -ENOSPC;
        memcpy(grown, c, ri->reg.cap0);
        chunk_free(c, ri->reg.cap0);
        ri->reg.chunks[0] = grown;
        ri->reg.cap0 = cap;
        return 0;
    }
    size_t cap = ci == 0 ? small_cap(MAX(end, backed)) : RAMFS_CHUNK;
    c = chunk_alloc(cap);
    if (!c)
        return -ENOSPC;
    if (backed)
        memcpy(c, ri->reg.backing + (uint64_t)ci * RAMFS_CHUNK, backed);
    ri->reg.chunks[ci] = c;
    if (ci == 0)
        ri->reg.cap0 = cap;
    return 0;
}

static ssize_t ramfs_write(struct file *f, const void *buf, size_t len, off_t off)
{
    struct inode *ip = f->inode;
    struct ramfs_inode *ri = RI(ip);
    if ((uint64_t)off >= VFS_FILE_MAX)
        return -EFBIG;
    len = MIN(len, VFS_FILE_MAX - (uint64_t)off);
    size_t done = 0;
    while (done < len) {
        uint64_t pos = (uint64_t)off + done;
        size_t ci = pos / RAMFS_CHUNK, co = pos % RAMFS_CHUNK;
        size_t n = MIN(len - done, RAMFS_CHUNK - co);
        int err = prepare_chunk(ri, ci, co + n);
        if (err) {
            if (done)
                break;
            return err;
        }
        memcpy(ri->reg.chunks[ci] + co, (const uint8_t *)buf + done, n);
        done += n;
        if (pos + n > ip->size)
            ip->size = pos + n;
    }
    inode_touch(ip);
    return (ssize_t)done;
}

static void free_chunks_from(struct ramfs_inode *ri, size_t first)
{
    for (size_t i = first; i < ri->reg.nchunks; i++) {
        chunk_free(ri->reg.chunks[i], chunk_cap(ri, i));
        ri->reg.chunks[i] = NULL;
    }
    if (first == 0) {
        kfree(ri->reg.chunks);
        ri->reg.chunks = NULL;
        ri->reg.nchunks = 0;
        ri->reg.cap0 = 0;
    }
}

static int ramfs_setsize(struct inode *ip, uint64_t size)
{
    struct ramfs_inode *ri = RI(ip);
    if (size > VFS_FILE_MAX)
        return -EFBIG;
    if (size < ip->size) {
        vm_file_shrunk(ip, size);
        size_t ci = size / RAMFS_CHUNK, co = size % RAMFS_CHUNK;
        free_chunks_from(ri, co ? ci + 1 : ci);
        if (co && ci < ri->reg.nchunks && ri->reg.chunks[ci] && chunk_cap(ri, ci) > co)
            memset(ri->reg.chunks[ci] + co, 0, chunk_cap(ri, ci) - co);
        ri->reg.backing_len = MIN(ri->reg.backing_len, size);
    }
    ip->size = size;
    inode_touch(ip);
    return 0;
}

int ramfs_set_backing(struct inode *ip, const void *data, size_t len)
{
    struct ramfs_inode *ri = RI(ip);
    if (ip->type != VFS_REG || ip->iops != &ramfs_iops || ip->size || ri->reg.nchunks)
        return -EINVAL;
    if (len > VFS_FILE_MAX)
        return -EFBIG;
    ri->reg.backing = data;
    ri->reg.backing_len = len;
    ip->size = len;
    return 0;
}

const void *ramfs_backing(struct inode *ip, size_t *len)
{
    if (ip->type != VFS_REG || ip->iops != &ramfs_iops)
        return NULL;
    struct ramfs_inode *ri = RI(ip);
    if (ri->reg.nchunks || ri->reg.backing_len != ip->size || !ri->reg.backing)
        return NULL;
    *len = ri->reg.backing_len;
    return ri->reg.backing;
}

static int ramfs_map_page(struct inode *ip, uint64_t pgoff, uintptr_t *pa)
{
    struct ramfs_inode *ri = RI(ip);
    if (pgoff >= ALIGN_UP(ip->size, PAGE_SIZE) / PAGE_SIZE)
        return -EFAULT;
    int err = prepare_chunk(ri, pgoff, RAMFS_CHUNK);
    if (err)
        return err;
    *pa = virt_to_phys(ri->reg.chunks[pgoff]);
    return 0;
}

static ssize_t ramfs_nread(struct file *f)
{
    uint64_t size = f->inode->size;
    return f->offset < 0 || (uint64_t)f->offset >= size ? 0 : (ssize_t)(size - f->offset);
}

static unsigned ramfs_poll(struct file *f)
{
    (void)f;
    return VFS_POLL_IN | VFS_POLL_OUT;
}

static void ramfs_evict(struct inode *ip)
{
    struct ramfs_inode *ri = RI(ip);
    if (ip->type == VFS_REG)
        free_chunks_from(ri, 0);
    else if (ip->type == VFS_LNK)
        kfree(ri->lnk.target);
    kfree(ri);
}

static const struct inode_ops ramfs_iops = {
    .lookup = ramfs_lookup,
    .mknod = ramfs_mknod,
    .symlink = ramfs_symlink,
    .link = ramfs_link,
    .unlink = ramfs_unlink,
    .rename = ramfs_rename,
    .exchange = ramfs_exchange,
    .readdir = ramfs_readdir,
    .dir_empty = ramfs_dir_empty,
    .parent = ramfs_parent,
    .name_of = ramfs_name_of,
    .readlink = ramfs_readlink,
    .setsize = ramfs_setsize,
    .map_page = ramfs_map_page,
    .evict = ramfs_evict,
};

static const struct file_ops ramfs_file_ops = {
    .read = ramfs_read,
    .write = ramfs_write,
    .lseek = vfs_generic_lseek,
    .nread = ramfs_nread,
    .poll = ramfs_poll,
};
