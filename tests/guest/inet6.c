// AF_INET6 sockets over loopback, as Linux has them on a host whose network
// has no IPv6: a socket bound to [::] is dual-stack, an IPv4 client reaches
// it and shows as ::ffff:127.0.0.1, an AF_INET6 client reaches an IPv4
// listener through an IPv4-mapped address or ::1, UDP too; IPV6_V6ONLY is
// 0 until set, settable before bind only, and an IPv6-only listener on a
// port an IPv4 listener holds neither conflicts with it nor takes its
// clients. Ports are the kernel's choice (bind to port 0), so the test
// runs beside anything else on the host.
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

static struct sockaddr_in v4(const char *text, int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, text, &a.sin_addr);
    return a;
}

static int port_of(int fd)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof(a);
    if (getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        return -1;
    return ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
                                         : ((struct sockaddr_in *)&a)->sin_port);
}

/* "family address" of a sockaddr, for the output. */
static const char *text_of(const struct sockaddr_storage *a)
{
    static char buf[80];
    char addr[INET6_ADDRSTRLEN] = "?";
    if (a->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)a)->sin6_addr, addr, sizeof addr);
    else if (a->ss_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)a)->sin_addr, addr, sizeof addr);
    snprintf(buf, sizeof buf, "%s %s", a->ss_family == AF_INET6 ? "inet6" : "inet", addr);
    return buf;
}

/* A listening AF_INET socket on a port of the kernel's choosing. */
static int ipv4_listener(const char *addr)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = v4(addr, 0);
    bind(l, (struct sockaddr *)&a, sizeof(a));
    listen(l, 4);
    return l;
}

static int v6only(int fd)
{
    int on = -1;
    socklen_t len = sizeof(on);
    return getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, &len) < 0 ? -1 : on;
}

static void dual_stack_listener(void)
{
    int l = socket(AF_INET6, SOCK_STREAM, 0);
    want("socket(AF_INET6, SOCK_STREAM)", l, 0);
    check("IPV6_V6ONLY is 0 at first", v6only(l) == 0);
    struct sockaddr_in6 any = v6("::", 0);
    want("bind [::]:0", bind(l, (struct sockaddr *)&any, sizeof(any)), 0);
    int one = 1;
    want("IPV6_V6ONLY after bind", setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)),
         EINVAL);
    want("listen", listen(l, 4), 0);
    struct sockaddr_storage name;
    socklen_t len = sizeof(name);
    getsockname(l, (struct sockaddr *)&name, &len);
    printf("getsockname: %s, length %s\n", text_of(&name),
           len == sizeof(struct sockaddr_in6) ? "sockaddr_in6" : "other");
    int port = port_of(l);

    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in lo = v4("127.0.0.1", port);
    want("IPv4 client connects to it", connect(c, (struct sockaddr *)&lo, sizeof(lo)), 0);
    struct sockaddr_storage peer;
    len = sizeof(peer);
    int s = accept(l, (struct sockaddr *)&peer, &len);
    want("accept", s, 0);
    printf("accepted peer: %s\n", text_of(&peer));
    len = sizeof(peer);
    getsockname(s, (struct sockaddr *)&peer, &len);
    printf("accepted socket's name: %s\n", text_of(&peer));
    char buf[8] = "";
    check("data both ways", write(c, "ping", 4) == 4 && read(s, buf, sizeof buf) == 4 &&
                                write(s, "pong", 4) == 4 && read(c, buf, sizeof buf) == 4 &&
                                memcmp(buf, "pong", 4) == 0);
    close(s);
    close(c);

    const char *via[] = {"::ffff:127.0.0.1", "::1"};
    for (int i = 0; i < 2; i++) {
        c = socket(AF_INET6, SOCK_STREAM, 0);
        struct sockaddr_in6 to = v6(via[i], port);
        char label[64];
        snprintf(label, sizeof label, "AF_INET6 client connects to [%s]", via[i]);
        want(label, connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
        s = accept(l, NULL, NULL);
        check("  accepted", s >= 0);
        close(s);
        close(c);
    }
    close(l);
}

static void mapped_client_to_ipv4_listener(void)
{
    int l = ipv4_listener("127.0.0.1");
    int c = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 to = v6("::ffff:127.0.0.1", port_of(l));
    want("AF_INET6 client to an IPv4 listener", connect(c, (struct sockaddr *)&to, sizeof(to)), 0);
    struct sockaddr_storage a;
    socklen_t len = sizeof(a);
    getpeername(c, (struct sockaddr *)&a, &len);
    printf("client's peer: %s\n", text_of(&a));
    len = sizeof(a);
    int s = accept(l, (struct sockaddr *)&a, &len);
    printf("listener sees: %s\n", text_of(&a));
    close(s);
    close(c);
    close(l);
}

static void udp(void)
{
    int r = socket(AF_INET6, SOCK_DGRAM, 0);
    want("socket(AF_INET6, SOCK_DGRAM)", r, 0);
    struct sockaddr_in6 any = v6("::", 0);
    want("bind [::]:0", bind(r, (struct sockaddr *)&any, sizeof(any)), 0);
    int w = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = v4("127.0.0.1", port_of(r));
    want("IPv4 sendto it", sendto(w, "hi", 2, 0, (struct sockaddr *)&to, sizeof(to)), 0);
    struct sockaddr_storage from;
    socklen_t len = sizeof(from);
    char buf[8];
    want("recvfrom", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 0);
    printf("datagram from: %s\n", text_of(&from));
    int w6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 to6 = v6("::1", port_of(r));
    want("AF_INET6 sendto [::1]", sendto(w6, "ho", 2, 0, (struct sockaddr *)&to6, sizeof(to6)), 0);
    check("  received", recv(r, buf, sizeof buf, 0) == 2 && memcmp(buf, "ho", 2) == 0);
    close(w6);
    close(w);
    close(r);
}

static void v6only_beside_ipv4(void)
{
    int l4 = ipv4_listener("0.0.0.0");
    int port = port_of(l4);
    int l6 = socket(AF_INET6, SOCK_STREAM, 0);
    int one = 1;
    want("IPV6_V6ONLY before bind", setsockopt(l6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)),
         0);
    check("IPV6_V6ONLY reads 1", v6only(l6) == 1);
    struct sockaddr_in6 mapped = v6("::ffff:127.0.0.1", port);
    want("IPv6-only bind to a mapped address", bind(l6, (struct sockaddr *)&mapped, sizeof(mapped)),
         EINVAL);
    struct sockaddr_in6 any = v6("::", port);
    want("IPv6-only bind to [::] on the IPv4 listener's port",
         bind(l6, (struct sockaddr *)&any, sizeof(any)), 0);
    want("listen", listen(l6, 4), 0);
    check("same port", port_of(l6) == port);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in lo = v4("127.0.0.1", port);
    want("IPv4 client connects", connect(c, (struct sockaddr *)&lo, sizeof(lo)), 0);
    int s = accept(l4, NULL, NULL);
    check("the IPv4 listener takes it", s >= 0);
    fcntl(l6, F_SETFL, O_NONBLOCK);
    want("the IPv6-only one has nothing", accept(l6, NULL, NULL), EAGAIN);
    close(s);
    close(c);
    close(l6);
    close(l4);
}

/* IPv6's level on an AF_INET socket, and socketpair, as Linux answers them. */
static void not_for_inet(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1, sv[2];
    socklen_t len = sizeof(one);
    want("IPV6_V6ONLY read on an AF_INET socket",
         getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, &len), EOPNOTSUPP);
    want("IPV6_V6ONLY set on an AF_INET socket",
         setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)), ENOPROTOOPT);
    want("socketpair(AF_INET6)", socketpair(AF_INET6, SOCK_STREAM, 0, sv), EOPNOTSUPP);
    close(s);
}

int main(void)
{
    not_for_inet();
    dual_stack_listener();
    mapped_client_to_ipv4_listener();
    udp();
    v6only_beside_ipv4();
    return guest_done();
}
