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

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define UNIKIT_MEDIA_CONFIG "application/vnd.unikit.config.v1+json"
#define UNIKIT_MEDIA_IMAGE  "application/vnd.unikit.image.v1+elf"

struct image_config {
    char *arch;   /* "x86_64" */
    char **cmd;   /* NULL-terminated */
    char **env;   /* NULL-terminated "K=V" */
    char **ports; /* NULL-terminated */
    uint64_t memory;
    time_t created;
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
    char *home; /* $UNIKIT_HOME */
    char *dir;  /* $UNIKIT_HOME/images */
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
/* Lists every (ref, arch) pair; *out is an array of *count entries. */
int store_list(struct store *s, struct store_image **out, size_t *count, char *err, size_t errlen);
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

void store_image_free(struct store_image *img);
void store_images_free(struct store_image *imgs, size_t count);

#endif
