/*
 * The virtual file system: inodes, open files and path names.
 *
 * One tree, rooted in a ramfs; device nodes (devfs) live in it under /dev and
 * pipes are inodes outside it. Errors are negative errno values (errno.h).
 * Flags and structures here are the VFS's own: the Linux ABI layer
 * (kernel/linux/fs.c and the files fs.h names) translates. kernel/core/vfs.c
 * has inodes and open files, kernel/core/namei.c names, the tree and mounts.
 *
 * The kernel runs one process: the working directory and the umask are
 * global. Functions taking `struct inode *at` resolve a relative path from
 * that directory, or from the working directory when at is NULL.
 */
#ifndef UNIKIT_VFS_H
#define UNIKIT_VFS_H

#include "types.h"

#define VFS_NAME_MAX    255 /* bytes in one path component */
#define VFS_PATH_MAX    4096
#define VFS_SYMLINK_MAX 40 /* symlinks followed in one lookup before -ELOOP */
#define VFS_FILE_MAX    (1ULL << 40)
#define VFS_BLOCK_SIZE  4096

enum vfs_type {
    VFS_DIR = 1,
    VFS_REG,
    VFS_LNK,
    VFS_CHR,
    VFS_FIFO,
    VFS_SOCK, /* a name an AF_UNIX socket is bound to (unix.h) */
};

struct inode;
struct file;
struct waitq;
struct vfs_stat;
struct vfs_attr;
struct vfs_statfs;

/*
 * Called for each directory entry by vfs_readdir. next is the position just
 * after this entry. Returns 0 to go on, nonzero to stop without consuming
 * the entry (the caller's buffer is full).
 */
typedef int (*vfs_filldir_t)(void *ctx, const char *name, size_t len, uint64_t ino,
                             enum vfs_type type, off_t next);

/* What a file system does with its directories and inodes. */
struct inode_ops {
    /* Finds name in dir (never "." or ".."); NULL when absent. */
    struct inode *(*lookup)(struct inode *dir, const char *name, size_t len);
    /* Creates and links a new inode of type VFS_DIR, VFS_REG, VFS_CHR or VFS_FIFO. */
    int (*mknod)(struct inode *dir, const char *name, size_t len, enum vfs_type type, uint32_t mode,
                 struct inode **out);
    int (*symlink)(struct inode *dir, const char *name, size_t len, const char *target,
                   struct inode **out);
    /* Adds another name for an existing non-directory inode. */
    int (*link)(struct inode *dir, const char *name, size_t len, struct inode *ip);
    /* Removes the entry; a directory must be empty (checked by the VFS). */
    int (*unlink)(struct inode *dir, const char *name, size_t len);
    /* Moves an entry, replacing the target if present (validated by the VFS). */
    int (*rename)(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
                  const char *nname, size_t nlen);
    /* Swaps two existing entries (validated by the VFS); NULL: not supported. */
    int (*exchange)(struct inode *odir, const char *oname, size_t olen, struct inode *ndir,
                    const char *nname, size_t nlen);
    /* Emits entries from *pos (>= 2; 0 and 1 are "." and ".."), advancing *pos. */
    int (*readdir)(struct inode *dir, off_t *pos, vfs_filldir_t fill, void *ctx);
    bool (*dir_empty)(struct inode *dir);
    /* The parent of a directory, or NULL once it is removed. */
    struct inode *(*parent)(struct inode *dir);
    /* The name under which child appears in dir; false if it does not. */
    bool (*name_of)(struct inode *dir, struct inode *child, const char **name, size_t *len);
    const char *(*readlink)(struct inode *ip);
    int (*setsize)(struct inode *ip, uint64_t size);
    /* Optional: the physical page holding file page pgoff, which stays the
       file's for as long as the file has it (MAP_SHARED maps it into the
       program); -EFAULT past the end of the file. */
    int (*map_page)(struct inode *ip, uint64_t pgoff, uintptr_t *pa);
    /* Optional, with map_page for a file kept elsewhere (a volume): writes
       the mapped pages back (VFS_WB_DURABLE: and fsyncs; VFS_WB_CLEAN: no
       writable mapping stored to them, write nothing); VFS_WB_DROP: no
       mapping is left, so the pages may go. */
    int (*writeback)(struct inode *ip, unsigned how);
    /* Optional, with writeback: which mapped pages the program stored to
       since they were last written back. mark records a store to page
       pgoff; returns whether the page has stores to write. vm.c maps a
       page without them read-only, so that the first store faults and
       marks it; writeback writes only marked pages. */
    bool (*page_dirty)(struct inode *ip, uint64_t pgoff, bool mark);
    /* Frees the inode: no links and no references are left. */
    void (*evict)(struct inode *ip);
    /* Optional, for a file system whose inodes live elsewhere (a volume):
       refreshes the inode and fills what it knows better than the VFS
       (dev, blocks); sets the mode; writes back a directory's entries. */
    void (*stat)(struct inode *ip, struct vfs_stat *st);
    int (*setattr)(struct inode *ip, const struct vfs_attr *a);
    int (*fsync)(struct inode *ip, bool datasync);
    void (*statfs)(struct inode *ip, struct vfs_statfs *st);
};

#define VFS_WB_DURABLE 0x1
#define VFS_WB_DROP    0x2
#define VFS_WB_CLEAN   0x4 /* no store to write: only drop */

struct inode {
    enum vfs_type type;
    uint32_t mode; /* permission bits, 07777 */
    uint32_t nlink;
    uint32_t refcount; /* open files and the working directory */
    uint64_t ino;
    uint64_t size;
    uint64_t atime_ns, mtime_ns, ctime_ns;
    uint32_t rdev_major, rdev_minor; /* device nodes */
    const struct inode_ops *iops;
    const struct file_ops *fops; /* what an open file of this inode does */
    /* Mounts: a directory another file system's root covers, and that root. */
    struct inode *mounted, *covers;
};

/* Poll bits: what file_ops.poll answers (poll.h waits for them). */
#define VFS_POLL_IN  0x1
#define VFS_POLL_OUT 0x2
#define VFS_POLL_ERR 0x4
#define VFS_POLL_HUP 0x8

struct file_ops {
    /* off is the file position, or the pread/pwrite offset; streams ignore it. */
    ssize_t (*read)(struct file *f, void *buf, size_t len, off_t off);
    ssize_t (*write)(struct file *f, const void *buf, size_t len, off_t off);
    /* NULL: the file has no position (-ESPIPE). */
    off_t (*lseek)(struct file *f, off_t off, int whence);
    /* Bytes a read would return now (FIONREAD); NULL: not supported. */
    ssize_t (*nread)(struct file *f);
    /* VFS_POLL_* bits now; NULL: always readable and writable. */
    unsigned (*poll)(struct file *f);
    /* The wait queue woken whenever poll's answer may change (poll.h);
     * NULL: it never changes while one waits. */
    struct waitq *(*poll_queue)(struct file *f);
    void (*release)(struct file *f);
    /* Optional: called once a file is made (its flags set), before it is
       used; an error undoes the open. */
    int (*open)(struct file *f);
    /* Optional: the file's bytes (and with datasync false, its metadata)
       reach stable storage before it returns. NULL: nothing to write back. */
    int (*fsync)(struct file *f, bool datasync);
};

/* Open-file flags kept in struct file. */
#define VFS_O_READ     0x1
#define VFS_O_WRITE    0x2
#define VFS_O_APPEND   0x4
#define VFS_O_NONBLOCK 0x8
#define VFS_O_PATH     0x10 /* names the inode only: no read, no write */
#define VFS_O_SYNC     0x20 /* each write is on stable storage when it returns */
/* O_DIRECT: kept for F_GETFL alone, as no file system here caches data in
   the guest (a volume's reads and writes go to the host at once). */
#define VFS_O_DIRECT 0x40
#define VFS_O_FILE_MASK                                                                            \
    (VFS_O_READ | VFS_O_WRITE | VFS_O_APPEND | VFS_O_NONBLOCK | VFS_O_PATH | VFS_O_SYNC |          \
     VFS_O_DIRECT)
/* Flags that only affect vfs_openat. */
#define VFS_O_CREAT     0x100
#define VFS_O_EXCL      0x200
#define VFS_O_TRUNC     0x400
#define VFS_O_DIRECTORY 0x800
#define VFS_O_NOFOLLOW  0x1000

/* Note: the close-on-exec flag belongs to the descriptor, see fd.h. */
struct file {
    struct inode *inode;
    const struct file_ops *ops;
    off_t offset; /* for a directory: the vfs_readdir position */
    unsigned flags;
    uint32_t refcount;
    void *priv;      /* the file's own state, e.g. which end of a pipe */
    uint64_t serial; /* unique for the boot: a later file at this address has another */
    char *path;      /* a regular file's absolute name when opened (or NULL), kmalloc'd */
};

#define VFS_SEEK_SET  0
#define VFS_SEEK_CUR  1
#define VFS_SEEK_END  2
#define VFS_SEEK_DATA 3
#define VFS_SEEK_HOLE 4

/* Lookup flags. */
#define VFS_NOFOLLOW 0x1 /* a final symlink is returned, not followed */

/* access modes for vfs_access */
#define VFS_X_OK 1
#define VFS_W_OK 2
#define VFS_R_OK 4

struct vfs_stat {
    enum vfs_type type;
    uint32_t mode; /* permission bits */
    uint32_t nlink;
    uint32_t blksize;
    uint64_t dev, ino, size, blocks; /* blocks of 512 bytes */
    uint32_t rdev_major, rdev_minor;
    uint64_t atime_ns, mtime_ns, ctime_ns;
};

/* What vfs_setattr changes: the fields whose VFS_ATTR_* bit is in valid. */
#define VFS_ATTR_MODE  0x1
#define VFS_ATTR_UID   0x2
#define VFS_ATTR_GID   0x4
#define VFS_ATTR_ATIME 0x8
#define VFS_ATTR_MTIME 0x10
struct vfs_attr {
    unsigned valid;
    uint32_t mode, uid, gid;
    uint64_t atime_ns, mtime_ns;
};

struct vfs_statfs {
    uint64_t type, bsize, blocks, bfree, bavail, files, ffree, fsid, namelen;
    bool readonly;
};

/* Creates the root, /dev with its device nodes and /tmp. */
void vfs_init(void);
struct inode *vfs_root(void);
struct inode *vfs_cwd(void);
/* The directory above dir, across a mount (the root's is the root); NULL
   when dir was removed. */
struct inode *vfs_parent(struct inode *dir);

/* Inode references. */
void inode_get(struct inode *ip);
void inode_put(struct inode *ip);
/* Called by a file system when a link goes away; frees the inode when unused. */
void inode_drop_link(struct inode *ip);
/* Sets mtime and ctime to now. */
void inode_touch(struct inode *ip);
uint64_t vfs_now_ns(void);

/*
 * Resolves path to an inode. The pointer is borrowed: valid until something
 * removes the inode; take a reference (inode_get) to keep it longer.
 */
int vfs_lookup(struct inode *at, const char *path, unsigned lookup_flags, struct inode **out);

/* Opening and open files. flags: VFS_O_*; mode: permission bits for a new file. */
int vfs_openat(struct inode *at, const char *path, unsigned flags, uint32_t mode,
               struct file **out);
int vfs_open_inode(struct inode *ip, unsigned flags, struct file **out);
/* A file with ops of its own and no name (pipes); takes a reference on ip. */
struct file *vfs_file_alloc(struct inode *ip, const struct file_ops *ops, unsigned flags);
void file_get(struct file *f);
void file_put(struct file *f);

ssize_t vfs_read(struct file *f, void *buf, size_t len);
ssize_t vfs_write(struct file *f, const void *buf, size_t len);
ssize_t vfs_pread(struct file *f, void *buf, size_t len, off_t off);
ssize_t vfs_pwrite(struct file *f, const void *buf, size_t len, off_t off);
off_t vfs_lseek(struct file *f, off_t off, int whence);
/* The lseek of files that have a size: regular files and directories. */
off_t vfs_generic_lseek(struct file *f, off_t off, int whence);
int vfs_ftruncate(struct file *f, off_t size);
int vfs_truncate(struct inode *at, const char *path, off_t size);
ssize_t vfs_nread(struct file *f);
unsigned vfs_poll(struct file *f);
/* Iterates the entries of an open directory from f->offset; returns the count emitted. */
int vfs_readdir(struct file *f, vfs_filldir_t fill, void *ctx);
void vfs_stat_inode(struct inode *ip, struct vfs_stat *st);
int vfs_stat(struct inode *at, const char *path, unsigned lookup_flags, struct vfs_stat *st);
int vfs_access(struct inode *at, const char *path, int mode, unsigned lookup_flags);
int vfs_chmod_inode(struct inode *ip, uint32_t mode);
/* Mode, owner and times. Owners are kept only where the host keeps them (a
   volume): in memory every file is root's, and chown succeeds. */
int vfs_setattr(struct inode *ip, const struct vfs_attr *a);
/* The file system ip lives on, as statfs(2) describes it. */
void vfs_statfs(struct inode *ip, struct vfs_statfs *st);
/* fallocate(2) mode 0: the file is at least off + len bytes long. */
int vfs_fallocate(struct file *f, off_t off, off_t len);
/* fsync(2) and fdatasync(2). */
int vfs_fsync(struct file *f, bool datasync);

/*
 * Mounts the root of another file system on the directory at path (made,
 * with its parents, when missing): lookups that reach the directory go on
 * in that root. The root stays mounted as long as the kernel runs.
 */
int vfs_mount(const char *path, struct inode *fs_root);

/* The name space. */
int vfs_mkdir(struct inode *at, const char *path, uint32_t mode);
int vfs_rmdir(struct inode *at, const char *path);
int vfs_unlink(struct inode *at, const char *path);
/* rename flags */
#define VFS_RENAME_NOREPLACE 0x1
#define VFS_RENAME_EXCHANGE  0x2 /* both names exist and swap inodes */
int vfs_rename(struct inode *oat, const char *oldpath, struct inode *nat, const char *newpath,
               unsigned flags);
int vfs_link(struct inode *oat, const char *oldpath, struct inode *nat, const char *newpath,
             unsigned lookup_flags);
int vfs_symlink(const char *target, struct inode *at, const char *path);
/* Copies the target (not NUL-terminated) into buf; returns its length, at most size. */
ssize_t vfs_readlink(struct inode *at, const char *path, char *buf, size_t size);
int vfs_mknod_device(const char *path, uint32_t mode, const struct file_ops *ops, uint32_t major,
                     uint32_t minor);
/* A regular file of size 0 whose open files use ops: its content is made
 * when read, as Linux's /proc files are. */
int vfs_mknod_generated(const char *path, uint32_t mode, const struct file_ops *ops);
/* The node bind(2) makes for an AF_UNIX socket (opening it fails, ENXIO):
 * -EEXIST when path names anything already. Borrowed, as vfs_lookup's. */
int vfs_mknod_socket(struct inode *at, const char *path, uint32_t mode, struct inode **out);

/* The process's working directory and file-creation mask. */
int vfs_chdir(struct inode *at, const char *path);
int vfs_fchdir(struct inode *dir);
/* Writes the absolute path of the working directory; returns its length + 1. */
ssize_t vfs_getcwd(char *buf, size_t size);
uint32_t vfs_umask(uint32_t mask);
uint32_t vfs_get_umask(void);

/* Pipes (pipe.c): a read end and a write end sharing a ring buffer. */
#define PIPE_CAPACITY (64 * 1024)
int vfs_pipe(unsigned flags, struct file **rd, struct file **wr);
bool vfs_is_pipe(struct file *f);
/* F_GETPIPE_SZ and F_SETPIPE_SZ: the pipe's capacity; setting it returns
 * the new size, or -EBUSY when more bytes than that are in the pipe. */
#define PIPE_MAX_SIZE (1024 * 1024) /* Linux's default /proc/sys/fs/pipe-max-size */
size_t vfs_pipe_size(struct file *f);
long vfs_pipe_set_size(struct file *f, size_t size);

/* Devices (devfs.c): creates /dev and its nodes. */
void devfs_init(void);
/* True for the console, which backs file descriptors 0, 1 and 2. */
bool devfs_is_console(struct file *f);

/* ramfs (ramfs.c): the in-memory file system that holds the tree. */
struct inode *ramfs_create_root(void);
/*
 * Makes an empty regular file read its bytes from data, which must stay in
 * memory unchanged (the boot archive); the first write copies what it touches.
 */
int ramfs_set_backing(struct inode *ip, const void *data, size_t len);
/* The file's bytes in one piece when it still reads them all from its backing. */
const void *ramfs_backing(struct inode *ip, size_t *len);

/* p9fs.c: mounts the volumes the boot command line names ("unikit.vol="
   tokens) from the machine's virtio-9p devices; panics when one fails. */
void p9fs_mount_volumes(const char *cmdline);
/* p9fs_mount_volumes, or NULL in an image linked without volume support
   (`unikit build` writes it beside the system-call table). */
extern void (*const volume_mount_hook)(const char *cmdline);

/* cpio.c: unpacks a newc archive into the tree under /. */
int cpio_unpack(const void *archive, size_t len);

#endif
