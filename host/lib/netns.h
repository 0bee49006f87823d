/*
 * A unikit guest on a container's network: in the container's network
 * namespace, the guest takes the place of the namespace's interface
 * (eth0, which docker, podman or a CNI plugin made). A tap device the
 * guest's NIC uses is opened beside it, and tc redirects every frame
 * between the two (an ingress qdisc on each, a u32 filter matching all
 * with a mirred egress redirect), so what reaches eth0 reaches the guest
 * and what the guest sends leaves through eth0. The guest takes eth0's
 * MAC, IPv4 address and default gateway, so the engine's port mappings
 * and the container's address reach it unchanged.
 *
 * The tap is not persistent: it goes when its last descriptor closes
 * (QEMU's and the caller's), so nothing is left behind in the namespace.
 */
#ifndef UNIKIT_NETNS_H
#define UNIKIT_NETNS_H

#include <net/if.h>
#include <stddef.h>

/* What netns_link_guest returns when the namespace has no such interface:
 * the caller may boot without a NIC (or on an isolated user network). */
#define NETNS_NO_INTERFACE 1

struct netns_link {
    int tap_fd;                /* the tap device, for QEMU (qemu.h: qemu_tap); -1: none */
    char ifname[IF_NAMESIZE];  /* the namespace's interface the guest stands in for */
    char tapname[IF_NAMESIZE]; /* the tap device's name */
    char mac[18];              /* ifname's MAC, "aa:bb:cc:dd:ee:ff", for the guest's NIC */
    char ip[24];               /* ifname's IPv4 address, "ADDR/PREFIX" */
    char gateway[16];          /* the default route's gateway through ifname; "" if none */
};

/* Moves the calling thread into the network namespace at path (a
 * /proc/PID/ns/net or a bind mount such as /run/netns/NAME). 0, or -1 with
 * one line in err. */
int netns_join(const char *path, char *err, size_t errlen);

/*
 * In the current network namespace: reads ifname's MAC, IPv4 address and
 * default gateway, opens a tap device and redirects frames both ways
 * between ifname and the tap. Returns 0 with *out filled;
 * NETNS_NO_INTERFACE with one line in err when there is no ifname; -1 with
 * one line naming the interface and the step that failed, with nothing
 * left behind. Needs CAP_NET_ADMIN in the namespace.
 */
int netns_link_guest(const char *ifname, struct netns_link *out, char *err, size_t errlen);

/* Removes the redirect from ifname and closes the tap (which goes once
 * QEMU's descriptor closes too). Does nothing to a link already released
 * or one netns_link_guest did not fill. */
void netns_link_release(struct netns_link *l);

#endif
