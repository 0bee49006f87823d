/*
 * The guest's network: THE place where host/lib/netns.h plugs in.
 *
 * Called once in the container process, after start (so after the
 * createRuntime and prestart hooks: docker's libnetwork-setkey hook has by
 * then made eth0 in the namespace the container process unshared at
 * create), and before QEMU boots. The namespace is then:
 *   NETNS_NEW:  the one this process made at create (/proc/self/ns/net);
 *   NETNS_PATH: b->netns_path, to be joined here (podman, CRI);
 *   NETNS_HOST: the host's own (no namespace in the bundle).
 * What is to come: join the namespace, put a tap beside eth0 with tc
 * redirects both ways, give the guest eth0's MAC, address, prefix and
 * gateway, and pass QEMU the tap (-netdev tap,fd=) through boot. Until then
 * the guest has no NIC.
 */
#include "runtime.h"

int runtime_network_setup(const struct bundle *b, const struct unikit_image *img,
                          struct qemu_boot *boot, char *err, size_t errlen)
{
    (void)b;
    (void)img;
    (void)err;
    (void)errlen;
    boot->net = false;
    return 0;
}
