#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netns_tc.h"
#include "util.h"

/* The tap's name: the kernel puts the first free number in place of %d. */
#define TAP_NAME_PATTERN "unikit%d"

int netns_join(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errorf(err, errlen, "cannot open network namespace %s: %s", path, strerror(errno));
    int rc = setns(fd, CLONE_NEWNET);
    int saved = errno;
    close(fd);
    if (rc == 0)
        return 0;
    if (saved == EINVAL)
        return errorf(err, errlen, "%s is not a network namespace", path);
    return errorf(err, errlen, "cannot join network namespace %s: %s", path, strerror(saved));
}

static void ifreq_for(struct ifreq *ifr, const char *ifname)
{
    memset(ifr, 0, sizeof(*ifr));
    snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
}

/* The MAC as the namespace sees it (sysfs may show another namespace's). */
static int read_mac(int sock, const char *ifname, char *mac, size_t len, char *err, size_t errlen)
{
    struct ifreq ifr;
    ifreq_for(&ifr, ifname);
    if (ioctl(sock, SIOCGIFHWADDR, &ifr) < 0)
        return errorf(err, errlen, "%s: reading its MAC address: %s", ifname, strerror(errno));
    if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
        return errorf(err, errlen, "%s: not an Ethernet interface (hardware type %d)", ifname,
                      ifr.ifr_hwaddr.sa_family);
    const unsigned char *a = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
    snprintf(mac, len, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3], a[4], a[5]);
    return 0;
}

/* "ADDR/PREFIX": the interface's (first) IPv4 address and its netmask's length. */
static int read_ipv4(int sock, const char *ifname, char *ip, size_t len, char *err, size_t errlen)
{
    struct ifreq ifr;
    char addr[INET_ADDRSTRLEN];
    ifreq_for(&ifr, ifname);
    if (ioctl(sock, SIOCGIFADDR, &ifr) < 0)
        return errorf(err, errlen, "%s: reading its IPv4 address: %s", ifname,
                      errno == EADDRNOTAVAIL ? "it has none" : strerror(errno));
    struct in_addr a = ((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr;
    inet_ntop(AF_INET, &a, addr, sizeof(addr));
    ifreq_for(&ifr, ifname);
    if (ioctl(sock, SIOCGIFNETMASK, &ifr) < 0)
        return errorf(err, errlen, "%s: reading its netmask: %s", ifname, strerror(errno));
    uint32_t mask = ntohl(((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr.s_addr);
    snprintf(ip, len, "%s/%d", addr, __builtin_popcount(mask));
    return 0;
}

/* The gateway of the default route through ifname, or "" when there is
   none: /proc/thread-self/net is this thread's network namespace's. */
static int read_gateway(const char *ifname, char *gw, size_t len, char *err, size_t errlen)
{
    static const char routes[] = "/proc/thread-self/net/route";
    FILE *f = fopen(routes, "r");
    char line[256], dev[IF_NAMESIZE + 1];
    unsigned dest, gateway, flags, mask;
    gw[0] = '\0';
    if (!f)
        return errorf(err, errlen, "%s: reading %s: %s", ifname, routes, strerror(errno));
    while (fgets(line, sizeof(line), f)) {
        /* Iface Destination Gateway Flags RefCnt Use Metric Mask: addresses in hex, as stored */
        if (sscanf(line, "%16s %x %x %x %*d %*u %*d %x", dev, &dest, &gateway, &flags, &mask) != 5)
            continue;
        if (strcmp(dev, ifname) == 0 && dest == 0 && mask == 0 && (flags & 0x2 /* RTF_GATEWAY */)) {
            struct in_addr a = {.s_addr = gateway};
            inet_ntop(AF_INET, &a, gw, (socklen_t)len);
            break;
        }
    }
    fclose(f);
    return 0;
}

static int set_up(int sock, const char *ifname, char *err, size_t errlen)
{
    struct ifreq ifr;
    ifreq_for(&ifr, ifname);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
        return errorf(err, errlen, "%s: reading its flags: %s", ifname, strerror(errno));
    if (ifr.ifr_flags & IFF_UP)
        return 0;
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
        return errorf(err, errlen, "%s: bringing it up: %s", ifname, strerror(errno));
    return 0;
}

/* A tap device (frames without a packet-information header), not persistent. */
static int open_tap(struct netns_link *l, char *err, size_t errlen)
{
    l->tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (l->tap_fd < 0)
        return errorf(err, errlen, "%s: opening /dev/net/tun for a tap device: %s", l->ifname,
                      strerror(errno));
    struct ifreq ifr;
    ifreq_for(&ifr, TAP_NAME_PATTERN);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(l->tap_fd, TUNSETIFF, &ifr) < 0) {
        int saved = errno;
        close(l->tap_fd);
        l->tap_fd = -1;
        return errorf(err, errlen, "%s: creating a tap device: %s", l->ifname, strerror(saved));
    }
    snprintf(l->tapname, sizeof(l->tapname), "%s", ifr.ifr_name);
    return 0;
}

/* The tap up, and frames redirected both ways; on failure, nothing of it left. */
static int connect_tap(int sock, struct netns_link *l, char *err, size_t errlen)
{
    char why[256];
    int tap = (int)if_nametoindex(l->tapname), dev = (int)if_nametoindex(l->ifname);
    if (set_up(sock, l->tapname, err, errlen) < 0 || set_up(sock, l->ifname, err, errlen) < 0)
        return -1;
    if (!tap || !dev)
        return errorf(err, errlen, "%s: its index or the tap's: %s", l->ifname, strerror(errno));
    if (tc_redirect_ingress(dev, tap, why, sizeof(why)) < 0)
        return errorf(err, errlen, "%s: redirecting its frames to %s: %s", l->ifname, l->tapname,
                      why);
    if (tc_redirect_ingress(tap, dev, why, sizeof(why)) < 0) {
        tc_remove_ingress(dev, NULL, 0);
        return errorf(err, errlen, "%s: redirecting %s's frames to it: %s", l->ifname, l->tapname,
                      why);
    }
    return 0;
}

static int read_settings(int sock, struct netns_link *l, char *err, size_t errlen)
{
    if (read_mac(sock, l->ifname, l->mac, sizeof(l->mac), err, errlen) < 0 ||
        read_ipv4(sock, l->ifname, l->ip, sizeof(l->ip), err, errlen) < 0 ||
        read_gateway(l->ifname, l->gateway, sizeof(l->gateway), err, errlen) < 0)
        return -1;
    return 0;
}

int netns_link_guest(const char *ifname, struct netns_link *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->tap_fd = -1;
    if (strlen(ifname) >= sizeof(out->ifname))
        return errorf(err, errlen, "%s: not an interface name (too long)", ifname);
    snprintf(out->ifname, sizeof(out->ifname), "%s", ifname);
    if (if_nametoindex(ifname) == 0) {
        if (errno != ENODEV)
            return errorf(err, errlen, "%s: looking it up: %s", ifname, strerror(errno));
        errorf(err, errlen, "no interface %s in this network namespace", ifname);
        return NETNS_NO_INTERFACE;
    }
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return errorf(err, errlen, "%s: opening a socket: %s", ifname, strerror(errno));
    int rc = read_settings(sock, out, err, errlen);
    if (rc == 0)
        rc = open_tap(out, err, errlen);
    if (rc == 0 && (rc = connect_tap(sock, out, err, errlen)) < 0) {
        close(out->tap_fd);
        out->tap_fd = -1;
    }
    close(sock);
    return rc;
}

void netns_link_release(struct netns_link *l)
{
    if (l->tap_fd < 0)
        return;
    /* The tap's own qdisc goes with the tap; ifname's must be removed. */
    int dev = (int)if_nametoindex(l->ifname);
    if (dev)
        tc_remove_ingress(dev, NULL, 0);
    close(l->tap_fd);
    l->tap_fd = -1;
}
