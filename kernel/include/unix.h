/*
 * AF_UNIX sockets (kernel/core/unix.c): sockets between the threads of the
 * one program, without the network object. Files with a poll queue, as
 * pipes are. Types and flags here are the kernel's own; kernel/linux/socket.c
 * translates the Linux ABI to them.
 *
 * A name is sun_path's bytes: a path in the file system (bind makes a
 * VFS_SOCK node there, which stays until unlinked, as on Linux), or, when
 * the first byte is 0, a name in the abstract namespace, which goes with
 * the socket. len 0: unnamed.
 */
#ifndef UNIKIT_UNIX_H
#define UNIKIT_UNIX_H

#include "types.h"

struct file;

#define UNIX_STREAM    1
#define UNIX_DGRAM     2
#define UNIX_SEQPACKET 5

#define UNIX_PATH_MAX 108

struct unix_addr {
    size_t len; /* bytes of path used; 0: unnamed */
    char path[UNIX_PATH_MAX];
};

/* send/recv flags */
#define UNIX_DONTWAIT 0x1
#define UNIX_PEEK     0x2

/* shutdown */
#define UNIX_SHUT_RD 0x1
#define UNIX_SHUT_WR 0x2

/* SCM_RIGHTS: files in flight, each referenced, in a kmalloc'd array. */
#define UNIX_MAX_RIGHTS 253 /* Linux's SCM_MAX_FD */
struct unix_rights {
    struct file **files;
    size_t n;
};
/* Drops the files and the array. */
void unix_rights_put(struct unix_rights *r);

/* A new socket file; flags: VFS_O_NONBLOCK. -EPROTONOSUPPORT for another type. */
int unix_socket(int type, unsigned flags, struct file **out);
/* Two sockets connected to each other (socketpair). */
int unix_pair(int type, unsigned flags, struct file **a, struct file **b);
bool unix_is_socket(struct file *f);
int unix_type(struct file *f);
int unix_bind(struct file *f, const struct unix_addr *a);
int unix_listen(struct file *f, int backlog);
int unix_accept(struct file *f, unsigned flags, struct file **out, struct unix_addr *peer);
int unix_connect(struct file *f, const struct unix_addr *a);
/* to: NULL for the connected peer. -EPIPE when the peer is gone (the
 * caller raises SIGPIPE). */
ssize_t unix_sendto(struct file *f, const void *buf, size_t len, int flags,
                    const struct unix_addr *to);
ssize_t unix_recvfrom(struct file *f, void *buf, size_t len, int flags, struct unix_addr *from);
/* The same with files: the message takes rights' files (leaving it empty)
 * once sent; a receive fills rights with those of the message it reads
 * (for a stream, it stops at the end of that message). */
ssize_t unix_sendmsg(struct file *f, const void *buf, size_t len, int flags,
                     const struct unix_addr *to, struct unix_rights *rights);
ssize_t unix_recvmsg(struct file *f, void *buf, size_t len, int flags, struct unix_addr *from,
                     struct unix_rights *rights);
int unix_shutdown(struct file *f, int how);
/* getsockname (peer false) and getpeername (-ENOTCONN without a peer). */
int unix_name(struct file *f, bool peer, struct unix_addr *out);
/* SO_ERROR: the pending error (-errno, reading clears it); SO_ACCEPTCONN. */
int unix_take_error(struct file *f);
bool unix_listening(struct file *f);

#endif
