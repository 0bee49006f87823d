/*
 * libFuzzer target: the image's file archive reader, the kernel's
 * cpio_unpack (kernel/core/cpio.c), compiled for the host with the VFS and
 * ramfs through tests/unit/kshim.c, as the kernel unit tests are. This is
 * the code that reads a cpio archive in unikit: the host only writes them
 * (host/lib/cpio.c), and reads them back through libarchive.
 *
 * The kernel keeps the archive for the machine's life (files read from it),
 * so each input is copied, unpacked, and its tree removed before the copy
 * is freed; what is left behind would be a leak LeakSanitizer reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfs.h"

#define MAX_NAMES 4096

struct names {
    char *name[MAX_NAMES];
    enum vfs_type type[MAX_NAMES];
    size_t n;
};

static int collect(void *ctx, const char *name, size_t len, uint64_t ino, enum vfs_type type,
                   off_t next)
{
    (void)ino, (void)next;
    struct names *ns = ctx;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return 0;
    if (ns->n == MAX_NAMES)
        return -1;
    ns->name[ns->n] = strndup(name, len);
    ns->type[ns->n++] = type;
    return 0;
}

/* Removes what lies under path ("" for the root); the root's dev and tmp stay. */
static void empty_dir(const char *path)
{
    struct file *f;
    if (vfs_openat(vfs_root(), path[0] ? path : "/", VFS_O_READ | VFS_O_DIRECTORY, 0, &f) != 0)
        return;
    static struct names empty;
    struct names *ns = malloc(sizeof *ns);
    *ns = empty;
    while (vfs_readdir(f, collect, ns) > 0 && ns->n < MAX_NAMES)
        ;
    file_put(f);
    for (size_t i = 0; i < ns->n; i++) {
        char child[VFS_PATH_MAX * 2];
        snprintf(child, sizeof child, "%s/%s", path, ns->name[i]);
        bool keep = !path[0] && (!strcmp(ns->name[i], "dev") || !strcmp(ns->name[i], "tmp"));
        if (ns->type[i] == VFS_DIR) {
            empty_dir(child);
            if (!keep)
                vfs_rmdir(vfs_root(), child);
        } else if (ns->type[i] == VFS_REG || ns->type[i] == VFS_LNK) {
            vfs_unlink(vfs_root(), child);
        }
        free(ns->name[i]);
    }
    free(ns);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool started;
    if (!started) {
        vfs_init();
        started = true;
    }
    void *archive = malloc(size ? size : 1);
    memcpy(archive, data, size);
    if (cpio_unpack(archive, size) > 0)
        abort(); /* 0 or a negative errno: the boot panics on any error */
    empty_dir("");
    free(archive);
    return 0;
}
