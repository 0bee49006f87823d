/*
 * What the image store's own files share, and nothing else includes:
 *
 *   store.c         opening, locking, the store's files, index.json
 *   store_ref.c     the syntax of references ("host:5000/name:tag")
 *   store_blob.c    blobs: descriptors, writing, reading what hashes to its name
 *   store_put.c     writing an image: config, manifest, image index, the ref
 *   store_get.c     reading images back: get, get_all, list
 *   store_gc.c      removing refs and collecting unreferenced blobs
 *   store_export.c  the standard OCI forms push and save made (exports.json)
 *   store_refs.c    refs and blob trees for push, pull, save, load and tag
 *
 * Every function here takes a store the caller has opened; those that
 * change index.json or blobs/ expect the caller to hold lock_store's lock.
 */
#ifndef UNIKIT_STORE_INTERNAL_H
#define UNIKIT_STORE_INTERNAL_H

#include "blob.h"
#include "store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MEDIA_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define ANNOTATION_REF        "org.opencontainers.image.ref.name"
#define ANNOTATION_CREATED    "org.opencontainers.image.created"

/* Sorted keys and no whitespace: the same image always hashes the same. */
#define JSON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

#define DIGEST_PREFIX BLOB_DIGEST_PREFIX
#define DIGEST_LEN    BLOB_DIGEST_LEN

/* A descriptor's core: which blob, and how big it must be. */
struct blob_ref {
    char digest[DIGEST_LEN + 1];
    uint64_t size;
};

static inline const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* store.c: paths and the store's files. */
char *blobs_dir(const struct store *s);
char *blob_path(const struct store *s, const char *digest);
char *index_path(const struct store *s);
char *json_text(json_t *doc); /* JSON_FLAGS text, never NULL */
int write_failed(const char *path, char *err, size_t errlen);
/* A new temporary file in dir (same file system, so rename is atomic). */
int temp_file(const char *dir, char **tmp_path, char *err, size_t errlen);
/*
 * Moves a fully written temporary file to path, durably. replace=false
 * never clobbers an existing file (link fails instead). Closes fd, and
 * removes tmp whatever happens.
 */
int commit_temp(int fd, const char *tmp, const char *dir, const char *path, bool replace, char *err,
                size_t errlen);
/* Writes path (in dir) by way of a temporary file and commit_temp. */
int write_store_file(const char *dir, const char *path, const void *data, size_t len, bool replace,
                     char *err, size_t errlen);
/* Replaces path, a file of the images folder, with doc's JSON_FLAGS text. */
int save_store_json(const struct store *s, const char *path, json_t *doc, char *err, size_t errlen);
/* The writers' lock: an fd to close to release it, or -1 with err. */
int lock_store(const struct store *s, char *err, size_t errlen);

/* store.c: index.json, one image-index descriptor per ref. */
json_t *manifests_of(json_t *doc);
json_t *load_index(const struct store *s, char *err, size_t errlen);
int save_index(const struct store *s, json_t *index, char *err, size_t errlen);
const char *ref_name_of(json_t *desc);
json_t *find_ref(json_t *manifests, const char *ref, size_t *at);
void set_ref_entry(json_t *index, const char *ref, json_t *entry);

/* store_blob.c */
json_t *descriptor_json(const char *media_type, const struct blob_ref *b);
int descriptor_read(json_t *desc, const char *where, struct blob_ref *out, char *err,
                    size_t errlen);
int put_json_blob(struct store *s, json_t *doc, struct blob_ref *out, char *err, size_t errlen);
int put_blob_file(struct store *s, const char *src, struct blob_ref *out, char *err, size_t errlen);
json_t *load_json_blob(const struct store *s, const struct blob_ref *b, char *err, size_t errlen);
int blob_ref_of(const struct store *s, const char *digest, struct blob_ref *out, char *err,
                size_t errlen);

/* store_put.c */
const char *platform_arch_of(json_t *desc);
json_t *merged_image_index(json_t *old_manifests, const struct blob_ref *manifest,
                           const char *arch);
json_t *ref_descriptor_json(const char *ref, const struct blob_ref *image_index);

/* store_get.c */
bool descriptor_has_type(json_t *desc, const char *media_type);
json_t *load_image_index(const struct store *s, json_t *entry, char *err, size_t errlen);
int manifest_parts(json_t *manifest, const char *digest, struct blob_ref *config,
                   struct blob_ref *layer, char *err, size_t errlen);
int parse_image_config(json_t *doc, const char *digest, struct image_config *out, char *err,
                       size_t errlen);
int load_image_build(const struct store *s, const char *ref, json_t *build, struct store_image *out,
                     char *err, size_t errlen);

/* store_gc.c */
int mark_descriptor(struct store *s, json_t *desc, json_t *live, char *err, size_t errlen);
int collect_garbage(struct store *s, char *err, size_t errlen);

/* store_export.c */
void mark_exports(struct store *s, json_t *live);

#endif
