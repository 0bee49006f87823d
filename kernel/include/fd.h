/*
 * The file-descriptor table of the one process: small integers naming
 * open files (vfs.h). Each slot holds one reference on its file; the
 * close-on-exec flag belongs to the slot, not the file.
 */
#ifndef UNIKIT_FD_H
#define UNIKIT_FD_H

#include "types.h"

struct file;

/* The table never grows past FD_LIMIT: RLIMIT_NOFILE's hard limit, the most a
   program may raise its soft limit to. The soft limit starts at Linux's
   1024, which keeps descriptors within select's FD_SETSIZE unless the
   program asks for more. */
#define FD_LIMIT      4096
#define FD_SOFT_LIMIT 1024

/*
 * Installs f in the lowest free slot >= min and takes over the caller's
 * reference on success; -EMFILE when none is free, -EINVAL when min is out
 * of range.
 */
int fd_alloc(struct file *f, int min, bool cloexec);
/*
 * The file in slot fd, or NULL. The running system call holds it open until
 * it returns (fd_release_held), as Linux does: a thread that closes fd
 * meanwhile cannot free a socket or pipe another thread sleeps in (accept,
 * read). Only the first THREAD_HELD_FILES files a call looks up are held;
 * poll and epoll hold the rest themselves while they sleep.
 */
struct file *fd_get(int fd);
/* Called when a system call returns: lets go of what fd_get held for it. */
void fd_release_held(void);
int fd_close(int fd);
/* Makes newfd name oldfd's file, closing what newfd held (dup2/dup3). */
int fd_dup_to(int oldfd, int newfd, bool cloexec);
int fd_get_cloexec(int fd);
int fd_set_cloexec(int fd, bool cloexec);
/* Closes [first, last], or only marks them close-on-exec. */
void fd_close_range(unsigned first, unsigned last, bool cloexec_only);
/* Closes the descriptors marked close-on-exec (for a future execve). */
void fd_close_on_exec(void);
/* The soft limit (new descriptors are below it), and setting it (0..FD_LIMIT). */
int fd_limit(void);
int fd_set_limit(int n);

/* Opens descriptors 0, 1 and 2: all on terminal when there is one (tty.h),
 * else the host's streams, or the console. */
void fd_init_stdio(struct file *terminal);

#endif
