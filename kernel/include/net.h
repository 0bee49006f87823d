/*
 * The network stack (kernel/net/): lwIP on the machine's network device,
 * and sockets as files (vfs.h). Types and flags here are the stack's own;
 * kernel/linux/net.c translates the Linux ABI to them.
 *
 * The stack starts with the first socket: a program that never opens one
 * never touches the network device. Addresses come from DHCP, or from
 * "net.ip=ADDR/PREFIX" and "net.gw=ADDR" on the boot command line.
 */
#ifndef UNIKIT_NET_H
#define UNIKIT_NET_H

#include "types.h"

struct file;

#define NET_STREAM 1
#define NET_DGRAM  2

/* An IPv4 endpoint: ip in network byte order, port in host byte order. */
struct net_addr {
    uint32_t ip;
    uint16_t port;
};

/* send/recv flags */
#define NET_DONTWAIT 0x1
#define NET_PEEK     0x2

/* shutdown */
#define NET_SHUT_RD 0x1
#define NET_SHUT_WR 0x2

enum net_opt {
    NET_OPT_REUSEADDR,
    NET_OPT_KEEPALIVE,
    NET_OPT_RCVBUF,
    NET_OPT_SNDBUF,
    NET_OPT_NODELAY,
    NET_OPT_ERROR, /* reading it clears it */
    NET_OPT_TYPE,
    NET_OPT_ACCEPTCONN,
    NET_OPT_CORK,      /* accepted and kept; data is sent as written */
    NET_OPT_KEEPIDLE,  /* seconds */
    NET_OPT_KEEPINTVL, /* seconds */
    NET_OPT_KEEPCNT,
    NET_OPT_LINGER,   /* seconds, or -1 when off (SO_LINGER's l_onoff 0) */
    NET_OPT_RCVTIMEO, /* milliseconds a blocking receive or accept waits; 0: for ever */
    NET_OPT_SNDTIMEO, /* the same for a blocking send or connect */
    NET_OPT_V6ONLY,   /* an AF_INET6 socket's IPV6_V6ONLY: see net_set_inet6 */
};

/* Brings the stack up (once): -ENETDOWN when the machine has no network
 * device. Waits for DHCP to give an address. */
int net_start(void);

/* A new socket file; flags: VFS_O_NONBLOCK. */
int net_socket(int type, unsigned flags, struct file **out);
bool net_is_socket(struct file *f);
/*
 * Marks a new socket as the program's AF_INET6 one (its connections are
 * too). The stack has IPv4 alone: an AF_INET6 socket is dual-stack, its
 * IPv4 peers IPv4-mapped (kernel/linux/net.c translates), as on a Linux
 * host without IPv6 connectivity. With NET_OPT_V6ONLY set before bind it
 * is an IPv6-only socket in a network with no IPv6: it binds and listens
 * without taking the IPv4 port, and nothing ever reaches it.
 */
void net_set_inet6(struct file *f);
bool net_inet6(struct file *f);
int net_bind(struct file *f, const struct net_addr *a);
int net_listen(struct file *f, int backlog);
int net_accept(struct file *f, unsigned flags, struct file **out, struct net_addr *peer);
/* -EINPROGRESS for a non-blocking stream socket; SO_ERROR says how it ended. */
int net_connect(struct file *f, const struct net_addr *a);
ssize_t net_sendto(struct file *f, const void *buf, size_t len, int flags,
                   const struct net_addr *to);
ssize_t net_recvfrom(struct file *f, void *buf, size_t len, int flags, struct net_addr *from);
int net_shutdown(struct file *f, int how);
int net_name(struct file *f, bool peer, struct net_addr *out);
int net_setopt(struct file *f, enum net_opt opt, int value);
int net_getopt(struct file *f, enum net_opt opt, int *value);

#endif
