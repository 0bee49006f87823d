/*
 * What the file-system system calls share (fs.c, read_write.c, stat.c,
 * dir.c, fcntl.c, fsattr.c): the program's paths and directory descriptors
 * turned into the VFS's. Paths are copied in whole (kmalloc'd, the caller
 * frees them), so a bad pointer is -EFAULT before the VFS sees anything.
 */
#ifndef UNIKIT_LINUX_FS_H
#define UNIKIT_LINUX_FS_H

#include "types.h"
#include "vfs.h"

/* Copies a user path into a fresh buffer; an empty path is -ENOENT unless allowed. */
long path_get(const char *upath, bool allow_empty, char **out);
/* The inode an fd names, with AT_FDCWD naming the working directory. */
long fd_inode(int fd, struct inode **out);
/* The directory a relative path starts from: NULL for the working directory. */
long dirfd_base(int dirfd, const char *path, struct inode **at);
/* Copies the path and finds its base: what almost every *at call starts with. */
long path_at(int dirfd, const char *upath, char **path, struct inode **at);
/* The descriptor /dev/stdin, /dev/fd/N, /proc/self/fd/N... name, or -1. */
int fd_named_by(const char *path);
/* The stat of dirfd/path, with AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW (stat.c). */
long stat_at(int dirfd, const char *upath, int flags, struct vfs_stat *vs);

#endif
