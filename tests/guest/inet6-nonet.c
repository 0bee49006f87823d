// native: no (the host may have IPv6 addresses and routes; the guest has none)
// native-aarch64: no (qemu-aarch64 passes the calls to the host, whose network may have IPv6)
// AF_INET6 beyond what stands for IPv4 in a guest whose network has no IPv6:
// an IPv6 address is unreachable to connect or send to (ENETUNREACH), not
// the machine's to bind (EADDRNOTAVAIL), and an IPv6-only socket reaches
// nothing, ::1 included; what IPv4 stands behind still works beside them.
#include "guest.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static struct sockaddr_in6 v6(const char *text, int port)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
    inet_pton(AF_INET6, text, &a.sin6_addr);
    return a;
}

int main(void)
{
    struct sockaddr_in6 doc = v6("2001:db8::1", 80), local = v6("fe80::1", 0);
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    want("connect to [2001:db8::1]", connect(s, (struct sockaddr *)&doc, sizeof(doc)), ENETUNREACH);
    want("bind to [fe80::1]", bind(s, (struct sockaddr *)&local, sizeof(local)), EADDRNOTAVAIL);
    close(s);

    int u = socket(AF_INET6, SOCK_DGRAM, 0);
    want("sendto [2001:db8::1]", sendto(u, "x", 1, 0, (struct sockaddr *)&doc, sizeof(doc)),
         ENETUNREACH);
    struct sockaddr_in6 short_form = v6("::1", 9);
    want("a sockaddr_in6 cut short", connect(u, (struct sockaddr *)&short_form, 20), EINVAL);
    close(u);

    int o = socket(AF_INET6, SOCK_STREAM, 0), one = 1;
    setsockopt(o, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    struct sockaddr_in6 lo = v6("::1", 9);
    want("IPv6-only connect to [::1]", connect(o, (struct sockaddr *)&lo, sizeof(lo)), ENETUNREACH);
    close(o);
    return guest_done();
}
