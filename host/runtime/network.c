/*
 * The guest's network, in the container's network namespace. The
 * namespace is the one the container process made at create (docker: its
 * libnetwork-setkey prestart hook then made eth0 in it), one the bundle
 * names (podman, a CRI pod's), or the host's own when the bundle has none.
 *
 * - A namespace with eth0: the guest stands in for eth0 (host/lib/netns.h:
 *   a tap beside it, tc redirects both ways) with eth0's MAC, address and
 *   gateway, so the engine's port mappings and the container's address
 *   reach the program unchanged; its resolver is the first nameserver of
 *   the resolv.conf the engine mounts for the container.
 * - A namespace without one (ctr's default, `--network none`): QEMU's user
 *   network, whose sockets live in that namespace, so the guest reaches
 *   exactly what the container could (nothing but itself), at once rather
 *   than after a DHCP wait.
 * - The host's namespace (host networking): QEMU's user network, so the
 *   program reaches what the host reaches, as a host-network container does;
 *   nothing reaches its listening ports from outside.
 * A program built without the network object gets no NIC at all.
 */
#include <stdio.h>
#include <string.h>

#include "netns.h"
#include "runtime.h"

static struct netns_link guest_link = {.tap_fd = -1};
static struct qemu_tap tap;
static char nameserver[16];

/* The first IPv4 nameserver in path, or "" when there is none. */
static void read_nameserver(const char *path)
{
    nameserver[0] = '\0';
    FILE *f = path ? fopen(path, "re") : NULL;
    char line[256], addr[64];
    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, " nameserver %63s", addr) == 1 && !strchr(addr, ':') &&
            strlen(addr) < sizeof(nameserver)) {
            strcpy(nameserver, addr);
            break;
        }
    }
    if (f)
        fclose(f);
}

int runtime_network_setup(const struct bundle *b, const struct unikit_image *img,
                          struct qemu_boot *boot, char *err, size_t errlen)
{
    boot->net = img->net;
    if (!img->net || b->netns == NETNS_HOST)
        return 0;
    if (b->netns == NETNS_PATH && netns_join(b->netns_path, err, errlen) < 0)
        return -1;
    int rc = netns_link_guest("eth0", &guest_link, err, errlen);
    if (rc == NETNS_NO_INTERFACE)
        return 0;
    if (rc < 0)
        return -1;
    tap = (struct qemu_tap){.fd = guest_link.tap_fd, .mac = guest_link.mac};
    read_nameserver(b->resolv_conf);
    boot->tap = &tap;
    boot->ip = guest_link.ip;
    boot->gateway = guest_link.gateway;
    boot->dns = nameserver[0] ? nameserver : NULL;
    return 0;
}

void runtime_network_release(void)
{
    netns_link_release(&guest_link);
}
