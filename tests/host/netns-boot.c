/*
 * tests/cli/netns.sh's driver: boots an image file on a container's
 * network as the OCI runtime does (netns.h, then qemu_run on the tap), so
 * the library is tested without the runtime or a container engine.
 *
 *   netns-boot [--dns ADDR] [--ifname NAME] NETNS ARCH IMAGE ARG...
 *
 * Joins the network namespace at NETNS, links the guest to NAME (eth0),
 * prints "link MAC IP GATEWAY TAP" on stderr, and boots IMAGE (ARG... is
 * the program's argv, from cmd[0]) with the accelerator unikit chooses.
 * Exits with the program's status; 125 with one line when something
 * fails, 3 when the namespace has no such interface.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accel.h"
#include "netns.h"
#include "qemu.h"
#include "util.h"

#define EXIT_NO_INTERFACE 3

static int fail(const char *why)
{
    fprintf(stderr, "netns-boot: %s\n", why);
    return EXIT_UNIKIT_ERROR;
}

static int boot(const char *arch, const char *image, char **argv, const struct netns_link *l,
                const char *dns)
{
    char err[1024];
    struct accel_choice accel;
    char *home = unikit_home();
    int rc = accel_choose(home, arch, NULL, &accel, err, sizeof(err));
    free(home);
    if (rc < 0)
        return fail(err);
    struct qemu_tap tap = {.fd = l->tap_fd, .mac = l->mac};
    struct qemu_boot b = {
        .arch = arch,
        .image = image,
        .memory = 32u << 20,
        .argv = argv,
        .accel = accel.name,
        .net = true,
        .ip = l->ip,
        .gateway = l->gateway,
        .dns = dns,
        .tap = &tap,
        .die_with_parent = true,
    };
    struct qemu_result res;
    if (qemu_run(&b, &res, err, sizeof(err)) < 0)
        return fail(err);
    return res.exit_code;
}

int main(int argc, char **argv)
{
    const char *dns = NULL, *ifname = "eth0";
    int i = 1;
    for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (strcmp(argv[i], "--dns") == 0)
            dns = argv[i + 1];
        else if (strcmp(argv[i], "--ifname") == 0)
            ifname = argv[i + 1];
        else
            return fail("unknown option");
    }
    if (argc - i < 4)
        return fail("usage: netns-boot [--dns ADDR] [--ifname NAME] NETNS ARCH IMAGE ARG...");
    char err[512];
    struct netns_link link;
    if (netns_join(argv[i], err, sizeof(err)) < 0)
        return fail(err);
    int rc = netns_link_guest(ifname, &link, err, sizeof(err));
    if (rc == NETNS_NO_INTERFACE) {
        fprintf(stderr, "netns-boot: %s\n", err);
        return EXIT_NO_INTERFACE;
    }
    if (rc < 0)
        return fail(err);
    fprintf(stderr, "link %s %s %s %s\n", link.mac, link.ip, link.gateway[0] ? link.gateway : "-",
            link.tapname);
    rc = boot(argv[i + 1], argv[i + 2], argv + i + 3, &link, dns);
    netns_link_release(&link);
    return rc;
}
