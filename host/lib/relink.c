#include "relink.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "spec.h"
#include "util.h"

/* Section headers larger than this are not an image unikit made. */
#define MAX_SECTIONS 64

struct elf_sections {
    FILE *f;
    Elf64_Shdr sh[MAX_SECTIONS];
    size_t n;
    char *names;
    size_t names_len;
};

static int sections_open(const char *path, struct elf_sections *e, char *err, size_t errlen)
{
    Elf64_Ehdr eh;
    memset(e, 0, sizeof(*e));
    if (!(e->f = fopen(path, "rb")))
        return errorf(err, errlen, "%s: %s", path, strerror(errno));
    if (fread(&eh, sizeof(eh), 1, e->f) != 1 || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr) ||
        eh.e_shnum > MAX_SECTIONS || eh.e_shstrndx >= eh.e_shnum ||
        fseek(e->f, (long)eh.e_shoff, SEEK_SET) != 0 ||
        fread(e->sh, sizeof(Elf64_Shdr), eh.e_shnum, e->f) != eh.e_shnum)
        goto bad;
    e->n = eh.e_shnum;
    const Elf64_Shdr *str = &e->sh[eh.e_shstrndx];
    if (str->sh_size > 1 << 16 || !(e->names = calloc(1, str->sh_size + 1)) ||
        fseek(e->f, (long)str->sh_offset, SEEK_SET) != 0 ||
        fread(e->names, 1, str->sh_size, e->f) != str->sh_size)
        goto bad;
    e->names_len = str->sh_size;
    return 0;
bad:
    if (e->f)
        fclose(e->f);
    free(e->names);
    e->f = NULL;
    e->names = NULL;
    return errorf(err, errlen, "%s: not an ELF image unikit built", path);
}

static void sections_close(struct elf_sections *e)
{
    if (e->f)
        fclose(e->f);
    free(e->names);
}

/* The bytes of the section called name (a new buffer, *len), or NULL. */
static unsigned char *section_read(struct elf_sections *e, const char *name, size_t *len)
{
    for (size_t i = 0; i < e->n; i++) {
        const Elf64_Shdr *s = &e->sh[i];
        if (s->sh_name >= e->names_len || strcmp(e->names + s->sh_name, name) != 0 ||
            s->sh_type != SHT_PROGBITS)
            continue;
        unsigned char *buf = malloc(s->sh_size ? s->sh_size : 1);
        if (!buf || fseek(e->f, (long)s->sh_offset, SEEK_SET) != 0 ||
            fread(buf, 1, s->sh_size, e->f) != s->sh_size) {
            free(buf);
            return NULL;
        }
        *len = s->sh_size;
        return buf;
    }
    return NULL;
}

/* The image's record, or -1 when it has none (made before records were). */
static int read_record(const char *path, struct spec *s, char *err, size_t errlen)
{
    struct elf_sections e;
    if (sections_open(path, &e, err, errlen) < 0)
        return -1;
    size_t len = 0;
    unsigned char *rec = section_read(&e, ".unikit.spec", &len);
    int rc = rec && spec_read_record(rec, len, s) == 0 ? 0 : 1;
    free(rec);
    sections_close(&e);
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

/* Copies the section called name of e into file path. */
static int extract(struct elf_sections *e, const char *name, const char *path, char *err,
                   size_t errlen)
{
    size_t len = 0;
    unsigned char *data = section_read(e, name, &len);
    if (!data)
        return errorf(err, errlen, "the image has no %s section", name);
    FILE *f = fopen(path, "wb");
    int rc = f && fwrite(data, 1, len, f) == len ? 0 : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    free(data);
    return rc < 0 ? errorf(err, errlen, "%s: %s", path, strerror(errno)) : 0;
}

static int relink_in(const char *arch, const char *in, const char *workdir, const char *out,
                     char *err, size_t errlen)
{
    struct spec *s = xcalloc(1, sizeof(*s));
    struct spec_table t = {0};
    struct elf_sections e;
    char *config = xasprintf("%s/config.bin", workdir);
    char *files = xasprintf("%s/files.cpio", workdir);
    int rc = -1;
    if (sections_open(in, &e, err, errlen) < 0)
        goto out;
    rc = extract(&e, ".unikit.config", config, err, errlen) < 0 ||
                 extract(&e, ".unikit.files", files, err, errlen) < 0
             ? -1
             : 0;
    sections_close(&e);
    if (rc < 0 || (rc = read_record(in, s, err, errlen)) != 0) {
        if (rc > 0)
            errorf(err, errlen, "%s: the image has no record of its system calls", in);
        rc = -1;
        goto out;
    }
    s->volumes = true;
    rc = spec_table_load(arch, &t, err, errlen) < 0
             ? -1
             : image_link(arch, workdir, &t, s, out, err, errlen);
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
