/*
 * unikit load [-i FILE]
 *
 * Imports an OCI image layout from a tar archive (what `unikit save` or
 * `skopeo copy … oci-archive:` write; compressed archives too). Each blob is
 * streamed into a temporary file and becomes part of the store only when its
 * content hashes to its name; then every index.json entry with a
 * org.opencontainers.image.ref.name annotation becomes a name in the store.
 * An image in the standard OCI form (ociimage.h: what `unikit save` writes
 * now) is converted into the store's own format; one in the store's format
 * (saved by an earlier unikit, or a copy of a store's images/) is taken as
 * it is. If anything fails, the blobs imported so far are collected again.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "cli.h"
#include "blob.h"
#include "ociimage.h"
#include "util.h"

#define MAX_INDEX      (16u << 20)
#define REF_ANNOTATION "org.opencontainers.image.ref.name"

struct load {
    struct store *s;
    struct archive *a;
    const char *source;
    char *index; /* index.json, once seen */
    size_t index_len;
    bool layout; /* oci-layout seen, version 1.x */
    char err[1024];
};

static void load_usage(FILE *out)
{
    fprintf(out, "Usage: unikit load [-i FILE]\n\n"
                 "Imports images from an OCI image layout tar archive (from stdin without -i).\n\n"
                 "  -i, --input FILE   read from FILE\n");
}

static int parse_load(int argc, char **argv, const char **input)
{
    static const struct option opts[] = {
        {"input", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
        if (c == 'i') {
            *input = optarg;
        } else if (c == 'h') {
            load_usage(stdout);
            exit(0);
        } else {
            load_usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        load_usage(stderr);
        return -1;
    }
    return 0;
}

__attribute__((format(printf, 2, 3))) static int load_fail(struct load *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, sizeof l->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int archive_failed(struct load *l)
{
    snprintf(l->err, sizeof l->err, "%s: %s", l->source, archive_error_string(l->a));
    return -1;
}

/* A small member (index.json, oci-layout) read whole. */
static char *read_member(struct load *l, struct archive_entry *e, size_t max, size_t *len)
{
    int64_t size = archive_entry_size(e);
    if (size < 0 || (uint64_t)size > max) {
        snprintf(l->err, sizeof l->err, "%s: %s is too large", l->source,
                 archive_entry_pathname(e));
        return NULL;
    }
    char *data = xcalloc((size_t)size + 1, 1);
    la_ssize_t n = archive_read_data(l->a, data, (size_t)size);
    if (n != (la_ssize_t)size) {
        free(data);
        archive_failed(l);
        return NULL;
    }
    *len = (size_t)size;
    return data;
}

static int read_layout(struct load *l, struct archive_entry *e)
{
    size_t len;
    char *data = read_member(l, e, 4096, &len);
    json_t *doc = data ? json_loadb(data, len, 0, NULL) : NULL;
    const char *version = json_string_value(json_object_get(doc, "imageLayoutVersion"));
    l->layout = version && strncmp(version, "1.", 2) == 0;
    if (data && !l->layout)
        snprintf(l->err, sizeof l->err, "%s: unsupported oci-layout", l->source);
    json_decref(doc);
    free(data);
    return l->layout ? 0 : -1;
}

static int check_blob_size(struct load *l, const char *digest, int64_t size)
{
    uint64_t limit = 0;
    if (blob_max_size(&limit, l->err, sizeof l->err) != 0)
        return -1;
    if (size < 0 || (uint64_t)size > limit)
        return load_fail(l,
                         "%s: blob %s would expand to %lld bytes, more than the %llu a blob may "
                         "have (UNIKIT_LOAD_MAX_BLOB)",
                         l->source, digest, (long long)size, (unsigned long long)limit);
    return 0;
}

/* Copies the current member into fd: never past limit bytes, whatever the archive claims. */
static int copy_member(struct load *l, int fd, const char *tmp, const char *digest, uint64_t limit)
{
    const void *buf;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(l->a, &buf, &size, &offset)) != ARCHIVE_EOF) {
        if (r != ARCHIVE_OK)
            return archive_failed(l);
        if (offset < 0 || (uint64_t)offset + size > limit)
            return load_fail(l, "%s: blob %s is larger than its tar header says", l->source,
                             digest);
        if (pwrite_all(fd, buf, size, offset) != 0)
            return store_write_failed(tmp, errno, l->err, sizeof l->err);
    }
    return 0;
}

/* Streams a blob member into a temporary file; the store checks it against its name. */
static int import_blob(struct load *l, const char *hex, int64_t size)
{
    char *digest = xasprintf("sha256:%s", hex);
    char *tmp = NULL;
    int fd = -2, rc = check_blob_size(l, digest, size);
    if (rc == 0 && !store_has_blob(l->s, digest, (uint64_t)size))
        fd = store_blob_temp(l->s, &tmp, l->err, sizeof l->err);
    if (fd == -1)
        rc = -1;
    if (fd >= 0 && rc == 0)
        rc = copy_member(l, fd, tmp, digest, (uint64_t)size);
    if (fd >= 0 && rc == 0)
        rc = store_commit_blob(l->s, fd, tmp, digest, l->err, sizeof l->err);
    else if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    if (rc != 0 && strstr(l->err, "does not match"))
        snprintf(l->err, sizeof l->err, "%s: blob %s does not match its digest", l->source, digest);
    free(tmp);
    free(digest);
    return rc;
}

static bool is_blob_name(const char *name, const char **hex)
{
    const char *prefix = "blobs/sha256/";
    if (strncmp(name, prefix, strlen(prefix)) != 0)
        return false;
    *hex = name + strlen(prefix);
    return strlen(*hex) == 64 && strspn(*hex, "0123456789abcdef") == 64;
}

static int read_entry(struct load *l, struct archive_entry *e)
{
    const char *name = archive_entry_pathname(e);
    const char *hex;
    while (name && strncmp(name, "./", 2) == 0)
        name += 2;
    if (!name || archive_entry_filetype(e) != AE_IFREG)
        return 0;
    if (strcmp(name, "oci-layout") == 0)
        return read_layout(l, e);
    if (strcmp(name, "index.json") == 0) {
        free(l->index);
        l->index = read_member(l, e, MAX_INDEX, &l->index_len);
        return l->index ? 0 : -1;
    }
    if (is_blob_name(name, &hex))
        return import_blob(l, hex, archive_entry_size(e));
    return 0; /* other files (a docker-archive manifest.json, say) are not ours */
}

/* Each name once: the last index.json entry for a name wins, as it would one by one. */
static int named_entries(struct load *l, json_t *list, json_t *by_name)
{
    size_t i;
    json_t *desc;
    json_array_foreach(list, i, desc)
    {
        const char *ref = json_string_value(
            json_object_get(json_object_get(desc, "annotations"), REF_ANNOTATION));
        const char *digest = json_string_value(json_object_get(desc, "digest"));
        if (!ref)
            continue;
        char *name = store_normalize_ref(ref);
        if (!name)
            return load_fail(l, "%s: invalid image name '%s'", l->source, ref);
        json_object_del(by_name, name); /* a later entry moves to the end */
        json_object_set_new(by_name, name, json_string(digest ? digest : ""));
        free(name);
    }
    if (json_object_size(by_name) == 0)
        return load_fail(l, "%s: no named image in index.json", l->source);
    return 0;
}

/*
 * "loaded NAME (ARCH)", one line for each architecture each loaded name now
 * has: one pass over the store, not one per name (each would read all of
 * index.json again).
 */
static void report(struct load *l, json_t *by_name)
{
    struct store_image *imgs = NULL;
    size_t n = 0;
    char **bad = NULL;
    char err[512];
    if (store_list(l->s, &imgs, &n, &bad, err, sizeof err) == 0)
        for (size_t i = 0; i < n; i++)
            if (json_object_get(by_name, imgs[i].ref))
                printf("loaded %s (%s)\n", imgs[i].ref, imgs[i].config.arch);
    store_strings_free(bad);
    store_images_free(imgs, n);
}

/* Each name's image in the store's format: converted when it came in the standard form. */
static int import_images(struct load *l, json_t *by_name)
{
    const char *name;
    json_t *digest;
    json_object_foreach(by_name, name, digest)
    {
        char stored[STORE_DIGEST_SIZE];
        if (oci_import(l->s, name, json_string_value(digest), stored, l->err, sizeof l->err) != 0)
            return -1;
        json_string_set(digest, stored);
    }
    return 0;
}

static int set_refs(struct load *l)
{
    json_t *doc = json_loadb(l->index, l->index_len, 0, NULL);
    json_t *by_name = json_object();
    int rc = named_entries(l, json_object_get(doc, "manifests"), by_name);
    if (rc == 0)
        rc = import_images(l, by_name);
    size_t n = json_object_size(by_name), i = 0;
    char **names = xcalloc(n + 1, sizeof *names), **digests = xcalloc(n + 1, sizeof *digests);
    const char *name;
    json_t *digest;
    json_object_foreach(by_name, name, digest)
    {
        names[i] = (char *)name;
        digests[i++] = (char *)json_string_value(digest);
    }
    if (rc == 0)
        rc = store_set_refs(l->s, names, digests, n, l->err, sizeof l->err);
    if (rc == 0)
        report(l, by_name);
    free(names);
    free(digests);
    json_decref(by_name);
    json_decref(doc);
    return rc;
}

static int load(struct load *l, const char *input)
{
    struct archive_entry *e;
    int r, rc = 0;
    archive_read_support_format_tar(l->a);
    archive_read_support_filter_all(l->a);
    r = input ? archive_read_open_filename(l->a, input, 65536)
              : archive_read_open_fd(l->a, STDIN_FILENO, 65536);
    if (r != ARCHIVE_OK)
        return archive_failed(l);
    while (rc == 0 && (r = archive_read_next_header(l->a, &e)) != ARCHIVE_EOF)
        rc = r == ARCHIVE_OK || r == ARCHIVE_WARN ? read_entry(l, e) : archive_failed(l);
    if (rc == 0 && (!l->layout || !l->index))
        rc = load_fail(l, "%s: not an OCI image layout (no %s)", l->source,
                       l->layout ? "index.json" : "oci-layout");
    if (rc == 0)
        rc = set_refs(l);
    return rc;
}

int cmd_load(int argc, char **argv)
{
    const char *input = NULL;
    if (parse_load(argc, argv, &input) < 0)
        return EXIT_UNIKIT_ERROR;
    struct store s = {0};
    if (cli_open_store(&s) < 0)
        return EXIT_UNIKIT_ERROR;
    struct load l = {.s = &s, .source = input ? input : "stdin", .a = archive_read_new()};
    int rc = store_lock(&s, l.err, sizeof l.err);
    if (rc == 0)
        rc = load(&l, input);
    if (rc != 0)
        cli_error("%s", l.err);
    /* Blobs of a failed load, and images a loaded name replaced. */
    char ignored[256];
    store_gc(&s, ignored, sizeof ignored);
    archive_read_free(l.a);
    free(l.index);
    store_close(&s);
    return rc == 0 ? 0 : EXIT_UNIKIT_ERROR;
}
