/*
 * Device nodes under /dev: null, zero, random, urandom, console and tty.
 * Each is a character-device inode in the ramfs whose open files use the
 * file_ops below. The device numbers are Linux's, since stat shows them.
 */
#include "errno.h"
#include "lib.h"
#include "plat.h"
#include "random.h"
#include "vfs.h"

static ssize_t null_read(struct file *f, void *buf, size_t len, off_t off)
{
    (void)f, (void)buf, (void)len, (void)off;
    return 0;
}

static ssize_t sink_write(struct file *f, const void *buf, size_t len, off_t off)
{
    (void)f, (void)buf, (void)off;
    return (ssize_t)len;
}

/* Seeking a data source or sink succeeds and changes nothing. */
static off_t noop_lseek(struct file *f, off_t off, int whence)
{
    (void)f, (void)off, (void)whence;
    return 0;
}

static ssize_t zero_read(struct file *f, void *buf, size_t len, off_t off)
{
    (void)f, (void)off;
    memset(buf, 0, len);
    return (ssize_t)len;
}

static ssize_t random_read(struct file *f, void *buf, size_t len, off_t off)
{
    (void)f, (void)off;
    random_bytes(buf, len);
    return (ssize_t)len;
}

/* Input is not wired to anything yet: the console reads as end of file. */
static ssize_t console_write(struct file *f, const void *buf, size_t len, off_t off)
{
    (void)f, (void)off;
    plat_console_write(buf, len);
    return (ssize_t)len;
}

static ssize_t zero_nread(struct file *f)
{
    (void)f;
    return 0;
}

static const struct file_ops null_ops = {
    .read = null_read,
    .write = sink_write,
    .lseek = noop_lseek,
    .nread = zero_nread,
};

static const struct file_ops zero_ops = {
    .read = zero_read,
    .write = sink_write,
    .lseek = noop_lseek,
    .nread = zero_nread,
};

static const struct file_ops random_ops = {
    .read = random_read,
    .write = sink_write, /* Linux mixes written bytes into the pool; we have none to feed */
    .lseek = noop_lseek,
    .nread = zero_nread,
};

static const struct file_ops console_ops = {
    .read = null_read,
    .write = console_write,
    .nread = zero_nread,
};

bool devfs_is_console(struct file *f)
{
    return f->ops == &console_ops;
}

static const struct {
    const char *path;
    const struct file_ops *ops;
    uint32_t major, minor, mode;
} devices[] = {
    {"/dev/null", &null_ops, 1, 3, 0666},     {"/dev/zero", &zero_ops, 1, 5, 0666},
    {"/dev/random", &random_ops, 1, 8, 0666}, {"/dev/urandom", &random_ops, 1, 9, 0666},
    {"/dev/tty", &console_ops, 5, 0, 0666},   {"/dev/console", &console_ops, 5, 1, 0600},
};

void devfs_init(void)
{
    if (vfs_mkdir(vfs_root(), "/dev", 0755) < 0)
        panic("devfs: cannot create /dev");
    for (size_t i = 0; i < ARRAY_SIZE(devices); i++) {
        if (vfs_mknod_device(devices[i].path, devices[i].mode, devices[i].ops, devices[i].major,
                             devices[i].minor) < 0)
            panic("devfs: cannot create %s", devices[i].path);
    }
    /* As on Linux; open and stat follow them to the descriptors (kernel/linux/fs.c). */
    static const char *const links[][2] = {{"/proc/self/fd", "/dev/fd"},
                                           {"/proc/self/fd/0", "/dev/stdin"},
                                           {"/proc/self/fd/1", "/dev/stdout"},
                                           {"/proc/self/fd/2", "/dev/stderr"}};
    for (size_t i = 0; i < ARRAY_SIZE(links); i++)
        vfs_symlink(links[i][0], NULL, links[i][1]);
}
