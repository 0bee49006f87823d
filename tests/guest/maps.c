// memory: 64M
// native-aarch64: no (qemu-aarch64 makes up its own maps, without [heap])
// /proc/self/maps, generated when read from the address space: Linux's
// line format in address order, the program's code r-xp, the stack rw-p
// as [stack], the brk heap as [heap], a region whose middle pages were
// made read-write split into lines with the exact bounds, an unmapped
// region gone, and the same text whether read at once or in small pieces.
#include "guest.h"
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096UL

static char text[65536], pieces[65536];

struct line {
    unsigned long start, end;
    char perms[5], name[32];
};

/* Reads the whole file with reads of chunk bytes; returns its length or -1. */
static long read_maps(char *buf, size_t size, size_t chunk)
{
    int fd = sys_open("/proc/self/maps", O_RDONLY, 0);
    size_t len = 0;
    ssize_t n;
    if (fd < 0)
        return -1;
    while (len < size - 1 &&
           (n = read(fd, buf + len, chunk < size - 1 - len ? chunk : size - 1 - len)) > 0)
        len += (size_t)n;
    close(fd);
    buf[len] = '\0';
    return (long)len;
}

/* Parses one line in Linux's format; false when it is not. */
static int parse(const char *s, struct line *l)
{
    unsigned long off, inode;
    unsigned major, minor;
    int n = 0;
    l->name[0] = '\0';
    if (sscanf(s, "%lx-%lx %4s %lx %x:%x %lu %n", &l->start, &l->end, l->perms, &off, &major,
               &minor, &inode, &n) != 7 ||
        !n)
        return 0;
    sscanf(s + n, "%31s", l->name);
    return strspn(l->perms, "r-") >= 1 && strchr("r-", l->perms[0]) && strchr("w-", l->perms[1]) &&
           strchr("x-", l->perms[2]) && strchr("ps", l->perms[3]) && l->start < l->end;
}

/* The line covering addr in text, or 0 when none does. */
static int find(uintptr_t addr, struct line *out)
{
    for (const char *s = text; *s; s = strchr(s, '\n') + 1) {
        struct line l;
        if (parse(s, &l) && addr >= l.start && addr < l.end) {
            *out = l;
            return 1;
        }
        if (!strchr(s, '\n'))
            break;
    }
    return 0;
}

static int well_formed(void)
{
    unsigned long prev_end = 0;
    int lines = 0;
    for (const char *s = text; *s; lines++) {
        struct line l;
        const char *nl = strchr(s, '\n');
        if (!nl || !parse(s, &l) || l.start < prev_end)
            return 0;
        prev_end = l.end;
        s = nl + 1;
    }
    return lines > 0;
}

int main(void)
{
    struct line l;
    struct stat st;
    int stack_var = 0;

    check("stat: a regular file of size 0",
          sys_stat("/proc/self/maps", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0);

    long cur = syscall(SYS_brk, 0L);
    check("brk grows by 64 KiB", syscall(SYS_brk, cur + 65536) == cur + 65536);

    char *p = mmap(NULL, 5 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect(p + PAGE, 3 * PAGE, PROT_READ | PROT_WRITE) != 0) {
        check("mmap and mprotect", 0);
        return guest_done();
    }
    long len = read_maps(text, sizeof(text), sizeof(text));
    check("read", len > 0);
    check("every line has Linux's format, in address order", well_formed());
    check("main's line is r-xp", find((uintptr_t)main, &l) && strcmp(l.perms, "r-xp") == 0);
    check("a stack variable's line is rw-p [stack]", find((uintptr_t)&stack_var, &l) &&
                                                         strcmp(l.perms, "rw-p") == 0 &&
                                                         strcmp(l.name, "[stack]") == 0);
    check("the grown heap is one rw-p [heap] line",
          find((uintptr_t)cur, &l) && strcmp(l.perms, "rw-p") == 0 &&
              strcmp(l.name, "[heap]") == 0 && l.end >= (unsigned long)cur + 65536);
    check("3 read-write pages inside a mapping: one rw-p line of exactly those",
          find((uintptr_t)p + PAGE, &l) && strcmp(l.perms, "rw-p") == 0 &&
              l.start == (uintptr_t)p + PAGE && l.end == (uintptr_t)p + 4 * PAGE);
    check("the pages around them are ---p",
          find((uintptr_t)p, &l) && strcmp(l.perms, "---p") == 0 &&
              find((uintptr_t)p + 4 * PAGE, &l) && strcmp(l.perms, "---p") == 0);

    check("read in 7-byte pieces: the same text",
          read_maps(pieces, sizeof(pieces), 7) == len && strcmp(pieces, text) == 0);

    munmap(p, 5 * PAGE);
    read_maps(text, sizeof(text), sizeof(text));
    check("an unmapped region has no line",
          !find((uintptr_t)p, &l) && !find((uintptr_t)p + 2 * PAGE, &l));
    return guest_done();
}
