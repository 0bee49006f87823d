/*
 * The guest's /etc/resolv.conf as the boot command line asks for it
 * (kernel/core/resolv.c): net.dns= names a container's nameserver, net.ip=
 * moves the user network's DNS proxy to the network's .3, and a
 * resolv.conf the image ships itself is left alone.
 */
#include "check.h"

#include "resolv.h"
#include "vfs.h"

static const char builders[] = "nameserver 10.0.2.3\n";

static void write_resolv(const char *text)
{
    struct file *f;
    vfs_mkdir(NULL, "/etc", 0755);
    CHECK(vfs_openat(NULL, "/etc/resolv.conf", VFS_O_WRITE | VFS_O_CREAT | VFS_O_TRUNC, 0644, &f) ==
          0);
    CHECK(vfs_write(f, text, strlen(text)) == (ssize_t)strlen(text));
    file_put(f);
}

static const char *read_resolv(void)
{
    static char buf[128];
    struct file *f;
    memset(buf, 0, sizeof(buf));
    CHECK(vfs_openat(NULL, "/etc/resolv.conf", VFS_O_READ, 0, &f) == 0);
    CHECK(vfs_read(f, buf, sizeof(buf) - 1) >= 0);
    file_put(f);
    return buf;
}

static void test_nameserver_from_cmdline(void)
{
    uint32_t dns = 0;
    CHECK(resolv_nameserver("arg=/httpd net.ip=10.251.7.2/24 net.gw=10.251.7.1 net.dns=10.251.7.53",
                            &dns));
    CHECK(dns == (10u << 24 | 251u << 16 | 7u << 8 | 53));
    CHECK(resolv_nameserver("net.dns=8.8.4.4", &dns) && dns == 0x08080404);
    CHECK(resolv_nameserver("arg=/x net.ip=192.168.5.20/24", &dns) && dns == 0xc0a80503);
    CHECK(!resolv_nameserver("arg=/x", &dns));
    CHECK(!resolv_nameserver("net.ip=10.0.0.2/31", &dns)); /* no room for a .3 */
    /* A bad net.dns= asks for nothing rather than the user network's guess. */
    CHECK(!resolv_nameserver("net.ip=10.1.2.3/24 net.dns=10.1.2", &dns));
    CHECK(!resolv_nameserver("net.dns=1.2.3.4x", &dns));
    CHECK(!resolv_nameserver("net.dns=0.0.0.0", &dns));
}

static void test_builders_file_rewritten(void)
{
    write_resolv(builders);
    resolv_follow_network("arg=/httpd net.ip=10.251.7.2/24 net.dns=1.1.1.1");
    CHECK_STR(read_resolv(), "nameserver 1.1.1.1\n"); /* shorter: nothing of the old left */
    write_resolv(builders);
    resolv_follow_network("net.ip=172.30.200.20/16");
    CHECK_STR(read_resolv(), "nameserver 172.30.0.3\n");
    write_resolv(builders);
    resolv_follow_network("arg=/httpd");
    CHECK_STR(read_resolv(), builders);
}

static void test_images_own_file_kept(void)
{
    write_resolv("nameserver 9.9.9.9\nsearch example.com\n");
    resolv_follow_network("net.dns=1.1.1.1");
    CHECK_STR(read_resolv(), "nameserver 9.9.9.9\nsearch example.com\n");
}

int main(void)
{
    vfs_init();
    RUN_TEST(test_nameserver_from_cmdline);
    RUN_TEST(test_builders_file_rewritten);
    RUN_TEST(test_images_own_file_kept);
    CHECK_EXIT();
}
