/* Between the stack (stack.c) and the sockets (socket.c): private to kernel/net/. */
#ifndef UNIKIT_NET_STACK_H
#define UNIKIT_NET_STACK_H

#include "types.h"

/* Wakes the net thread: lwIP may have new timers or frames to send. */
void net_kick(void);

/* The interface's address, network byte order (0 before DHCP answers). */
uint32_t net_local_ip(void);

#endif
