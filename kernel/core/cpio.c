/*
 * Unpacks the image's file archive (cpio "newc": magic 070701) into the
 * tree. Regular files keep reading from the archive itself (it stays in
 * memory for the machine's life), so unpacking copies no file data.
 *
 * The archive comes from the image, but it is still checked like untrusted
 * input: every field must be hex, every name and every file must lie inside
 * the archive, and any failure stops the unpacking with -EINVAL.
 */
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "vfs.h"

#define CPIO_HEADER 110
#define CPIO_MAGIC  "070701"

/* Header fields after the magic, in order; 8 hex digits each. */
enum {
    F_INO,
    F_MODE,
    F_UID,
    F_GID,
    F_NLINK,
    F_MTIME,
    F_FILESIZE,
    F_DEVMAJOR,
    F_DEVMINOR,
    F_RDEVMAJOR,
    F_RDEVMINOR,
    F_NAMESIZE,
    F_CHECK,
    F_COUNT
};

#define S_IFMT_BITS 0170000
#define S_IFDIR_    0040000
#define S_IFREG_    0100000
#define S_IFLNK_    0120000

struct cpio_entry {
    uint32_t field[F_COUNT];
    const char *name; /* NUL-terminated, inside the archive */
    const uint8_t *data;
    size_t size;
};

static bool parse_hex8(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

static size_t align4(size_t x)
{
    return (x + 3) & ~(size_t)3;
}

/* Parses the entry at *pos and moves *pos past it. */
static int parse_entry(const uint8_t *a, size_t len, size_t *pos, struct cpio_entry *e)
{
    size_t p = *pos;
    if (p > len || len - p < CPIO_HEADER || memcmp(a + p, CPIO_MAGIC, 6) != 0)
        return -EINVAL;
    for (int i = 0; i < F_COUNT; i++) {
        if (!parse_hex8((const char *)a + p + 6 + 8 * i, &e->field[i]))
            return -EINVAL;
    }
    size_t namesize = e->field[F_NAMESIZE];
    p += CPIO_HEADER;
    if (namesize == 0 || namesize > len - p)
        return -EINVAL;
    e->name = (const char *)a + p;
    if (strnlen(e->name, namesize) != namesize - 1)
        return -EINVAL; /* no NUL at the end, or one inside the name */
    p = align4(p + namesize);
    e->size = e->field[F_FILESIZE];
    if (p > len || e->size > len - p)
        return -EINVAL;
    e->data = a + p;
    *pos = align4(p + e->size);
    return 0;
}

/* Strips "./" and "/" prefixes: every name is relative to the root. */
static const char *relative_name(const char *name)
{
    for (;;) {
        if (name[0] == '/')
            name++;
        else if (name[0] == '.' && name[1] == '/')
            name += 2;
        else
            return name;
    }
}

/* mkdir -p for the directories above path, which an archive may leave out. */
static int make_parents(const char *path)
{
    char *buf = kstrdup(path);
    if (!buf)
        return -ENOMEM;
    int err = 0;
    for (size_t i = 1; buf[i] && !err; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = '\0';
        err = vfs_mkdir(vfs_root(), buf, 0755);
        buf[i] = '/';
        if (err == -EEXIST)
            err = 0;
    }
    kfree(buf);
    return err;
}

static int unpack_dir(const char *path, uint32_t mode)
{
    struct inode *ip;
    int err = vfs_mkdir(vfs_root(), path, 0);
    if (err && err != -EEXIST)
        return err;
    err = vfs_lookup(vfs_root(), path, 0, &ip);
    if (err)
        return err;
    if (ip->type != VFS_DIR)
        return -EEXIST;
    return vfs_chmod_inode(ip, mode);
}

static int unpack_file(const char *path, uint32_t mode, const struct cpio_entry *e)
{
    int err = vfs_unlink(vfs_root(), path); /* a later entry replaces an earlier one */
    if (err && err != -ENOENT)
        return err;
    struct file *f;
    err = vfs_openat(vfs_root(), path, VFS_O_CREAT | VFS_O_EXCL | VFS_O_PATH, 0, &f);
    if (err)
        return err;
    struct inode *ip = f->inode;
    err = ramfs_set_backing(ip, e->data, e->size);
    if (!err)
        err = vfs_chmod_inode(ip, mode);
    file_put(f);
    return err;
}

static int unpack_symlink(const char *path, const struct cpio_entry *e)
{
    if (e->size == 0 || e->size >= VFS_PATH_MAX ||
        strnlen((const char *)e->data, e->size) != e->size)
        return -EINVAL; /* empty, too long, or a NUL inside */
    char *target = kmalloc(e->size + 1);
    if (!target)
        return -ENOMEM;
    memcpy(target, e->data, e->size);
    target[e->size] = '\0';
    int err = vfs_unlink(vfs_root(), path);
    if (!err || err == -ENOENT)
        err = vfs_symlink(target, vfs_root(), path);
    kfree(target);
    return err;
}

static int unpack_entry(const struct cpio_entry *e)
{
    const char *path = relative_name(e->name);
    if (path[0] == '\0' || strcmp(path, ".") == 0)
        return 0; /* the root itself */
    int err = make_parents(path);
    if (err)
        return err;
    uint32_t mode = e->field[F_MODE];
    uint64_t mtime = (uint64_t)e->field[F_MTIME] * 1000000000ULL;
    switch (mode & S_IFMT_BITS) {
    case S_IFDIR_:
        err = unpack_dir(path, mode & 07777);
        break;
    case S_IFREG_:
        err = unpack_file(path, mode & 07777, e);
        break;
    case S_IFLNK_:
        err = unpack_symlink(path, e);
        break;
    default:
        return 0; /* device nodes, fifos and sockets have no place in the image */
    }
    struct inode *ip;
    if (!err && vfs_lookup(vfs_root(), path, VFS_NOFOLLOW, &ip) == 0)
        ip->mtime_ns = mtime;
    return err;
}

int cpio_unpack(const void *archive, size_t len)
{
    const uint8_t *a = archive;
    size_t pos = 0;
    for (;;) {
        struct cpio_entry e;
        int err = parse_entry(a, len, &pos, &e);
        if (err)
            return err;
        if (strcmp(e.name, "TRAILER!!!") == 0)
            return 0;
        err = unpack_entry(&e);
        if (err)
            return err;
    }
}
