#include "network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int network_parse_port(const char *spec, struct port_map *m, char *err, size_t errlen)
{
    char proto[8] = "tcp";
    int n = 0;
    if (sscanf(spec, "%d:%d%n", &m->host, &m->guest, &n) != 2 ||
        (spec[n] && (spec[n] != '/' || sscanf(spec + n + 1, "%7s", proto) != 1)) ||
        (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) || m->host < 1 ||
        m->host > 65535 || m->guest < 1 || m->guest > 65535) {
        snprintf(err, errlen, "-p '%s': expected HOST:GUEST[/tcp|/udp], ports 1-65535", spec);
        return -1;
    }
    m->udp = strcmp(proto, "udp") == 0;
    return 0;
}

/* Binds as QEMU's user network will (SO_REUSEADDR, so a port in TIME_WAIT
 * is not mistaken for a taken one). 0 or an errno. */
static int try_bind(const struct port_map *m, uint32_t addr)
{
    int fd = socket(AF_INET, m->udp ? SOCK_DGRAM : SOCK_STREAM, 0);
    if (fd < 0)
        return errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sin = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)m->host),
                              .sin_addr.s_addr = htonl(addr)};
    int rc = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ? errno : 0;
    close(fd);
    return rc;
}

static int check_free(const char *spec, const struct port_map *m, char *err, size_t errlen)
{
    /* QEMU listens on every address; a listener on loopback alone blocks it too. */
    int e = try_bind(m, INADDR_ANY);
    if (!e)
        e = try_bind(m, INADDR_LOOPBACK);
    if (!e)
        return 0;
    if (e == EADDRINUSE)
        snprintf(err, errlen, "-p %s: port %d/%s on the host is already in use", spec, m->host,
                 m->udp ? "udp" : "tcp");
    else
        snprintf(err, errlen, "-p %s: cannot bind port %d on the host: %s", spec, m->host,
                 strerror(e));
    return -1;
}

int network_check_ports(char **specs, char *err, size_t errlen)
{
    for (size_t i = 0; specs && specs[i]; i++) {
        struct port_map m, prev;
        if (network_parse_port(specs[i], &m, err, errlen) < 0)
            return -1;
        for (size_t j = 0; j < i; j++) {
            network_parse_port(specs[j], &prev, err, errlen);
            if (prev.host == m.host && prev.udp == m.udp) {
                snprintf(err, errlen, "-p %s: host port %d is already given by -p %s", specs[i],
                         m.host, specs[j]);
                return -1;
            }
        }
        if (check_free(specs[i], &m, err, errlen) < 0)
            return -1;
    }
    return 0;
}

int network_check_ip(const char *ip, char *err, size_t errlen)
{
    unsigned o[4], prefix;
    char end;
    if (sscanf(ip, "%u.%u.%u.%u/%u%c", &o[0], &o[1], &o[2], &o[3], &prefix, &end) != 5 ||
        o[0] > 255 || o[1] > 255 || o[2] > 255 || o[3] > 255 || prefix < 1 || prefix > 30) {
        snprintf(err, errlen, "--ip '%s': expected ADDR/PREFIX such as 10.0.2.20/24", ip);
        return -1;
    }
    uint32_t addr = o[0] << 24 | o[1] << 16 | o[2] << 8 | o[3];
    uint32_t host = addr & ~(0xffffffffu << (32 - prefix));
    /* The user network keeps .2 (gateway, the host) and .3 (DNS) of its network. */
    if (host == 0 || host == ~(0xffffffffu << (32 - prefix)) || host == 2 || host == 3) {
        snprintf(err, errlen,
                 "--ip '%s': the network's first, last, .2 (gateway) and .3 (DNS) "
                 "addresses are taken",
                 ip);
        return -1;
    }
    return 0;
}

void network_port_text(const char *spec, char *buf, size_t len)
{
    struct port_map m;
    char err[128];
    if (network_parse_port(spec, &m, err, sizeof(err)) < 0)
        snprintf(buf, len, "%s", spec);
    else
        snprintf(buf, len, "0.0.0.0:%d->%d/%s", m.host, m.guest, m.udp ? "udp" : "tcp");
}
