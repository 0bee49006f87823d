/*
 * The OCI distribution API client (see registry.h): references, opening a
 * registry, manifests; registry_internal.h names the files with the rest.
 *
 * One libcurl handle per registry, reused so connections are kept alive.
 * Each API call is an "exchange": a request (method, URL, headers, an
 * optional body read from memory or a file) and its response (status, the
 * few headers the API uses, and a body that goes to memory or, for blob
 * downloads, to a file while being hashed). Authentication is lazy, as in
 * docker: a 401 names the scheme (Basic, or Bearer with a token service),
 * the exchange gets credentials or a token and is sent once more.
 */
#include "registry_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>


#include "store.h"
#include "util.h"

/* ---- references ---------------------------------------------------------- */

/* Docker's rule: the first component names a registry if it looks like a host. */
static bool is_registry_component(const char *s, size_t len)
{
    return memchr(s, '.', len) || memchr(s, ':', len) ||
           (len == strlen("localhost") && strncmp(s, "localhost", len) == 0);
}

/* docker.io and index.docker.io are names of one registry, Docker Hub. */
static bool is_docker_hub(const char *registry)
{
    return strcmp(registry, DOCKER_HUB) == 0 || strcmp(registry, "index.docker.io") == 0;
}

/* The store's rules for names and tags (lowercase, lengths) apply here too. */
static int store_normal_form(const char *ref, char **out)
{
    *out = store_normalize_ref(ref);
    return *out ? 0 : -1;
}

int registry_parse_ref(const char *ref, struct registry_ref *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *name = NULL;
    if (!ref || strchr(ref, '@') || store_normal_form(ref, &name) != 0)
        return errorf(err, errlen, "invalid reference format: '%s'", ref ? ref : "");
    char *colon = strrchr(name, ':'); /* normalized: the last colon starts the tag */
    const char *slash = strchr(name, '/');
    out->name = name;
    out->tag = xstrdup(colon + 1);
    const char *path = name; /* the repository as written, after any registry */
    if (slash && slash < colon && is_registry_component(name, (size_t)(slash - name))) {
        out->registry = xasprintf("%.*s", (int)(slash - name), name);
        path = slash + 1;
    }
    if (!out->registry || is_docker_hub(out->registry))
        replace(&out->registry, xstrdup(DOCKER_HUB));
    /* Docker Hub's official images live under library/, however they are named. */
    const char *inner = memchr(path, '/', (size_t)(colon - path));
    bool official = strcmp(out->registry, DOCKER_HUB) == 0 && !inner;
    out->repo = xasprintf("%s%.*s", official ? "library/" : "", (int)(colon - path), path);
    return 0;
}

void registry_ref_free(struct registry_ref *r)
{
    free(r->registry);
    free(r->repo);
    free(r->tag);
    free(r->name);
    memset(r, 0, sizeof *r);
}

/* ---- opening ------------------------------------------------------------- */

char *api_url(struct registry *r, const char *fmt, ...)
{
    va_list ap;
    char *path = NULL;
    va_start(ap, fmt);
    if (vasprintf(&path, fmt, ap) < 0)
        abort();
    va_end(ap);
    char *url = xasprintf("%s%s", r->base, path);
    free(path);
    return url;
}

/* GET /v2/: 200, or 401 (credentials come when a call needs them), means an API is there. */
static int probe(struct registry *r, const char *scheme, char *err, size_t errlen)
{
    const char *host = strcmp(r->name, DOCKER_HUB) == 0 ? DOCKER_HUB_API : r->name;
    replace(&r->base, xasprintf("%s://%s", scheme, host));
    struct exchange x = {.r = r, .method = "GET", .url = api_url(r, "/v2/"), .out = {.fd = -1}};
    perform(&x);
    int rc = 0;
    if (x.cc != CURLE_OK)
        rc = errorf(err, errlen, "cannot reach registry %s: %s", r->name,
                    x.curl_err[0] ? x.curl_err : curl_easy_strerror(x.cc));
    else if (x.status != 200 && x.status != 401)
        rc = errorf(err, errlen, "%s does not answer as an OCI registry (HTTP %ld for /v2/)",
                    r->name, x.status);
    exchange_free(&x);
    return rc;
}

/* A whole number of name's unit from the environment, else fallback; -1 when malformed. */
static long env_number(const char *name, long fallback, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return fallback;
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || n < 0 || !isdigit((unsigned char)*v))
        return errorf(err, errlen, "%s: '%s' is not a whole number", name, v);
    return n;
}

static int read_limits(struct registry *r, char *err, size_t errlen)
{
    r->stall_bytes = env_number("UNIKIT_REGISTRY_LOW_SPEED", STALL_BYTES, err, errlen);
    r->stall_seconds = r->stall_bytes < 0 ? -1
                                          : env_number("UNIKIT_REGISTRY_LOW_SPEED_TIME",
                                                       STALL_SECONDS, err, errlen);
    r->deadline_seconds =
        r->stall_seconds < 0 ? -1
                             : env_number("UNIKIT_REGISTRY_TIMEOUT", DEADLINE_SECONDS, err, errlen);
    if (r->deadline_seconds < 0)
        return -1;
    if (r->stall_bytes && r->stall_seconds == 0)
        return errorf(err, errlen, "UNIKIT_REGISTRY_LOW_SPEED_TIME must be at least 1 second");
    r->deadline = now_seconds() + (double)r->deadline_seconds;
    return 0;
}

struct registry *registry_open(const char *registry, bool insecure, const char *home, char *err,
                               size_t errlen)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct registry *r = xcalloc(1, sizeof *r);
    r->name = xstrdup(registry);
    r->insecure = insecure;
    r->plain_ok = insecure || is_loopback(registry);
    r->progress = isatty(STDERR_FILENO);
    r->curl = curl_easy_init();
    int rc = r->curl ? 0 : errorf(err, errlen, "cannot start libcurl");
    if (rc == 0)
        rc = read_limits(r, err, errlen);
    if (rc == 0)
        rc = load_credentials(r, home, err, errlen);
    if (rc == 0) {
        /* A refused connection refuses both schemes: say so once, from HTTPS. */
        char first[512];
        rc = probe(r, "https", first, sizeof first);
        if (rc != 0 && r->plain_ok)
            rc = probe(r, "http", err, errlen);
        else if (rc != 0)
            errorf(err, errlen, "%s (for a registry without TLS, use --insecure)", first);
    }
    if (rc != 0) {
        registry_close(r);
        return NULL;
    }
    return r;
}

bool registry_interrupted(const struct registry *r)
{
    return r && r->interrupted;
}

void registry_close(struct registry *r)
{
    if (!r)
        return;
    if (r->curl)
        curl_easy_cleanup(r->curl);
    free(r->name);
    free(r->base);
    free(r->user);
    free(r->password);
    free(r->auth);
    free(r->upload);
    free(r->upload_digest);
    free(r);
    curl_global_cleanup();
}

/* ---- manifests ----------------------------------------------------------- */

int registry_manifest_put(struct registry *r, const char *repo, const char *reference,
                          const char *media_type, const char *data, size_t len, char *err,
                          size_t errlen)
{
    struct exchange x = {.r = r, .method = "PUT", .out = {.fd = -1}};
    x.url = api_url(r, "/v2/%s/manifests/%s", repo, reference);
    x.has_body = true;
    x.body = (struct body){.mem = data, .len = len};
    char *type = xasprintf("Content-Type: %s", media_type);
    x.headers = curl_slist_append(NULL, type);
    free(type);
    int rc = request(&x, err, errlen);
    if (rc == 0 && !(x.cc == CURLE_OK && x.status == 201))
        rc = http_error(&x, reference, err, errlen);
    exchange_free(&x);
    return rc;
}

static void sha256_text(const char *data, size_t len, char out[DIGEST_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    memcpy(out, "sha256:", 7);
    for (unsigned int i = 0; i < 32; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* A manifest fetched by digest must hash to it; by tag, to what the registry says it is. */
static int check_manifest(struct exchange *x, const char *reference, char *err, size_t errlen)
{
    char actual[DIGEST_LEN + 1];
    sha256_text(x->out.mem ? x->out.mem : "", x->out.mem_len, actual);
    const char *want = strncmp(reference, "sha256:", 7) == 0 ? reference : x->digest;
    if (want && strcmp(want, actual) != 0)
        return errorf(err, errlen,
                      "manifest %s from registry %s does not match its digest (content hash %s)",
                      want, x->r->name, actual);
    return 0;
}

int registry_manifest_get(struct registry *r, const char *repo, const char *reference, char **data,
                          size_t *len, char **media_type, char *err, size_t errlen)
{
    *data = *media_type = NULL;
    *len = 0;
    struct exchange x = {.r = r, .method = "GET", .out = {.fd = -1}};
    x.url = api_url(r, "/v2/%s/manifests/%s", repo, reference);
    x.headers = curl_slist_append(NULL, "Accept: " REGISTRY_MEDIA_INDEX ", " REGISTRY_MEDIA_MANIFEST
                                        ", " MEDIA_DOCKER_LIST ", " MEDIA_DOCKER_MANIFEST);
    char *what = xasprintf("%s/%s:%s", r->name, repo, reference);
    int rc = request(&x, err, errlen);
    if (rc == 0 && x.cc == CURLE_OK && x.status == 200 && x.out.too_big)
        rc = errorf(err, errlen, "%s: manifest larger than %u bytes", what, MAX_MANIFEST);
    else if (rc == 0 && !(x.cc == CURLE_OK && x.status == 200))
        rc = http_error(&x, what, err, errlen);
    if (rc == 0)
        rc = check_manifest(&x, reference, err, errlen);
    if (rc == 0) {
        *data = x.out.mem ? x.out.mem : xstrdup("");
        *len = x.out.mem_len;
        *media_type = xstrdup(x.content_type ? x.content_type : "");
        x.out.mem = NULL;
    }
    free(what);
    exchange_free(&x);
    return rc;
}

/* ---- a response without the network ---------------------------------------- */

/* Hands the header block to read_header one line at a time, as libcurl does; returns the body. */
static const char *feed_headers(struct exchange *x, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        bool blank = (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n');
        /* libcurl's header lines end without a NUL: an exact copy shows a read past one. */
        char *line = xcalloc(n, 1);
        memcpy(line, p, n);
        read_header(line, 1, n, x);
        free(line);
        p += n;
        if (blank)
            break; /* the body follows */
    }
    return p;
}

/* The parts of the response that later steps read, as they read them. */
static int read_parts(struct exchange *x, const char *request_url, char *err, size_t errlen)
{
    if (x->challenge && strncasecmp(x->challenge, "Bearer ", 7) == 0) {
        struct bearer b;
        parse_bearer(x->challenge + 7, &b);
        if (b.realm[0])
            free(token_url(x->r, &b));
    }
    if (x->location)
        free(resolve_location(x->r, request_url, x->location, err, errlen));
    if (x->status != 200)
        return http_error(x, "a request", err, errlen);
    int rc = check_manifest(x, "latest", err, errlen);
    return rc == 0 ? read_token(x->r, x, err, errlen) : rc;
}

int registry_read_response(const char *data, size_t len, char *err, size_t errlen)
{
    struct registry r = {.name = "fuzz", .curl = curl_easy_init()};
    struct exchange x = {.r = &r, .method = "GET", .out = {.fd = -1}};
    const char *body = feed_headers(&x, data, len);
    to_memory(&x.out, body, (size_t)(data + len - body), MAX_MANIFEST);
    int rc = r.curl ? read_parts(&x, "https://fuzz.example/v2/a/blobs/uploads/", err, errlen)
                    : errorf(err, errlen, "cannot start libcurl");
    exchange_free(&x);
    free(r.auth);
    curl_easy_cleanup(r.curl);
    return rc;
}
