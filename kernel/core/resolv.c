#include "resolv.h"

#include "lib.h"
#include "vfs.h"

bool resolv_nameserver(const char *cmdline, uint32_t *dns)
{
    const char *p = strstr(cmdline, "net.dns="), *end;
    uint32_t ip;
    unsigned prefix;
    if (p)
        return ipv4_parse(p + 8, &end, dns) && (*end == ' ' || *end == '\0') && *dns != 0;
    p = strstr(cmdline, "net.ip=");
    if (!p || !ipv4_parse_cidr(p + 7, &ip, &prefix) || prefix < 1 || prefix > 30)
        return false;
    *dns = (ip & (0xffffffffu << (32 - prefix))) | 3;
    return true;
}

void resolv_follow_network(const char *cmdline)
{
    static const char builders[] = "nameserver 10.0.2.3\n";
    uint32_t dns;
    struct file *f;
    char old[sizeof(builders)] = {0}, line[40];
    if (!resolv_nameserver(cmdline, &dns))
        return;
    if (vfs_openat(NULL, "/etc/resolv.conf", VFS_O_READ | VFS_O_WRITE, 0, &f) < 0)
        return;
    if (vfs_pread(f, old, sizeof(old), 0) == (ssize_t)(sizeof(builders) - 1) &&
        strcmp(old, builders) == 0) {
        int n = snprintf(line, sizeof(line), "nameserver %u.%u.%u.%u\n", dns >> 24, dns >> 16 & 255,
                         dns >> 8 & 255, dns & 255);
        vfs_ftruncate(f, 0);
        vfs_pwrite(f, line, (size_t)n, 0);
    }
    file_put(f);
}
