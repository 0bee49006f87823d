/*
 * unikit save [-o FILE] IMAGE...
 *
 * Writes the images in their standard OCI form (ociimage.h) as an OCI image
 * layout in a tar archive: oci-layout, index.json (one image index per name,
 * the name in the org.opencontainers.image.ref.name annotation) and
 * blobs/sha256/. `unikit load`, `skopeo copy oci-archive:…`, podman and
 * containerd read it back. It also holds a docker-archive manifest.json
 * naming, for each name, the build for this machine's architecture (its
 * config and layer, already among the blobs), which is what `docker load`
 * (20.10) reads: it does not read OCI layouts.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "cli.h"
#include "ociimage.h"
#include "output.h"
#include "util.h"

#define INDEX_MEDIA "application/vnd.oci.image.index.v1+json"

struct save {
    struct store *s;
    struct archive *a;
    json_t *index;      /* the archive's index.json */
    json_t *docker;     /* the archive's manifest.json, for docker load */
    json_t *blobs;      /* digest → its size: each blob goes in once */
    const char *output; /* the archive's name in messages: FILE or "stdout" */
    char err[1024];
};

static void save_usage(FILE *out)
{
    fprintf(out, "Usage: unikit save [-o FILE] IMAGE...\n\n"
                 "Writes images as an OCI image layout in a tar archive (to stdout without -o).\n\n"
                 "  -o, --output FILE   write to FILE\n");
}

static int parse_save(int argc, char **argv, const char **output)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o') {
            *output = optarg;
        } else if (c == 'h') {
            save_usage(stdout);
            exit(0);
        } else {
            save_usage(stderr);
            return -1;
        }
    }
    if (optind >= argc) {
        save_usage(stderr);
        return -1;
    }
    return optind;
}

static struct archive_entry *new_entry(const char *name, mode_t type, int64_t size)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
    archive_entry_set_size(e, size);
    archive_entry_set_mtime(e, time(NULL), 0);
    return e;
}

static int archive_failed(struct save *sv)
{
    /* libarchive's own text for a failed write is "Write error"; the errno says why. */
    int e = archive_errno(sv->a);
    snprintf(sv->err, sizeof sv->err, "%s: writing the archive: %s", sv->output,
             e > 0 ? strerror(e) : archive_error_string(sv->a));
    return -1;
}

static int add_bytes(struct save *sv, const char *name, const char *data, size_t len)
{
    struct archive_entry *e = new_entry(name, AE_IFREG, (int64_t)len);
    int rc = archive_write_header(sv->a, e) == ARCHIVE_OK &&
                     archive_write_data(sv->a, data, len) == (la_ssize_t)len
                 ? 0
                 : archive_failed(sv);
    archive_entry_free(e);
    return rc;
}

static int add_dir(struct save *sv, const char *name)
{
    struct archive_entry *e = new_entry(name, AE_IFDIR, 0);
    int rc = archive_write_header(sv->a, e) == ARCHIVE_OK ? 0 : archive_failed(sv);
    archive_entry_free(e);
    return rc;
}

static int copy_data(struct save *sv, int fd, const char *path)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(sv->err, sizeof sv->err, "%s: %s", path, strerror(errno));
            return -1;
        }
        if (n == 0)
            return 0;
        if (archive_write_data(sv->a, buf, (size_t)n) != n)
            return archive_failed(sv);
    }
}

/* A blob, streamed from the store: verify_blobs has checked its type, size
   and hash, and the store lock keeps it so. */
static int add_blob(struct save *sv, const char *digest, uint64_t size)
{
    char *path = store_blob_path(sv->s, digest);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int rc = fd >= 0 ? 0 : -1;
    if (rc < 0)
        snprintf(sv->err, sizeof sv->err, "%s: %s", path, strerror(errno));
    char *name = xasprintf("blobs/sha256/%s", digest + strlen("sha256:"));
    struct archive_entry *e = rc == 0 ? new_entry(name, AE_IFREG, (int64_t)size) : NULL;
    if (rc == 0 && archive_write_header(sv->a, e) != ARCHIVE_OK)
        rc = archive_failed(sv);
    if (rc == 0)
        rc = copy_data(sv, fd, path);
    archive_entry_free(e);
    if (fd >= 0)
        close(fd);
    free(name);
    free(path);
    return rc;
}

/* The build of an image index for this machine, else its first. */
static json_t *host_build(json_t *index)
{
    const char *want = store_oci_arch(host_arch());
    size_t i;
    json_t *desc;
    json_array_foreach(json_object_get(index, "manifests"), i, desc)
    {
        const char *arch =
            json_string_value(json_object_get(json_object_get(desc, "platform"), "architecture"));
        if (want && arch && strcmp(arch, want) == 0)
            return desc;
    }
    return json_array_get(json_object_get(index, "manifests"), 0);
}

static json_t *blob_member(json_t *desc)
{
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    return json_sprintf("blobs/sha256/%s", digest ? digest + strlen("sha256:") : "");
}

/* docker load's entry for ref: Config, RepoTags, Layers (paths in this archive). */
static int add_docker_entry(struct save *sv, const char *ref, const char *index_digest)
{
    char *data = NULL;
    size_t len = 0;
    int rc = store_read_blob(sv->s, index_digest, &data, &len, sv->err, sizeof sv->err);
    json_t *index = rc == 0 ? json_loadb(data, len, 0, NULL) : NULL;
    json_t *build = host_build(index);
    free(data);
    json_t *m = NULL;
    const char *digest = json_string_value(json_object_get(build, "digest"));
    if (rc == 0 && digest &&
        (rc = store_read_blob(sv->s, digest, &data, &len, sv->err, sizeof sv->err)) == 0)
        m = json_loadb(data, len, 0, NULL);
    if (m) {
        json_t *layers = json_array();
        size_t i;
        json_t *layer;
        json_array_foreach(json_object_get(m, "layers"), i, layer)
            json_array_append_new(layers, blob_member(layer));
        json_array_append_new(sv->docker, json_pack("{s:o, s:[s], s:o}", "Config",
                                                    blob_member(json_object_get(m, "config")),
                                                    "RepoTags", ref, "Layers", layers));
    }
    free(data);
    json_decref(m);
    json_decref(index);
    return rc;
}

/* Adds one name's index entry and its blobs (digest → size in sv->blobs). */
static int add_image(struct save *sv, const char *user_ref)
{
    char digest[STORE_DIGEST_SIZE];
    struct store_export form;
    struct store_blob *blobs = NULL;
    size_t n = 0;
    char *ref = store_normalize_ref(user_ref);
    int rc = ref ? 0 : -1;
    if (!ref)
        snprintf(sv->err, sizeof sv->err, "invalid reference format: '%s'", user_ref);
    if (rc == 0)
        rc = store_ref_index(sv->s, ref, digest, sv->err, sizeof sv->err);
    if (rc == 0)
        rc = oci_export(sv->s, digest, &form, sv->err, sizeof sv->err);
    if (rc == 0)
        rc = store_blob_tree(sv->s, &form, &blobs, &n, sv->err, sizeof sv->err);
    if (rc == 0)
        json_array_append_new(json_object_get(sv->index, "manifests"),
                              json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", form.media_type,
                                        "digest", form.digest, "size", (json_int_t)form.size,
                                        "annotations", "org.opencontainers.image.ref.name", ref));
    if (rc == 0)
        rc = add_docker_entry(sv, ref, form.digest);
    for (size_t i = 0; rc == 0 && i < n; i++)
        json_object_set_new(sv->blobs, blobs[i].digest, json_integer((json_int_t)blobs[i].size));
    free(blobs);
    free(ref);
    return rc;
}

static int write_layout(struct save *sv)
{
    char *index = json_dumps(sv->index, JSON_SORT_KEYS | JSON_COMPACT);
    char *docker = json_dumps(sv->docker, JSON_SORT_KEYS | JSON_COMPACT);
    int rc = add_bytes(sv, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
    if (rc == 0)
        rc = add_bytes(sv, "index.json", index, strlen(index));
    if (rc == 0)
        rc = add_bytes(sv, "manifest.json", docker, strlen(docker));
    if (rc == 0)
        rc = add_dir(sv, "blobs/");
    if (rc == 0)
        rc = add_dir(sv, "blobs/sha256/");
    const char *digest;
    json_t *size;
    json_object_foreach(sv->blobs, digest, size)
    {
        if (rc == 0)
            rc = add_blob(sv, digest, (uint64_t)json_integer_value(size));
    }
    free(docker);
    free(index);
    return rc;
}

/*
 * Every blob is hashed before the output is opened, so a damaged store
 * writes nothing at all: not into a device or a pipe, which cannot be
 * taken back, and not a half archive for a reader to find.
 */
static int verify_blobs(struct save *sv)
{
    const char *digest;
    json_t *size;
    json_object_foreach(sv->blobs, digest, size)
    {
        int fd = store_open_blob(sv->s, digest, (uint64_t)json_integer_value(size), sv->err,
                                 sizeof sv->err);
        if (fd < 0)
            return -1;
        close(fd);
    }
    return 0;
}

static int start_archive(struct save *sv, struct output *out)
{
    sv->output = out->name;
    sv->a = archive_write_new();
    archive_write_set_format_pax_restricted(sv->a);
    if (archive_write_open_fd(sv->a, out->fd) != ARCHIVE_OK) {
        snprintf(sv->err, sizeof sv->err, "%s: %s", out->name, archive_error_string(sv->a));
        return -1;
    }
    return 0;
}

static int save(struct save *sv, int n, char **refs, struct output *out)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < n; i++)
        rc = add_image(sv, refs[i]);
    if (rc == 0)
        rc = verify_blobs(sv);
    /* Everything is checked before the output is touched: a bad name leaves nothing. */
    if (rc == 0)
        rc = output_open(out, sv->err, sizeof sv->err);
    if (rc == 0)
        rc = start_archive(sv, out);
    if (rc == 0)
        rc = write_layout(sv);
    if (sv->a && archive_write_close(sv->a) != ARCHIVE_OK && rc == 0)
        rc = archive_failed(sv);
    if (rc == 0)
        rc = output_commit(out, sv->err, sizeof sv->err);
    else
        output_abort(out);
    return rc;
}

int cmd_save(int argc, char **argv)
{
    const char *output = NULL;
    int first = parse_save(argc, argv, &output);
    if (first < 0)
        return EXIT_UNIKIT_ERROR;
    if (!output && isatty(STDOUT_FILENO)) {
        cli_error("refusing to write an archive to a terminal; use -o FILE or redirect stdout");
        return EXIT_UNIKIT_ERROR;
    }
    struct store s = {0};
    if (cli_open_store(&s) < 0)
        return EXIT_UNIKIT_ERROR;
    struct save sv = {.s = &s, .blobs = json_object(), .docker = json_array()};
    sv.index =
        json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", INDEX_MEDIA, "manifests");
    /* Held throughout, so an rmi or gc meanwhile cannot delete blobs the archive names. */
    int rc = store_lock(&s, sv.err, sizeof sv.err);
    struct output out = {.path = output, .fd = -1};
    if (rc == 0)
        rc = save(&sv, argc - first, argv + first, &out);
    if (rc != 0)
        cli_error("%s", sv.err);
    if (sv.a)
        archive_write_free(sv.a);
    json_decref(sv.index);
    json_decref(sv.docker);
    json_decref(sv.blobs);
    store_close(&s);
    return rc == 0 ? 0 : EXIT_UNIKIT_ERROR;
}
