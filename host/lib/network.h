/*
 * The guest's network as `unikit run` sets it up: -p forwards and --ip,
 * checked before boot so a mistake is one line and no QEMU at all.
 */
#ifndef UNIKIT_NETWORK_H
#define UNIKIT_NETWORK_H

#include <stdbool.h>
#include <stddef.h>

struct port_map {
    int host, guest;
    bool udp;
};

/* "HOST:GUEST[/tcp|/udp]" → *m; -1 with one line in err. */
int network_parse_port(const char *spec, struct port_map *m, char *err, size_t errlen);

/* Checks that no two specs take the same host port and that each host port
 * is free now (QEMU would fail later, with a message less clear). */
int network_check_ports(char **specs, char *err, size_t errlen);

/* "ADDR/PREFIX" with an address QEMU's user network can hand out; -1 with err. */
int network_check_ip(const char *ip, char *err, size_t errlen);

/* A spec as docker ps shows it: "0.0.0.0:8080->80/tcp". */
void network_port_text(const char *spec, char *buf, size_t len);

#endif
