#include "relink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfcheck.h"
#include "image.h"
#include "spec.h"
#include "util.h"

/* The image's record, or 1 when it has none (made before records were);
   -1 with err when it is not an ELF file. */
static int read_record(const char *path, struct spec *s, char *err, size_t errlen)
{
    unsigned char *rec = NULL;
    size_t len = 0;
    int rc = elf_read_section(path, ".unikit.spec", &rec, &len, err, errlen);
    if (rc == 0)
        rc = spec_read_record(rec, len, s) == 0 ? 0 : 1;
    free(rec);
    return rc;
}

int relink_has_volumes(const char *path, char *err, size_t errlen)
{
    struct spec *s = xcalloc(1, sizeof(*s));
    int rc = read_record(path, s, err, errlen);
    int has = rc < 0 ? -1 : rc > 0 || s->volumes;
    free(s);
    return has;
}

/* Copies the section called name of the image in into file path. */
static int extract(const char *in, const char *name, const char *path, char *err, size_t errlen)
{
    unsigned char *data = NULL;
    size_t len = 0;
    int found = elf_read_section(in, name, &data, &len, err, errlen);
    if (found != 0)
        return found < 0 ? -1 : errorf(err, errlen, "the image has no %s section", name);
    int rc = write_file(path, data, len, err, errlen);
    free(data);
    return rc;
}

static int relink_in(const char *arch, const char *in, const char *workdir, const char *out,
                     char *err, size_t errlen)
{
    struct spec *s = xcalloc(1, sizeof(*s));
    struct spec_table t = {0};
    char *config = xasprintf("%s/config.bin", workdir);
    char *files = xasprintf("%s/files.cpio", workdir);
    int rc = -1;
    if (extract(in, ".unikit.config", config, err, errlen) < 0 ||
        extract(in, ".unikit.files", files, err, errlen) < 0)
        goto out;
    int found = read_record(in, s, err, errlen);
    if (found != 0) {
        if (found > 0)
            errorf(err, errlen, "%s: the image has no record of its system calls", in);
        goto out;
    }
    s->volumes = true;
    if (spec_table_load(arch, &t, err, errlen) == 0)
        rc = image_link(arch, workdir, &t, s, out, err, errlen);
out:
    spec_table_free(&t);
    free(s);
    free(config);
    free(files);
    return rc;
}

int relink_with_volumes(const char *arch, const char *in, const char *out, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    char *workdir = xasprintf("%s/unikit-relink-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(workdir)) {
        int rc = errorf(err, errlen, "%s: %s", workdir, strerror(errno));
        free(workdir);
        return rc;
    }
    int rc = relink_in(arch, in, workdir, out, err, errlen);
    remove_tree(workdir);
    free(workdir);
    return rc;
}

char *relink_for_volumes(const char *arch, const char *image, const char *cache, char *err,
                         size_t errlen)
{
    if (errlen)
        err[0] = 0;
    int has = relink_has_volumes(image, err, errlen);
    if (has < 0)
        return NULL;
    if (has)
        return xstrdup(image);
    struct stat st;
    if (stat(cache, &st) == 0 && S_ISREG(st.st_mode))
        return xstrdup(cache);
    /* Linked beside the cache and renamed: a run that stops half-way, or
       two at once, never leave a half-written kernel there. */
    char *tmp = xasprintf("%s.%ld.tmp", cache, (long)getpid());
    char *slash = strrchr(tmp, '/');
    if (slash) {
        *slash = 0;
        mkdir_p(tmp, 0755);
        *slash = '/';
    }
    if (relink_with_volumes(arch, image, tmp, err, errlen) < 0 || rename(tmp, cache) != 0) {
        if (!*err)
            errorf(err, errlen, "%s: %s", cache, strerror(errno));
        unlink(tmp);
        free(tmp);
        return NULL;
    }
    free(tmp);
    return xstrdup(cache);
}
