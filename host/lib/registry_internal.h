/*
 * What the registry client's own files share, and nothing else includes:
 *
 *   registry.c       references, opening a registry, manifests, and a
 *                    response read without the network (the fuzzer's)
 *   registry_http.c  one HTTP exchange with libcurl: URLs, redirects,
 *                    bodies to and from memory or files, limits, errors
 *   registry_auth.c  credentials and the Basic and Bearer challenges
 *   registry_blob.c  blobs: exists, mount, chunked upload, resumed download
 */
#ifndef UNIKIT_REGISTRY_INTERNAL_H
#define UNIKIT_REGISTRY_INTERNAL_H

#include "registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#define MEDIA_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_HUB            "docker.io"
#define DOCKER_HUB_API        "registry-1.docker.io"

#define DIGEST_LEN      71           /* "sha256:" and 64 hex digits */
#define MAX_MANIFEST    (4u << 20)   /* the limit registries put on manifests */
#define MAX_ERROR_BODY  (64u << 10)  /* enough of an error body to explain it */
#define DEFAULT_CHUNK   (8ull << 20) /* blobs above this go up in PATCH chunks */
#define DOWNLOAD_TRIES  3            /* a cut-short download resumes this often */
#define CONNECT_SECONDS 30L
/* A transfer slower than this many bytes a second for STALL_SECONDS has stalled. */
#define STALL_BYTES      1024L
#define STALL_SECONDS    30L
#define DEADLINE_SECONDS 3600L /* a whole push or pull */
#define MAX_REDIRECTS    10L

struct registry {
    CURL *curl;
    char *name;    /* as the user wrote it: "localhost:5000" */
    char *base;    /* "https://host:port", once the probe found a scheme that works */
    bool insecure; /* skip TLS verification, allow plain HTTP */
    bool plain_ok; /* plain HTTP allowed: insecure, or a loopback host */
    char *user, *password;
    char *auth;   /* the "Authorization: …" header the last challenge earned */
    char *upload; /* an upload session a failed mount opened, for the next upload */
    char *upload_digest;
    bool progress; /* stderr is a terminal */
    /* Limits, so a registry that trickles bytes cannot hold a pull forever. */
    long stall_bytes, stall_seconds; /* UNIKIT_REGISTRY_LOW_SPEED, _LOW_SPEED_TIME */
    long deadline_seconds;           /* UNIKIT_REGISTRY_TIMEOUT; 0: none */
    double deadline;                 /* when it ends, on the monotonic clock */
    bool interrupted;                /* a limit ended a transfer: running again resumes */
};

/* Where a request body comes from: memory, or a range of a file. */
struct body {
    const char *mem;
    int fd;
    uint64_t offset, len, pos;
};

/* Where a response body goes: memory (capped), or a file while hashing. */
struct sink {
    int fd; /* -1: memory only */
    EVP_MD_CTX *hash;
    uint64_t written, limit;
    bool started; /* this attempt has written to fd */
    int error;    /* errno of a failed write to fd: the store's disk, not the network */
    char *mem;
    size_t mem_len, mem_cap;
    bool too_big;
};

struct exchange {
    struct registry *r;
    const char *method;
    char *url;
    struct curl_slist *headers;
    bool has_body;
    struct body body;
    struct sink out;
    const char *label; /* for progress: a digest */
    /* response */
    CURLcode cc;
    long status;
    char *location, *content_type, *digest, *challenge;
    char curl_err[CURL_ERROR_SIZE];
    double last_progress;
};

/* The scope a Bearer challenge names, and where to get its token. */
struct bearer {
    char realm[1024], service[1024], scope[1024];
};

static inline void replace(char **slot, char *value)
{
    free(*slot);
    *slot = value;
}

/* registry.c */
char *api_url(struct registry *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* registry_http.c */
/* An upload session's Location resolved against request_url (RFC 3986); NULL on error. */
char *resolve_location(struct registry *r, const char *request_url, const char *location, char *err,
                       size_t errlen);
void to_memory(struct sink *s, const char *data, size_t n, size_t cap);
size_t read_header(char *line, size_t size, size_t nitems, void *arg);
double now_seconds(void);
/* Sends the exchange once, as it is: no second try after a 401 (see request). */
void perform(struct exchange *x);
void exchange_free(struct exchange *x);
/* One-line errors naming what failed: a limit, the connection, an HTTP status. */
int limit_error(struct exchange *x, const char *what, char *err, size_t errlen);
int transport_error(struct exchange *x, char *err, size_t errlen);
int http_error(struct exchange *x, const char *what, char *err, size_t errlen);

/* registry_auth.c */
bool is_loopback(const char *registry);
int load_credentials(struct registry *r, const char *home, char *err, size_t errlen);
void parse_bearer(const char *params, struct bearer *b);
char *token_url(struct registry *r, const struct bearer *b);
int read_token(struct registry *r, struct exchange *x, char *err, size_t errlen);
/* Sends the exchange, and again with credentials after a 401; -1 only when
   authentication failed (the caller reads x->cc and x->status). */
int request(struct exchange *x, char *err, size_t errlen);

#endif
