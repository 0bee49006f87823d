/*
 * A 9P2000.L client (p9.c): one call per message the file system needs,
 * over a transport from dev.h. Errors are negative errno values: the
 * server's own (Rlerror carries Linux's numbers, which errno.h shares),
 * or -EIO for a broken reply. Calls are made one at a time (the kernel
 * lock is held), so there is one tag and one reply buffer.
 *
 * Fids are the client's names for files on the server; p9_fid_new hands
 * out fresh ones and p9_clunk forgets one.
 */
#ifndef UNIKIT_P9_H
#define UNIKIT_P9_H

#include "dev.h"
#include "types.h"

#define P9_NOFID 0xffffffffu

/* Open flags (9P2000.L's, the same values as Linux x86_64's). */
#define P9_RDONLY    00
#define P9_WRONLY    01
#define P9_RDWR      02
#define P9_APPEND    02000
#define P9_DSYNC     010000
#define P9_DIRECTORY 0200000
#define P9_SYNC      04000000

/* File modes on the wire. */
#define P9_S_IFMT    0170000
#define P9_S_IFDIR   0040000
#define P9_S_IFREG   0100000
#define P9_S_IFLNK   0120000
#define P9_S_IFIFO   0010000
#define P9_S_IFCHR   0020000
#define P9_REMOVEDIR 0x200 /* Tunlinkat flag */

/* Tsetattr's valid bits. */
#define P9_SETATTR_MODE      0x1
#define P9_SETATTR_UID       0x2
#define P9_SETATTR_GID       0x4
#define P9_SETATTR_SIZE      0x8
#define P9_SETATTR_ATIME     0x10
#define P9_SETATTR_MTIME     0x20
#define P9_SETATTR_CTIME     0x40
#define P9_SETATTR_ATIME_SET 0x80
#define P9_SETATTR_MTIME_SET 0x100

struct p9_client {
    struct p9_transport *t;
    uint32_t msize;    /* agreed with the server */
    uint32_t next_fid; /* fids are never reused */
};

struct p9_attr {
    uint64_t qpath;
    uint32_t mode, uid, gid; /* mode with the P9_S_IF* type bits */
    uint64_t nlink, rdev, size, blksize, blocks;
    uint64_t atime_ns, mtime_ns, ctime_ns;
};

struct p9_setattr {
    uint32_t valid; /* P9_SETATTR_* */
    uint32_t mode, uid, gid;
    uint64_t size;
    uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

struct p9_statfs {
    uint32_t type, bsize, namelen;
    uint64_t blocks, bfree, bavail, files, ffree, fsid;
};

/* One directory entry of a Treaddir answer. */
struct p9_dirent {
    uint64_t qpath, next; /* the entry's file, and the offset after it */
    uint8_t dtype;        /* DT_* */
    const char *name;
    size_t len;
};

/* Tversion then Tattach of fid as n_uname uid: the root's fid. */
int p9_connect(struct p9_client *c, struct p9_transport *t, uint32_t uid, uint32_t *root_fid);
uint32_t p9_fid_new(struct p9_client *c);
void p9_clunk(struct p9_client *c, uint32_t fid);
/* newfid names dir's entry name (or, with name NULL, the same file as fid). */
int p9_walk(struct p9_client *c, uint32_t fid, uint32_t newfid, const char *name, size_t len);
int p9_getattr(struct p9_client *c, uint32_t fid, struct p9_attr *a);
int p9_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *s);
int p9_lopen(struct p9_client *c, uint32_t fid, uint32_t flags);
/* Bytes moved (a short count at the end of the file), at most msize's worth. */
ssize_t p9_read(struct p9_client *c, uint32_t fid, uint64_t off, void *buf, size_t len);
ssize_t p9_write(struct p9_client *c, uint32_t fid, uint64_t off, const void *buf, size_t len);
/* The most a p9_read or p9_write moves in one call. */
size_t p9_io_max(const struct p9_client *c);
int p9_fsync(struct p9_client *c, uint32_t fid, bool datasync);
int p9_mknod(struct p9_client *c, uint32_t dfid, const char *name, size_t len, uint32_t mode,
             uint32_t gid);
int p9_mkdir(struct p9_client *c, uint32_t dfid, const char *name, size_t len, uint32_t mode,
             uint32_t gid);
int p9_symlink(struct p9_client *c, uint32_t dfid, const char *name, size_t len, const char *target,
               uint32_t gid);
int p9_link(struct p9_client *c, uint32_t dfid, uint32_t fid, const char *name, size_t len);
/* The target, copied into a new string (kfree it); NULL on failure. */
char *p9_readlink(struct p9_client *c, uint32_t fid);
int p9_unlinkat(struct p9_client *c, uint32_t dfid, const char *name, size_t len, uint32_t flags);
int p9_renameat(struct p9_client *c, uint32_t odfid, const char *oname, size_t olen, uint32_t ndfid,
                const char *nname, size_t nlen);
int p9_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *s);
/*
 * Reads entries of the opened directory fid from offset off, calling
 * each(arg, entry) until it returns nonzero or the answer ends. Returns
 * the number of entries the server sent (0 at the end), or -errno.
 */
int p9_readdir(struct p9_client *c, uint32_t fid, uint64_t off,
               int (*each)(void *arg, const struct p9_dirent *e), void *arg);

#endif
