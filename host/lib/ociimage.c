/*
 * The standard OCI form of a unikit image (see ociimage.h).
 *
 * Where the standard blobs live: in the store, recorded in images/exports.json
 * against the stored image they stand for (store.c keeps them while that
 * image lives). Making them on the fly for every push would work too (the
 * layer is deterministic), but then a second push would gzip the image again,
 * a second pull would download it again (what was pulled would be thrown
 * away), and push could not mount blobs another repository of the registry
 * already holds, since it would not know their digests.
 */
#include "ociimage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "blob.h"
#include "elfcheck.h"
#include "util.h"

#define MEDIA_INDEX           "application/vnd.oci.image.index.v1+json"
#define MEDIA_MANIFEST        "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_CONFIG          "application/vnd.oci.image.config.v1+json"
#define MEDIA_LAYER_GZIP      "application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_LAYER_TAR       "application/vnd.oci.image.layer.v1.tar"
#define MEDIA_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_CONFIG   "application/vnd.docker.container.image.v1+json"
#define MEDIA_DOCKER_LAYER    "application/vnd.docker.image.rootfs.diff.tar.gzip"

#define ELF_PATH      ".unikit/image.elf"
#define CONFIG_PATH   ".unikit/config.json"
#define FILES_SECTION ".unikit.files"
#define MAX_CONFIG    (1u << 20) /* .unikit/config.json: a few hundred bytes in practice */
/* Sorted keys and no whitespace: the same image always gives the same bytes. */
#define JSON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

static const char *media_of(json_t *doc)
{
    const char *t = json_string_value(json_object_get(doc, "mediaType"));
    return t ? t : "";
}

static json_t *descriptor(const char *media, const char *digest, uint64_t size)
{
    return json_pack("{s:s, s:s, s:I}", "mediaType", media, "digest", digest, "size",
                     (json_int_t)size);
}

static void set_export(struct store_export *e, const char *media, const char *digest, uint64_t size)
{
    snprintf(e->media_type, sizeof e->media_type, "%s", media);
    snprintf(e->digest, sizeof e->digest, "%s", digest);
    e->size = size;
}

/* A blob's size on disk (0 when it is not there: the caller has read it already). */
static uint64_t blob_size(struct store *s, const char *digest)
{
    char *path = store_blob_path(s, digest);
    struct stat st;
    uint64_t size = path && stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    free(path);
    return size;
}

/* Reads a JSON blob of the store. */
static json_t *read_json(struct store *s, const char *digest, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    if (store_read_blob(s, digest, &data, &len, err, errlen) != 0)
        return NULL;
    json_t *doc = json_loadb(data, len, 0, NULL);
    if (!doc)
        errorf(err, errlen, "image blob %s is not JSON", digest);
    free(data);
    return doc;
}

/* Stores doc as a blob; *out describes it as media. */
static int put_json(struct store *s, json_t *doc, const char *media, struct store_export *out,
                    char *err, size_t errlen)
{
    char *text = json_dumps(doc, JSON_FLAGS);
    char digest[STORE_DIGEST_SIZE];
    int rc = text ? store_put_blob(s, text, strlen(text), digest, err, errlen)
                  : errorf(err, errlen, "image metadata cannot be written as JSON");
    if (rc == 0)
        set_export(out, media, digest, strlen(text));
    free(text);
    return rc;
}

/* ---- the layer: a deterministic tar.gz -------------------------------------- */

struct layer {
    struct archive *tar; /* its bytes go through tar_bytes into gz */
    struct archive *gz;  /* one raw stream, gzipped, into fd */
    EVP_MD_CTX *diff;    /* SHA-256 of the uncompressed tar: the diff_id */
    int fd;
    char *tmp;
    time_t mtime; /* every entry's: the image's creation time */
    char *err;
    size_t errlen;
};

static la_ssize_t tar_bytes(struct archive *a, void *data, const void *buf, size_t len)
{
    struct layer *l = data;
    if (EVP_DigestUpdate(l->diff, buf, len) != 1 ||
        archive_write_data(l->gz, buf, len) != (la_ssize_t)len) {
        archive_set_error(a, archive_errno(l->gz), "%s", archive_error_string(l->gz));
        return -1;
    }
    return (la_ssize_t)len;
}

static int layer_failed(struct layer *l, struct archive *a)
{
    int e = archive_errno(a);
    if (e == ENOSPC || e == EDQUOT || e == EFBIG)
        return store_write_failed(l->tmp, e, l->err, l->errlen);
    return errorf(l->err, l->errlen, "%s: making the image's layer: %s", l->tmp,
                  archive_error_string(a));
}

/* The gzip stream carries no time or name, and no padding after its end. */
static int open_layer(struct store *s, struct layer *l)
{
    l->fd = store_blob_temp(s, &l->tmp, l->err, l->errlen);
    if (l->fd < 0)
        return -1;
    l->diff = EVP_MD_CTX_new();
    l->gz = archive_write_new();
    l->tar = archive_write_new();
    if (!l->diff || EVP_DigestInit_ex(l->diff, EVP_sha256(), NULL) != 1)
        return errorf(l->err, l->errlen, "cannot start SHA-256");
    archive_write_set_format_raw(l->gz);
    archive_write_add_filter_gzip(l->gz);
    archive_write_set_bytes_in_last_block(l->gz, 1);
    if (archive_write_set_filter_option(l->gz, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
        archive_write_open_fd(l->gz, l->fd) != ARCHIVE_OK)
        return layer_failed(l, l->gz);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "layer.tar");
    archive_entry_set_filetype(e, AE_IFREG);
    int rc = archive_write_header(l->gz, e) == ARCHIVE_OK ? 0 : layer_failed(l, l->gz);
    archive_entry_free(e);
    archive_write_set_format_pax_restricted(l->tar);
    archive_write_set_bytes_in_last_block(l->tar, 1);
    if (rc == 0 && archive_write_open(l->tar, l, NULL, tar_bytes, NULL) != ARCHIVE_OK)
        rc = layer_failed(l, l->tar);
    return rc;
}

static struct archive_entry *layer_entry(const struct layer *l, const char *path, unsigned type,
                                         unsigned perm, int64_t size)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, perm);
    archive_entry_set_size(e, type == AE_IFREG ? size : 0);
    archive_entry_set_mtime(e, l->mtime, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    return e;
}

/* Writes e's header and frees e. */
static int put_header(struct layer *l, struct archive_entry *e)
{
    int rc = archive_write_header(l->tar, e) == ARCHIVE_OK ? 0 : layer_failed(l, l->tar);
    archive_entry_free(e);
    return rc;
}

static int put_bytes(struct layer *l, const char *path, const void *data, size_t len)
{
    int rc = put_header(l, layer_entry(l, path, AE_IFREG, 0644, (int64_t)len));
    if (rc == 0 && archive_write_data(l->tar, data, len) != (la_ssize_t)len)
        rc = layer_failed(l, l->tar);
    return rc;
}

/* The image file, from fd (the store's verified blob), as .unikit/image.elf. */
static int put_image(struct layer *l, int fd, uint64_t size)
{
    char buf[65536];
    int rc = put_header(l, layer_entry(l, ELF_PATH, AE_IFREG, 0644, (int64_t)size));
    for (uint64_t done = 0; rc == 0 && done < size;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return errorf(l->err, l->errlen, "image file: cannot read it whole");
        if (archive_write_data(l->tar, buf, (size_t)n) != n)
            rc = layer_failed(l, l->tar);
        done += (uint64_t)n;
    }
    return rc;
}

/* The .unikit.files section of the image file, read through libarchive as a cpio archive. */
struct section {
    int fd;
    uint64_t off, left;
    char buf[65536];
};

static la_ssize_t section_read(struct archive *a, void *data, const void **buf)
{
    struct section *sec = data;
    size_t want = sec->left < sizeof sec->buf ? (size_t)sec->left : sizeof sec->buf;
    ssize_t n;
    do
        n = pread(sec->fd, sec->buf, want, (off_t)sec->off);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        archive_set_error(a, errno, "%s", strerror(errno));
        return -1;
    }
    sec->off += (uint64_t)n;
    sec->left -= (uint64_t)n;
    *buf = sec->buf;
    return n;
}

static int copy_entry_data(struct layer *l, struct archive *in)
{
    const void *buf;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(in, &buf, &size, &offset)) == ARCHIVE_OK)
        if (archive_write_data(l->tar, buf, size) != (la_ssize_t)size)
            return layer_failed(l, l->tar);
    return r == ARCHIVE_EOF ? 0
                            : errorf(l->err, l->errlen, "the image's file archive: %s",
                                     archive_error_string(in));
}

/* One file of the image: its path, type, mode and contents, nothing of the builder's. */
static int copy_file(struct layer *l, struct archive *in, struct archive_entry *from)
{
    const char *name = archive_entry_pathname(from);
    while (name && *name == '/')
        name++;
    /* The image's own root, and a .unikit of its own, which the layer's would shadow. */
    if (!name || !*name || str_eq(name, ".") || str_eq(name, ".unikit") ||
        strncmp(name, ".unikit/", 8) == 0)
        return 0;
    unsigned type = archive_entry_filetype(from);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
        return 0;
    struct archive_entry *e =
        layer_entry(l, name, type, archive_entry_perm(from) & 07777, archive_entry_size(from));
    if (type == AE_IFLNK)
        archive_entry_set_symlink(e, archive_entry_symlink(from));
    int rc = put_header(l, e);
    return rc == 0 && type == AE_IFREG ? copy_entry_data(l, in) : rc;
}

static int put_files(struct layer *l, const char *elf_path, int fd)
{
    struct section sec = {.fd = fd};
    int found = elf_find_section(elf_path, FILES_SECTION, &sec.off, &sec.left, l->err, l->errlen);
    if (found != 0)
        return -1;
    struct archive *in = archive_read_new();
    struct archive_entry *e;
    archive_read_support_format_cpio(in);
    archive_read_support_filter_gzip(in); /* a small image's archive (archivegz.h) */
    int r, rc = archive_read_open(in, &sec, NULL, section_read, NULL) == ARCHIVE_OK
                    ? 0
                    : errorf(l->err, l->errlen, "%s: %s", elf_path, archive_error_string(in));
    while (rc == 0 && (r = archive_read_next_header(in, &e)) != ARCHIVE_EOF)
        rc = r == ARCHIVE_OK ? copy_file(l, in, e)
                             : errorf(l->err, l->errlen, "%s: the image's file archive: %s",
                                      elf_path, archive_error_string(in));
    archive_read_free(in);
    return rc;
}

static int close_layer(struct layer *l)
{
    int rc = archive_write_close(l->tar) == ARCHIVE_OK ? 0 : layer_failed(l, l->tar);
    if (rc == 0 && archive_write_close(l->gz) != ARCHIVE_OK)
        rc = layer_failed(l, l->gz);
    return rc;
}

static void free_layer(struct layer *l)
{
    if (l->tar)
        archive_write_free(l->tar);
    if (l->gz)
        archive_write_free(l->gz);
    EVP_MD_CTX_free(l->diff);
    if (l->fd >= 0)
        close(l->fd);
    if (l->tmp)
        unlink(l->tmp);
    free(l->tmp);
}

/* "sha256:" and the hex of the diff_id. */
static void diff_id_of(struct layer *l, char out[STORE_DIGEST_SIZE])
{
    unsigned char md[32];
    unsigned int n = 0;
    EVP_DigestFinal_ex(l->diff, md, &n);
    char *p = out + snprintf(out, STORE_DIGEST_SIZE, "sha256:");
    for (unsigned i = 0; i < 32; i++)
        p += sprintf(p, "%02x", md[i]);
}

/* Commits the gzipped layer as a blob; *out describes it. */
static int commit_layer(struct store *s, struct layer *l, struct store_export *out)
{
    char digest[BLOB_DIGEST_LEN + 1];
    struct stat st;
    if (lseek(l->fd, 0, SEEK_SET) != 0 || blob_hash_fd(l->fd, digest) != 0 ||
        fstat(l->fd, &st) != 0)
        return errorf(l->err, l->errlen, "%s: %s", l->tmp, strerror(errno));
    set_export(out, MEDIA_LAYER_GZIP, digest, (uint64_t)st.st_size);
    int rc = store_commit_blob(s, l->fd, l->tmp, digest, l->err, l->errlen);
    l->fd = -1; /* closed, and tmp is gone, whatever happened */
    return rc;
}

/*
 * The layer of one build: .unikit/ first, then the image's files. Only the
 * image decides its bytes: fixed times, owner root, no gzip timestamp.
 */
static int make_layer(struct store *s, const char *elf_digest, uint64_t elf_size,
                      const char *config, size_t config_len, time_t created,
                      struct store_export *out, char diff_id[STORE_DIGEST_SIZE], char *err,
                      size_t errlen)
{
    struct layer l = {.fd = -1, .mtime = created, .err = err, .errlen = errlen};
    int elf = store_open_blob(s, elf_digest, elf_size, err, errlen);
    char *elf_path = store_blob_path(s, elf_digest);
    int rc = elf >= 0 ? open_layer(s, &l) : -1;
    if (rc == 0)
        rc = put_header(&l, layer_entry(&l, ".unikit", AE_IFDIR, 0755, 0));
    if (rc == 0)
        rc = put_bytes(&l, CONFIG_PATH, config, config_len);
    if (rc == 0)
        rc = put_image(&l, elf, elf_size);
    if (rc == 0)
        rc = put_files(&l, elf_path, elf);
    if (rc == 0)
        rc = close_layer(&l);
    if (rc == 0) {
        diff_id_of(&l, diff_id);
        rc = commit_layer(s, &l, out);
    }
    free_layer(&l);
    if (elf >= 0)
        close(elf);
    free(elf_path);
    return rc;
}

/* ---- export -------------------------------------------------------------------- */

/* v[from], v[from+1], ... (v has at least from entries). */
static json_t *strings(char *const *v, size_t from)
{
    json_t *a = json_array();
    for (size_t i = from; v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *labels(const struct image_config *c)
{
    char memory[32];
    snprintf(memory, sizeof memory, "%llu", (unsigned long long)c->memory);
    return json_pack("{s:s, s:s, s:s, s:s}", "org.unikit.format", "1", "org.unikit.arch", c->arch,
                     "org.unikit.memory", memory, "org.unikit.network", c->net ? "true" : "false");
}

/* The settings docker reads: Entrypoint is the program, Cmd its arguments. */
static json_t *container_config(json_t *stored, const struct image_config *c)
{
    json_t *settings = json_object_get(stored, "config");
    json_t *out = json_pack("{s:o}", "Labels", labels(c));
    if (c->cmd && c->cmd[0])
        json_object_set_new(out, "Entrypoint", json_pack("[s]", c->cmd[0]));
    if (c->cmd && c->cmd[0] && c->cmd[1])
        json_object_set_new(out, "Cmd", strings(c->cmd, 1));
    if (json_array_size(json_object_get(settings, "Env")))
        json_object_set(out, "Env", json_object_get(settings, "Env"));
    if (json_object_size(json_object_get(settings, "ExposedPorts")))
        json_object_set(out, "ExposedPorts", json_object_get(settings, "ExposedPorts"));
    if (json_object_size(json_object_get(settings, "Volumes")))
        json_object_set(out, "Volumes", json_object_get(settings, "Volumes"));
    return out;
}

static json_t *standard_config(json_t *stored, const struct image_config *c, const char *diff_id)
{
    const char *created = json_string_value(json_object_get(stored, "created"));
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "architecture",
                  store_oci_arch(c->arch), "os", "linux", "created",
                  created ? created : "1970-01-01T00:00:00Z", "config", container_config(stored, c),
                  "rootfs", "type", "layers", "diff_ids", diff_id, "history", "created",
                  created ? created : "1970-01-01T00:00:00Z", "created_by", "unikit build");
    json_object_set(doc, "unikit", json_object_get(stored, "unikit"));
    return doc;
}

/* The config and layer descriptors of a manifest of the store's own format. */
static int stored_parts(json_t *m, const char *digest, json_t **config, json_t **layer, char *err,
                        size_t errlen)
{
    json_t *layers = json_object_get(m, "layers");
    *config = json_object_get(m, "config");
    *layer = json_array_get(layers, 0);
    if (!str_eq(media_of(*config), UNIKIT_MEDIA_CONFIG) || json_array_size(layers) != 1 ||
        !str_eq(media_of(*layer), UNIKIT_MEDIA_IMAGE) ||
        !json_string_value(json_object_get(*config, "digest")) ||
        !json_string_value(json_object_get(*layer, "digest")))
        return errorf(err, errlen, "image blob %s: not a unikit image manifest", digest);
    return 0;
}

/* Builds the standard form of one stored build (its config and layer given). */
static int export_parts(struct store *s, const char *config_digest, json_t *layer,
                        struct store_export *out, char *err, size_t errlen)
{
    struct image_config c;
    json_t *stored = NULL, *config = NULL, *manifest = NULL;
    char *text = NULL, diff_id[STORE_DIGEST_SIZE];
    size_t len = 0;
    struct store_export layer_blob, config_blob;
    int rc = store_parse_config(s, config_digest, &c, err, errlen);
    if (rc == 0)
        rc = store_read_blob(s, config_digest, &text, &len, err, errlen);
    if (rc == 0 && !(stored = json_loadb(text, len, 0, NULL)))
        rc = errorf(err, errlen, "image blob %s is not JSON", config_digest);
    if (rc == 0)
        rc = make_layer(s, json_string_value(json_object_get(layer, "digest")),
                        (uint64_t)json_integer_value(json_object_get(layer, "size")), text, len,
                        c.created, &layer_blob, diff_id, err, errlen);
    if (rc == 0)
        rc = put_json(s, config = standard_config(stored, &c, diff_id), MEDIA_CONFIG, &config_blob,
                      err, errlen);
    if (rc == 0) {
        manifest =
            json_pack("{s:i, s:s, s:o, s:[o]}", "schemaVersion", 2, "mediaType", MEDIA_MANIFEST,
                      "config", descriptor(MEDIA_CONFIG, config_blob.digest, config_blob.size),
                      "layers", descriptor(MEDIA_LAYER_GZIP, layer_blob.digest, layer_blob.size));
        rc = put_json(s, manifest, MEDIA_MANIFEST, out, err, errlen);
    }
    json_decref(manifest);
    json_decref(config);
    json_decref(stored);
    free(text);
    store_config_free(&c);
    return rc;
}

/*
 * Every blob root reaches is there, a regular file of its size: JSON blobs
 * are hashed as they are read, the others only opened (a layer is hashed
 * when it is sent). -1 with err naming the first that is not.
 */
static int tree_present(struct store *s, const struct store_export *root, char *err, size_t errlen)
{
    struct store_blob *blobs = NULL;
    size_t n = 0;
    int rc = store_blob_tree(s, root, &blobs, &n, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *path = store_blob_path(s, blobs[i].digest);
        int fd = blob_open(path, blobs[i].digest, blobs[i].size, NULL, err, errlen);
        rc = fd >= 0 ? 0 : -1;
        if (fd >= 0)
            close(fd);
        free(path);
    }
    free(blobs);
    return rc;
}

/* A recorded form is used only while every blob of it is there at its size. */
static bool export_intact(struct store *s, const struct store_export *e)
{
    char ignored[256];
    return tree_present(s, e, ignored, sizeof ignored) == 0;
}

static int export_manifest(struct store *s, const char *digest, struct store_export *out, char *err,
                           size_t errlen)
{
    if (store_export_get(s, digest, out) == 0 && export_intact(s, out))
        return 0;
    json_t *m = read_json(s, digest, err, errlen), *config, *layer;
    int rc = m ? stored_parts(m, digest, &config, &layer, err, errlen) : -1;
    if (rc == 0)
        rc = export_parts(s, json_string_value(json_object_get(config, "digest")), layer, out, err,
                          errlen);
    if (rc == 0)
        rc = store_export_set(s, digest, out, err, errlen);
    json_decref(m);
    return rc;
}

int oci_export(struct store *s, const char *digest, struct store_export *out, char *err,
               size_t errlen)
{
    /* A damaged image is reported as such, even when its standard form is intact. */
    struct store_export stored;
    set_export(&stored, MEDIA_INDEX, digest, blob_size(s, digest));
    if (tree_present(s, &stored, err, errlen) != 0)
        return -1;
    if (store_export_get(s, digest, out) == 0 && export_intact(s, out))
        return 0;
    json_t *index = read_json(s, digest, err, errlen);
    json_t *list = json_array();
    int rc = index ? 0 : -1;
    size_t i;
    json_t *build;
    json_array_foreach(json_object_get(index, "manifests"), i, build)
    {
        struct store_export m;
        if (rc == 0)
            rc = export_manifest(s, json_string_value(json_object_get(build, "digest")), &m, err,
                                 errlen);
        if (rc == 0) {
            json_t *desc = descriptor(MEDIA_MANIFEST, m.digest, m.size);
            json_object_set(desc, "platform", json_object_get(build, "platform"));
            json_array_append_new(list, desc);
        }
    }
    json_t *doc = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", MEDIA_INDEX,
                            "manifests", list);
    if (rc == 0)
        rc = put_json(s, doc, MEDIA_INDEX, out, err, errlen);
    if (rc == 0)
        rc = store_export_set(s, digest, out, err, errlen);
    json_decref(doc);
    json_decref(list);
    json_decref(index);
    return rc;
}

/* ---- import -------------------------------------------------------------------- */

int oci_known_config_type(const char *t)
{
    return str_eq(t, UNIKIT_MEDIA_CONFIG) || str_eq(t, MEDIA_CONFIG) ||
           str_eq(t, MEDIA_DOCKER_CONFIG);
}

static bool is_layer_type(const char *t)
{
    return str_eq(t, MEDIA_LAYER_GZIP) || str_eq(t, MEDIA_LAYER_TAR) ||
           str_eq(t, MEDIA_DOCKER_LAYER);
}

/* A manifest in the store's own format: nothing to convert. */
static bool is_stored_format(json_t *m)
{
    return str_eq(media_of(json_object_get(m, "config")), UNIKIT_MEDIA_CONFIG);
}

int oci_check_config(struct store *s, const char *name, const char *config_digest, char *err,
                     size_t errlen)
{
    json_t *doc = read_json(s, config_digest, err, errlen);
    if (!doc)
        return -1;
    json_t *labels = json_object_get(json_object_get(doc, "config"), "Labels");
    const char *format = json_string_value(json_object_get(labels, "org.unikit.format"));
    int rc = 0;
    if (!json_is_object(json_object_get(doc, "unikit")) && !str_eq(format, "1"))
        rc = errorf(err, errlen,
                    "%s is not a unikit image (its config has no org.unikit.format label)", name);
    json_decref(doc);
    return rc;
}

/* What import takes from a layer. */
struct unpacked {
    char *elf_tmp; /* .unikit/image.elf, in a temporary file among the blobs */
    char *config;  /* .unikit/config.json */
    size_t config_len;
};

static void unpacked_free(struct unpacked *u)
{
    if (u->elf_tmp)
        unlink(u->elf_tmp);
    free(u->elf_tmp);
    free(u->config);
}

/* Copies the current member into a temporary file: never more than limit bytes. */
static int unpack_elf(struct store *s, struct archive *a, struct archive_entry *e,
                      struct unpacked *u, const char *name, char *err, size_t errlen)
{
    uint64_t limit = 0;
    if (blob_max_size(&limit, err, errlen) != 0)
        return -1;
    if (archive_entry_filetype(e) != AE_IFREG || archive_entry_size(e) < 0 ||
        (uint64_t)archive_entry_size(e) > limit)
        return errorf(err, errlen,
                      "%s: " ELF_PATH " is not a file of at most %llu bytes (UNIKIT_LOAD_MAX_BLOB)",
                      name, (unsigned long long)limit);
    if (u->elf_tmp)
        return errorf(err, errlen, "%s: its layer holds " ELF_PATH " twice", name);
    int fd = store_blob_temp(s, &u->elf_tmp, err, errlen);
    if (fd < 0)
        return -1;
    const void *buf;
    size_t size;
    la_int64_t offset;
    int r, rc = 0;
    while (rc == 0 && (r = archive_read_data_block(a, &buf, &size, &offset)) != ARCHIVE_EOF) {
        if (r != ARCHIVE_OK)
            rc = errorf(err, errlen, "%s: its layer: %s", name, archive_error_string(a));
        else if (offset < 0 || (uint64_t)offset + size > limit)
            rc = errorf(err, errlen, "%s: " ELF_PATH " is larger than its tar header says", name);
        else if (pwrite_all(fd, buf, size, offset) != 0)
            rc = store_write_failed(u->elf_tmp, errno, err, errlen);
    }
    close(fd);
    return rc;
}

static int unpack_config(struct archive *a, struct archive_entry *e, struct unpacked *u,
                         const char *name, char *err, size_t errlen)
{
    int64_t size = archive_entry_size(e);
    if (archive_entry_filetype(e) != AE_IFREG || size < 0 || size > MAX_CONFIG)
        return errorf(err, errlen, "%s: " CONFIG_PATH " is not a file of at most %u bytes", name,
                      MAX_CONFIG);
    free(u->config);
    u->config = xcalloc((size_t)size + 1, 1);
    u->config_len = (size_t)size;
    if (archive_read_data(a, u->config, (size_t)size) != (la_ssize_t)size)
        return errorf(err, errlen, "%s: its layer: %s", name, archive_error_string(a));
    return 0;
}

/* Reads .unikit/image.elf and .unikit/config.json out of the layer blob. */
static int unpack_layer(struct store *s, json_t *layer, struct unpacked *u, const char *name,
                        char *err, size_t errlen)
{
    const char *digest = json_string_value(json_object_get(layer, "digest"));
    json_int_t size = json_integer_value(json_object_get(layer, "size"));
    int fd = size >= 0 ? store_open_blob(s, digest, (uint64_t)size, err, errlen) : -1;
    if (fd < 0)
        return -1;
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    archive_read_support_format_tar(a);
    archive_read_support_filter_all(a);
    int r, rc = archive_read_open_fd(a, fd, 65536) == ARCHIVE_OK
                    ? 0
                    : errorf(err, errlen, "%s: its layer: %s", name, archive_error_string(a));
    while (rc == 0 && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
        const char *path = archive_entry_pathname(e);
        while (path && (strncmp(path, "./", 2) == 0 || *path == '/'))
            path += *path == '/' ? 1 : 2;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            rc = errorf(err, errlen, "%s: its layer: %s", name, archive_error_string(a));
        else if (str_eq(path, ELF_PATH))
            rc = unpack_elf(s, a, e, u, name, err, errlen);
        else if (str_eq(path, CONFIG_PATH))
            rc = unpack_config(a, e, u, name, err, errlen);
    }
    archive_read_free(a);
    close(fd);
    if (rc == 0 && (!u->elf_tmp || !u->config))
        rc = errorf(err, errlen, "%s is not a unikit image (its layer has no %s)", name,
                    u->elf_tmp ? CONFIG_PATH : ELF_PATH);
    return rc;
}

/* The image file must be of the architecture its config says. */
static int check_elf_arch(const char *path, const char *arch, const char *name, char *err,
                          size_t errlen)
{
    struct elf_info info;
    if (elf_inspect(path, &info, err, errlen) != 0)
        return errorf(err, errlen, "%s: " ELF_PATH " is not an ELF file", name);
    if (!str_eq(info.arch, arch))
        return errorf(err, errlen, "%s: " ELF_PATH " is for %s, but its config says %s", name,
                      info.arch ? info.arch : "another architecture", arch);
    return 0;
}

/* One standard build (manifest m, blob desc) into the store: *stored is its manifest. */
static int import_build(struct store *s, const char *name, json_t *m,
                        const struct store_export *desc, struct store_export *stored, char **arch,
                        char *err, size_t errlen)
{
    json_t *layers = json_object_get(m, "layers");
    json_t *config = json_object_get(m, "config");
    const char *config_digest = json_string_value(json_object_get(config, "digest"));
    struct unpacked u = {0};
    struct image_config c = {0};
    char config_blob[STORE_DIGEST_SIZE];
    int rc = 0;
    if (json_array_size(layers) != 1 || !is_layer_type(media_of(json_array_get(layers, 0))) ||
        !oci_known_config_type(media_of(config)) || !config_digest)
        rc = errorf(err, errlen, "%s is not a unikit image (a unikit image has one tar layer)",
                    name);
    if (rc == 0)
        rc = oci_check_config(s, name, config_digest, err, errlen);
    if (rc == 0)
        rc = unpack_layer(s, json_array_get(layers, 0), &u, name, err, errlen);
    /* The store parses its config from a blob: .unikit/config.json is one, byte for byte. */
    if (rc == 0)
        rc = store_put_blob(s, u.config, u.config_len, config_blob, err, errlen);
    if (rc == 0 && store_parse_config(s, config_blob, &c, err, errlen) != 0)
        rc = errorf(err, errlen, "%s: " CONFIG_PATH " is not a unikit image config", name);
    if (rc == 0)
        rc = check_elf_arch(u.elf_tmp, c.arch, name, err, errlen);
    if (rc == 0)
        rc = store_put_build(s, &c, u.elf_tmp, stored, err, errlen);
    if (rc == 0)
        rc = store_export_set(s, stored->digest, desc, err, errlen);
    if (rc == 0)
        *arch = xstrdup(c.arch);
    store_config_free(&c);
    unpacked_free(&u);
    return rc;
}

/* The builds of an image, in the store's format. */
struct builds {
    struct store_export *manifests;
    char **arches;
    size_t n;
    bool converted; /* at least one came in the standard form */
};

static void builds_free(struct builds *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->arches[i]);
    free(b->arches);
    free(b->manifests);
}

static int add_build(struct store *s, const char *name, json_t *desc, struct builds *b, char *err,
                     size_t errlen)
{
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    json_t *m = digest ? read_json(s, digest, err, errlen) : NULL;
    size_t i = b->n;
    int rc = m ? 0 : -1;
    if (!digest)
        rc = errorf(err, errlen, "%s: the image index has a bad descriptor", name);
    if (rc == 0 && is_stored_format(m)) {
        struct image_config c;
        json_t *config = json_object_get(m, "config");
        const char *cd = json_string_value(json_object_get(config, "digest"));
        rc = store_parse_config(s, cd ? cd : "", &c, err, errlen);
        if (rc == 0) {
            b->arches[i] = xstrdup(c.arch);
            set_export(&b->manifests[i], MEDIA_MANIFEST, digest,
                       (uint64_t)json_integer_value(json_object_get(desc, "size")));
        }
        store_config_free(&c);
    } else if (rc == 0) {
        struct store_export from;
        set_export(&from, *media_of(m) ? media_of(m) : MEDIA_MANIFEST, digest,
                   (uint64_t)json_integer_value(json_object_get(desc, "size")));
        rc = import_build(s, name, m, &from, &b->manifests[i], &b->arches[i], err, errlen);
        b->converted = true;
    }
    b->n += rc == 0;
    json_decref(m);
    return rc;
}

/* Attestations and other non-images an index may list (platform unknown/unknown). */
static bool is_image_entry(json_t *desc)
{
    const char *arch =
        json_string_value(json_object_get(json_object_get(desc, "platform"), "architecture"));
    return !str_eq(arch, "unknown");
}

int oci_import(struct store *s, const char *name, const char *digest,
               char stored[STORE_DIGEST_SIZE], char *err, size_t errlen)
{
    json_t *top = read_json(s, digest, err, errlen);
    if (!top)
        return -1;
    bool is_index = json_is_array(json_object_get(top, "manifests"));
    json_t *list = is_index ? json_object_get(top, "manifests")
                            : json_pack("[{s:s, s:I}]", "digest", digest, "size",
                                        (json_int_t)blob_size(s, digest));
    size_t n = json_array_size(list), i;
    struct builds b = {.manifests = xcalloc(n + 1, sizeof *b.manifests),
                       .arches = xcalloc(n + 1, sizeof *b.arches)};
    int rc = n ? 0 : errorf(err, errlen, "%s: the image index lists no manifests", name);
    json_t *desc;
    json_array_foreach(list, i, desc)
    {
        if (rc == 0 && is_image_entry(desc))
            rc = add_build(s, name, desc, &b, err, errlen);
    }
    if (rc == 0 && b.n == 0)
        rc = errorf(err, errlen, "%s is not a unikit image (no linux/amd64 or linux/arm64 image)",
                    name);
    if (rc == 0 && !b.converted) /* the store's own format: the store checks it as it names it */
        snprintf(stored, STORE_DIGEST_SIZE, "%s", digest);
    else if (rc == 0)
        rc = store_put_builds(s, b.manifests, b.arches, b.n, stored, err, errlen);
    if (rc == 0 && b.converted && is_index) {
        struct store_export form;
        set_export(&form, *media_of(top) ? media_of(top) : MEDIA_INDEX, digest,
                   blob_size(s, digest));
        rc = store_export_set(s, stored, &form, err, errlen);
    }
    builds_free(&b);
    if (!is_index)
        json_decref(list);
    json_decref(top);
    return rc;
}
