/*
 * The image store: an OCI image layout at $UNIKIT_HOME/images.
 *
 * Each image name (a reference such as "hello" or "localhost:5000/hello:1";
 * no tag means ":latest") points from index.json to an OCI image index with
 * one manifest per architecture. A manifest's config blob carries unikit's
 * runtime settings; its single layer is the bootable image file.
 */
#ifndef UNIKIT_STORE_H
#define UNIKIT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define UNIKIT_MEDIA_CONFIG "application/vnd.unikit.config.v1+json"
#define UNIKIT_MEDIA_IMAGE  "application/vnd.unikit.image.v1+elf"
#define STORE_DIGEST_SIZE   72 /* "sha256:" + 64 hex digits + NUL */

struct image_config {
    char *arch;     /* "x86_64" */
    char **cmd;     /* NULL-terminated */
    char **env;     /* NULL-terminated "K=V" */
    char **ports;   /* NULL-terminated */
    char **volumes; /* the Unikfile's volumes: guest folders; NULL-terminated */
    uint64_t memory;
    time_t created;
    bool net;             /* linked with the network object: it gets a NIC when run */
    char *specialization; /* JSON text (host/lib/spec.h), or NULL: an older image */
};

struct store_image {
    char *ref;        /* normalized reference, "hello:latest" */
    char *digest;     /* the manifest's digest "sha256:…" */
    char *layer_path; /* the image file's blob path */
    char *layer_digest;
    uint64_t layer_size;
    struct image_config config;
};

struct store {
    char *home;  /* $UNIKIT_HOME */
    char *dir;   /* $UNIKIT_HOME/images */
    bool locked; /* store_lock holds the writer lock on lock_fd */
    int lock_fd;
};

/* Opens (creating if needed) the store under home; -1 with err on failure. */
int store_open(struct store *s, const char *home, char *err, size_t errlen);
void store_close(struct store *s);

/* "hello" → "hello:latest"; a newly allocated string, NULL if malformed. */
char *store_normalize_ref(const char *ref);

/*
 * Adds image_file (copied in as a blob) with its config under ref, replacing
 * that ref's manifest for config->arch and keeping other architectures.
 * Atomic: index.json is replaced by rename.
 */
int store_put(struct store *s, const char *ref, const struct image_config *config,
              const char *image_file, char *err, size_t errlen);

/* Finds ref for arch (NULL: the only one, or the host's). 0, or -1 with err. */
int store_get(struct store *s, const char *ref, const char *arch, struct store_image *out,
              char *err, size_t errlen);
/*
 * Every build of ref, by architecture: *out is an array of *count entries.
 * 0; 1 when there is no such ref; -1 when it cannot be read (err names the
 * damaged blob).
 */
int store_get_all(struct store *s, const char *ref, struct store_image **out, size_t *count,
                  char *err, size_t errlen);
/*
 * Lists every (ref, arch) pair; *out is an array of *count entries. With bad,
 * a ref that cannot be read (a damaged blob) is left out and named in *bad,
 * a NULL-terminated vector of "REF: why" lines (NULL when every ref was
 * read; free with store_strings_free); without, it fails the whole list.
 */
int store_list(struct store *s, struct store_image **out, size_t *count, char ***bad, char *err,
               size_t errlen);
/* Removes ref (all architectures); unreferenced blobs are deleted. */
int store_remove(struct store *s, const char *ref, char *err, size_t errlen);
/* Recomputes a blob's SHA-256; -1 with err naming the blob when it differs. */
int store_verify_blob(struct store *s, const char *digest, char *err, size_t errlen);

/* Deletes blobs not reachable from index.json (put and remove do this too). */
int store_gc(struct store *s, char *err, size_t errlen);

/* "x86_64"/"amd64" → "amd64", "aarch64"/"arm64" → "arm64"; NULL if unknown. */
const char *store_oci_arch(const char *arch);
/* "amd64"/"x86_64" → "x86_64", "arm64"/"aarch64" → "aarch64"; NULL if unknown. */
const char *store_unikit_arch(const char *arch);

/*
 * For pull, load, push, save and tag. A writer that adds blobs before any
 * reference names them (pull, load) holds the writer lock throughout, so a
 * concurrent put or remove cannot collect them as garbage meanwhile; the
 * store's own writers nest inside it.
 */
int store_lock(struct store *s, char *err, size_t errlen);
void store_unlock(struct store *s);

/* The path of a blob; NULL for a malformed digest. */
char *store_blob_path(const struct store *s, const char *digest);
/* True when the blob is present, of size bytes, and its content hashes to its name. */
bool store_has_blob(struct store *s, const char *digest, uint64_t size);
/* A new temporary file among the blobs (*tmp_path is allocated); fd or -1. */
int store_blob_temp(struct store *s, char **tmp_path, char *err, size_t errlen);
/*
 * Makes the temporary file fd/tmp the blob digest, after hashing it again:
 * bytes that do not match never get a blob's name. Closes fd; tmp is gone
 * afterwards whatever happens.
 */
int store_commit_blob(struct store *s, int fd, const char *tmp, const char *digest, char *err,
                      size_t errlen);
/*
 * One line for a failed write of path into the store (errno e): a full disk
 * says "no space left on device" in words. Returns -1.
 */
int store_write_failed(const char *path, int e, char *err, size_t errlen);
/* Stores bytes as a blob; digest receives its name. */
int store_put_blob(struct store *s, const void *data, size_t len, char digest[STORE_DIGEST_SIZE],
                   char *err, size_t errlen);
/* Reads a small (JSON) blob whole, verified against its digest; *data is NUL-terminated. */
int store_read_blob(struct store *s, const char *digest, char **data, size_t *len, char *err,
                    size_t errlen);

/* The digest of the image index ref names. */
int store_ref_index(struct store *s, const char *ref, char digest[STORE_DIGEST_SIZE], char *err,
                    size_t errlen);
/*
 * Points ref at a stored image index (or a single unikit manifest, which is
 * wrapped in an index), after checking every build it lists loads. Does not
 * collect garbage: call store_gc when the last ref is set.
 */
int store_set_ref(struct store *s, const char *ref, const char *digest, char *err, size_t errlen);
/* store_set_ref for n refs at once (distinct names), with one write of index.json. */
int store_set_refs(struct store *s, char *const *refs, char *const *digests, size_t n, char *err,
                   size_t errlen);
/* Another reference to src's image index, as `docker tag`. */
int store_tag(struct store *s, const char *src, const char *dst, char *err, size_t errlen);
/* Every reference, normalized; a NULL-terminated vector in *out. */
int store_refs(struct store *s, char ***out, char *err, size_t errlen);
/* Every blob digest ref reaches (index, manifests, configs, layers); NULL-terminated. */
int store_ref_blobs(struct store *s, const char *ref, char ***out, char *err, size_t errlen);
struct store_blob {
    char digest[STORE_DIGEST_SIZE];
    uint64_t size; /* as its descriptor says */
};
/* The same blobs with their sizes: an array of *count entries, for free(). */
int store_ref_blob_list(struct store *s, const char *ref, struct store_blob **out, size_t *count,
                        char *err, size_t errlen);
/*
 * Opens a blob to stream it: a regular file of size bytes (checked before
 * reading) whose content hashes to digest, positioned at its start. The fd,
 * or -1 with err naming the blob.
 */
int store_open_blob(struct store *s, const char *digest, uint64_t size, char *err, size_t errlen);
/* Frees a vector from store_refs or store_ref_blobs. */
void store_strings_free(char **v);

/*
 * The standard OCI form of a stored image (ociimage.c): images/exports.json
 * maps a stored image index or manifest to the descriptor of its standard
 * form, whose blobs garbage collection keeps as long as the stored one lives.
 */
struct store_export {
    char media_type[96];
    char digest[STORE_DIGEST_SIZE];
    uint64_t size;
};
/* 0 with *out when digest has a recorded standard form, else 1. */
int store_export_get(struct store *s, const char *digest, struct store_export *out);
/* Records form as the standard form of digest; its blobs must be in the store. */
int store_export_set(struct store *s, const char *digest, const struct store_export *form,
                     char *err, size_t errlen);
/* Every blob root reaches (itself, manifests, configs, layers), with sizes. */
int store_blob_tree(struct store *s, const struct store_export *root, struct store_blob **out,
                    size_t *count, char *err, size_t errlen);
/* Reads a unikit config blob (the store's own config format). */
int store_parse_config(struct store *s, const char *digest, struct image_config *out, char *err,
                       size_t errlen);
void store_config_free(struct image_config *c);
/*
 * Stores one build (config and image file) as store_put does, without naming
 * it: *manifest is its manifest. The caller holds store_lock until a name
 * reaches it, or garbage collection may take it.
 */
int store_put_build(struct store *s, const struct image_config *config, const char *image_file,
                    struct store_export *manifest, char *err, size_t errlen);
/* An image index of n builds (manifests[i] for arches[i]), as store_put makes them. */
int store_put_builds(struct store *s, const struct store_export *manifests, char *const *arches,
                     size_t n, char digest[STORE_DIGEST_SIZE], char *err, size_t errlen);

void store_image_free(struct store_image *img);
void store_images_free(struct store_image *imgs, size_t count);

#endif
