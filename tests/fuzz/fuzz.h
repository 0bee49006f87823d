/*
 * Shared by the host fuzzers (tests/fuzz/fuzz_NAME.c, libFuzzer targets):
 * a scratch folder for the targets whose parser reads files, and the check
 * every parser's error must pass, one line.
 */
#ifndef UNIKIT_FUZZ_H
#define UNIKIT_FUZZ_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fuzz_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

/* Removes path and everything under it (not following links). */
static inline void fuzz_remove_tree(const char *path)
{
    nftw(path, fuzz_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A new folder under /dev/shm when there is one (fsync is free there), else under TMPDIR. */
static inline char *fuzz_scratch_dir(const char *name)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    char *dir = NULL;
    if (asprintf(&dir, "%s/unikit-fuzz-%s.XXXXXX", base ? base : "/tmp", name) < 0 || !mkdtemp(dir))
        abort();
    return dir;
}

/* Writes text to dir/name; aborts when it cannot: the target would test nothing. */
static inline void fuzz_write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        abort();
}

/*
 * A failed parse must say why in one line: a missing or broken message is a
 * bug too. FUZZ_SHOW_ERRORS=1 prints every result.
 */
static inline void fuzz_check_error(int rc, const char *err)
{
    static int show = -1;
    if (show < 0)
        show = getenv("FUZZ_SHOW_ERRORS") != NULL; /* to see what a seed reaches */
    if (show)
        fprintf(stderr, "fuzz: %d %s\n", rc, rc ? err : "");
    if (rc == 0)
        return;
    if (err[0] == '\0' || strchr(err, '\n')) {
        fprintf(stderr, "fuzz: the error is not one line: '%s'\n", err);
        abort();
    }
}

#endif
