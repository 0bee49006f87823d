/*
 * A client of the OCI distribution API (what Docker registries speak), on
 * libcurl: enough to push and pull unikit images, which are OCI image indexes
 * of OCI manifests.
 *
 * Every call returns 0 (or the documented positive value) on success and -1
 * with err filled on failure. Nothing here writes to the image store: a
 * download goes to a file descriptor the caller gives, hashed as it streams.
 */
#ifndef UNIKIT_REGISTRY_H
#define UNIKIT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGISTRY_MEDIA_INDEX           "application/vnd.oci.image.index.v1+json"
#define REGISTRY_MEDIA_MANIFEST        "application/vnd.oci.image.manifest.v1+json"
#define REGISTRY_MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

/* "localhost:5000/hello:1" split the way docker splits it. */
struct registry_ref {
    char *registry; /* "localhost:5000"; "docker.io" when none is named */
    char *repo;     /* "hello"; "library/hello" on docker.io */
    char *tag;      /* "1"; "latest" when none is given */
    char *name;     /* the store's reference: "localhost:5000/hello:1" */
};

int registry_parse_ref(const char *ref, struct registry_ref *out, char *err, size_t errlen);
void registry_ref_free(struct registry_ref *r);

struct registry;

/*
 * Connects to a registry and checks it speaks the API (GET /v2/). HTTPS
 * first; plain HTTP only when insecure or the host is a loopback one.
 * Credentials come from $UNIKIT_REGISTRY_USER and $UNIKIT_REGISTRY_PASSWORD,
 * else from home/auth.json.
 */
struct registry *registry_open(const char *registry, bool insecure, const char *home, char *err,
                               size_t errlen);
void registry_close(struct registry *r);
/*
 * A limit ended a transfer: the registry stalled (UNIKIT_REGISTRY_LOW_SPEED
 * bytes/s, default 1024, for UNIKIT_REGISTRY_LOW_SPEED_TIME seconds, default
 * 30) or the whole operation ran past UNIKIT_REGISTRY_TIMEOUT seconds
 * (default 3600). What was transferred until then is kept: running the
 * command again resumes.
 */
bool registry_interrupted(const struct registry *r);

/* 1 when repo has the blob, 0 when not. */
int registry_blob_exists(struct registry *r, const char *repo, const char *digest, char *err,
                         size_t errlen);
/* Links a blob from another repository of the registry: 1 mounted, 0 not, -1 refused or failed
 * (either way, upload instead). */
int registry_blob_mount(struct registry *r, const char *repo, const char *digest, const char *from,
                        char *err, size_t errlen);
/* Uploads the file at path as the blob digest (in chunks when it is large). */
int registry_blob_upload(struct registry *r, const char *repo, const char *digest, const char *path,
                         uint64_t size, char *err, size_t errlen);
/*
 * Downloads a blob into fd (at offset 0), resuming a cut-short transfer with
 * a Range request; fails unless exactly size bytes arrive and they hash to
 * digest. On failure fd holds garbage the caller discards.
 */
int registry_blob_download(struct registry *r, const char *repo, const char *digest, uint64_t size,
                           int fd, char *err, size_t errlen);
/* Stores a manifest or image index under reference (a tag or its digest). */
int registry_manifest_put(struct registry *r, const char *repo, const char *reference,
                          const char *media_type, const char *data, size_t len, char *err,
                          size_t errlen);
/*
 * Fetches a manifest or image index; checked against reference when it is a
 * digest, else against the registry's Docker-Content-Digest. *data is
 * NUL-terminated; *media_type is the response's Content-Type.
 */
int registry_manifest_get(struct registry *r, const char *repo, const char *reference, char **data,
                          size_t *len, char **media_type, char *err, size_t errlen);

/*
 * Reads a whole response without the network: header lines as a registry
 * sends them ("HTTP/1.1 401 …", "WWW-Authenticate: Bearer realm=…"), a
 * blank line, then the body, through the same code an exchange uses (the
 * headers, a Bearer challenge, an upload Location, the error and token JSON,
 * a manifest's digest). 0 when it holds a token and a matching digest, else
 * -1 with one line in err. The host fuzzer (tests/fuzz/fuzz_registry.c).
 */
int registry_read_response(const char *data, size_t len, char *err, size_t errlen);

#endif
