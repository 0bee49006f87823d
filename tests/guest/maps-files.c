// /proc/self/maps names the file a mapping came from, in Linux's format:
// a MAP_SHARED mapping's line is rw-s with the mapping's file offset, the
// file's device (major:minor) and inode, and its absolute path from column
// 73; a MAP_PRIVATE copy is r--p with the same name; anonymous memory has
// 00:00 0 and no name; a file opened by a relative path with ".." in it
// shows its absolute name; an unlinked file's name ends in " (deleted)";
// the program's code is named as the program file.
#include "guest.h"
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define PG 4096UL

static char text[65536];

struct line {
    unsigned long start, end, off, ino;
    unsigned major, minor;
    char perms[5];
    int name_col;
    char name[512];
};

static void read_maps(void)
{
    int fd = sys_open("/proc/self/maps", O_RDONLY, 0);
    size_t len = 0;
    ssize_t n;
    while (fd >= 0 && len < sizeof(text) - 1 &&
           (n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
        len += (size_t)n;
    text[len] = '\0';
    if (fd >= 0)
        close(fd);
}

/* The line covering addr, parsed; 0 when none does. The name is the rest
 * of the line after the padding, spaces and all. */
static int find(const void *addr, struct line *l)
{
    for (const char *s = text; *s;) {
        const char *nl = strchr(s, '\n');
        int n = 0;
        if (!nl)
            return 0;
        if (sscanf(s, "%lx-%lx %4s %lx %x:%x %lu%n", &l->start, &l->end, l->perms, &l->off,
                   &l->major, &l->minor, &l->ino, &n) == 7 &&
            (uintptr_t)addr >= l->start && (uintptr_t)addr < l->end) {
            const char *name = s + n;
            while (*name == ' ')
                name++;
            l->name_col = (int)(name - s);
            snprintf(l->name, sizeof(l->name), "%.*s", (int)(nl - name), name);
            return 1;
        }
        s = nl + 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    char path[256], rel_path[256], deleted[300];
    struct stat st;
    struct line l;
    snprintf(path, sizeof path, "%s/maps-file", work_dir());
    snprintf(rel_path, sizeof rel_path, "%s/maps-rel", work_dir());
    snprintf(deleted, sizeof deleted, "%s (deleted)", path);

    int fd = (int)want("open", sys_open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), 0);
    want("ftruncate to 3 pages", ftruncate(fd, 3 * PG), 0);
    want("fstat", fstat(fd, &st), 0);
    char *shared = want_ptr("mmap shared at offset 1 page",
                            mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PG), 0);
    char *private = want_ptr("mmap private", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0), 0);
    char *anon = want_ptr("mmap anonymous",
                          mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 0);
    want("chdir to the work folder", chdir(work_dir()), 0);
    want("mkdir sub", sys_mkdir("sub", 0755) == 0 || errno == EEXIST ? 0 : -1, 0);
    int rel = (int)want("open ./sub/../maps-rel",
                        sys_open("./sub/../maps-rel", O_RDWR | O_CREAT | O_TRUNC, 0644), 0);
    want("ftruncate it", ftruncate(rel, PG), 0);
    char *relmap = want_ptr("mmap it shared", mmap(NULL, PG, PROT_READ, MAP_SHARED, rel, 0), 0);

    read_maps();
    check("the shared mapping's line is rw-s at offset 00001000",
          find(shared, &l) && strcmp(l.perms, "rw-s") == 0 && l.off == PG &&
              l.end - l.start == 2 * PG);
    check("it has the file's device and inode",
          l.major == major(st.st_dev) && l.minor == minor(st.st_dev) && l.ino == st.st_ino);
    check("it names the file's path from column 73", strcmp(l.name, path) == 0 && l.name_col == 73);
    check("the private copy's line is r--p at offset 0 with the same name",
          find(private, &l) && strcmp(l.perms, "r--p") == 0 && l.off == 0 && l.ino == st.st_ino &&
              strcmp(l.name, path) == 0);
    check("anonymous memory has 00:00 0 and no name",
          find(anon, &l) && l.major == 0 && l.minor == 0 && l.ino == 0 && l.name[0] == '\0');
    check("a file opened by a relative path shows its absolute name",
          find(relmap, &l) && strcmp(l.name, rel_path) == 0);

    check("the program's code line names the program", argc > 0 && find((void *)main, &l) &&
                                                           strcmp(l.perms, "r-xp") == 0 &&
                                                           strcmp(l.name, argv[0]) == 0);

    want("unlink the file", sys_unlink(path), 0);
    read_maps();
    check("an unlinked file's name ends in (deleted)",
          find(shared, &l) && strcmp(l.name, deleted) == 0);
    check("its private copy's too", find(private, &l) && strcmp(l.name, deleted) == 0);
    sys_unlink(rel_path);
    return guest_done();
}
