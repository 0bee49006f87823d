// files: data
// Files shipped with the Unikfile's `files:` (tests/guest/data → /data):
// their contents, sizes and directory listing. Natively $DATA_DIR points at
// tests/guest/data instead.
#include "guest.h"
#include <dirent.h>
#include <stdint.h>

static const char *data;

static const char *path(const char *rel)
{
    static char bufs[2][512];
    static int next;
    char *b = bufs[next++ % 2];
    snprintf(b, sizeof bufs[0], "%s/%s", data, rel);
    return b;
}

static void cat(const char *rel)
{
    char buf[256];
    long fd = sys_open(path(rel), O_RDONLY, 0);
    if (fd < 0) {
        want(rel, fd, 0);
        return;
    }
    long n = syscall(SYS_read, fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("%s (%ld bytes): %s", rel, n, buf);
    syscall(SYS_close, fd);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *rel)
{
    /* opendir/readdir: getdents64 underneath, as programs use it. */
    DIR *d = opendir(path(rel));
    if (!d) {
        want(rel, -1, 0);
        return;
    }
    static char names[32][300];
    char *sorted[32];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 32) {
        snprintf(names[n], sizeof names[n], "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
        sorted[n] = names[n];
        n++;
    }
    closedir(d);
    qsort(sorted, (size_t)n, sizeof sorted[0], cmp_str);
    printf("ls %s:", rel);
    for (int i = 0; i < n; i++)
        printf(" %s", sorted[i]);
    printf("\n");
}

int main(void)
{
    data = getenv("DATA_DIR");
    if (!data || !*data)
        data = "/data";
    cat("hello.txt");
    cat("sub/nested.txt");

    /* Line by line through stdio, which reads in big chunks. */
    FILE *f = fopen(path("lines.txt"), "r");
    char line[64];
    int count = 0;
    while (f && fgets(line, sizeof line, f))
        printf("line %d: %s", ++count, line);
    if (f)
        fclose(f);
    check("three lines", count == 3);

    struct stat st;
    want("stat data dir", sys_stat(data, &st), 0);
    check("data is a directory", S_ISDIR(st.st_mode));
    want("stat hello.txt", sys_stat(path("hello.txt"), &st), 0);
    check("hello.txt size 13", st.st_size == 13 && S_ISREG(st.st_mode));
    want("open missing", sys_open(path("missing.txt"), O_RDONLY, 0), ENOENT);
    list(".");
    list("sub");
    return guest_done();
}
