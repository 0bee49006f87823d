/*
 * The traffic-control half of netns.c, private to it: over rtnetlink, an
 * ingress qdisc on a device with one filter that redirects every frame it
 * receives to another device's egress, as
 *   tc qdisc add dev FROM ingress
 *   tc filter add dev FROM parent ffff: protocol all u32 match u8 0 0 \
 *       action mirred egress redirect dev TO
 * would (u32: the one classifier every kernel with tc has; matchall and
 * flower are often modules a minimal kernel lacks).
 */
#ifndef UNIKIT_NETNS_TC_H
#define UNIKIT_NETNS_TC_H

#include <stddef.h>

/* 0, or -1 with the kernel's reason in err (no device name: the caller adds it). */
int tc_redirect_ingress(int from_ifindex, int to_ifindex, char *err, size_t errlen);

/* Deletes the ingress qdisc of a device, and its filters with it. 0, or -1 with err. */
int tc_remove_ingress(int ifindex, char *err, size_t errlen);

#endif
