/*
 * The image's /etc/resolv.conf, made to name the nameserver of the network
 * the guest is on (kernel/core/resolv.c).
 */
#ifndef UNIKIT_RESOLV_H
#define UNIKIT_RESOLV_H

#include "types.h"

/*
 * The nameserver the boot command line asks for, in host byte order:
 * "net.dns=ADDR" (a container's nameserver, `unikit run` on a tap), else
 * the .3 of "net.ip=ADDR/PREFIX"'s network (`unikit run --ip` moves QEMU's
 * user network, and its DNS proxy with it). False when it asks for none.
 */
bool resolv_nameserver(const char *cmdline, uint32_t *dns);

/* Rewrites the resolv.conf the builder wrote ("nameserver 10.0.2.3", the
 * user network's proxy) to name that nameserver; a resolv.conf the image
 * ships itself is left alone. Before the program starts. */
void resolv_follow_network(const char *cmdline);

#endif
