/*
 * The socket calls' numbers as Linux defines them (include/linux/socket.h,
 * asm-generic/socket.h): the ones both families share, for socket.c
 * (AF_UNIX, and the dispatch) and net.c (AF_INET and AF_INET6, in the network
 * object).
 */
#ifndef UNIKIT_LINUX_SOCKET_ABI_H
#define UNIKIT_LINUX_SOCKET_ABI_H

#include "abi.h"

#define AF_UNIX          1
#define AF_INET          2
#define AF_INET6         10
#define SOCK_STREAM      1
#define SOCK_DGRAM       2
#define SOCK_TYPE_MASK   0xf
#define SOCK_NONBLOCK    O_NONBLOCK
#define SOCK_CLOEXEC     O_CLOEXEC
#define SOL_SOCKET       1
#define SO_REUSEADDR     2
#define SO_TYPE          3
#define SO_ERROR         4
#define SO_SNDBUF        7
#define SO_RCVBUF        8
#define SO_KEEPALIVE     9
#define SO_LINGER        13
#define SO_REUSEPORT     15
#define SO_PASSCRED      16
#define SO_PEERCRED      17
#define SO_RCVTIMEO      20
#define SO_SNDTIMEO      21
#define SO_ACCEPTCONN    30
#define SO_PROTOCOL      38
#define SO_DOMAIN        39
#define MSG_PEEK         0x2
#define MSG_CTRUNC       0x8
#define MSG_DONTWAIT     0x40
#define MSG_NOSIGNAL     0x4000
#define MSG_CMSG_CLOEXEC 0x40000000
#define SCM_RIGHTS       1
#define SHUT_RD          0
#define SHUT_WR          1
#define SHUT_RDWR        2

#endif
