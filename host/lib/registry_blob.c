/* Blobs: whether a repository has one, cross-repository mounts, uploads in chunks,
   downloads hashed as they land and resumed when cut short. */
#include "registry_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "store.h"
#include "util.h"

/* ---- blobs --------------------------------------------------------------- */

int registry_blob_exists(struct registry *r, const char *repo, const char *digest, char *err,
                         size_t errlen)
{
    struct exchange x = {.r = r, .method = "HEAD", .out = {.fd = -1}};
    x.url = api_url(r, "/v2/%s/blobs/%s", repo, digest);
    int rc = request(&x, err, errlen);
    if (rc == 0 && x.cc == CURLE_OK && (x.status == 200 || x.status == 404))
        rc = x.status == 200;
    else if (rc == 0)
        rc = http_error(&x, digest, err, errlen);
    exchange_free(&x);
    return rc;
}

/* POST …/blobs/uploads/[?query]: 201 (mounted), or 202 with the session's Location. */
static int start_upload(struct registry *r, const char *repo, const char *query, char **location,
                        char *err, size_t errlen)
{
    struct exchange x = {.r = r, .method = "POST", .out = {.fd = -1}};
    x.url = api_url(r, "/v2/%s/blobs/uploads/%s", repo, query ? query : "");
    *location = NULL;
    int rc = request(&x, err, errlen);
    if (rc == 0 && x.cc == CURLE_OK && x.status == 201)
        rc = 1;
    else if (rc == 0 && x.cc == CURLE_OK && x.status == 202 && x.location)
        rc = (*location = resolve_location(r, x.url, x.location, err, errlen)) ? 0 : -1;
    else if (rc == 0)
        rc = http_error(&x, "starting an upload", err, errlen);
    exchange_free(&x);
    return rc;
}

int registry_blob_mount(struct registry *r, const char *repo, const char *digest, const char *from,
                        char *err, size_t errlen)
{
    char *d = curl_easy_escape(r->curl, digest, 0);
    char *f = curl_easy_escape(r->curl, from, 0);
    char *query = xasprintf("?mount=%s&from=%s", d, f);
    char *location = NULL;
    int rc = start_upload(r, repo, query, &location, err, errlen);
    if (rc == 0 && location) {
        /* Not mounted, but a session is open: the upload that follows uses it. */
        replace(&r->upload, location);
        replace(&r->upload_digest, xstrdup(digest));
    }
    curl_free(d);
    curl_free(f);
    free(query);
    return rc;
}

static char *with_digest(struct registry *r, const char *location, const char *digest)
{
    char *d = curl_easy_escape(r->curl, digest, 0);
    char *url = xasprintf("%s%sdigest=%s", location, strchr(location, '?') ? "&" : "?", d);
    curl_free(d);
    return url;
}

/* One PATCH of [offset, offset+len); *location moves on to the session's next URL. */
static int send_chunk(struct registry *r, char **location, int fd, uint64_t offset, uint64_t len,
                      const char *digest, char *err, size_t errlen)
{
    struct exchange x = {.r = r, .method = "PATCH", .out = {.fd = -1}, .label = digest};
    x.url = xstrdup(*location);
    x.has_body = true;
    x.body = (struct body){.fd = fd, .offset = offset, .len = len};
    x.headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    char *range = xasprintf("Content-Range: %llu-%llu", (unsigned long long)offset,
                            (unsigned long long)(offset + len - 1));
    x.headers = curl_slist_append(x.headers, range);
    free(range);
    int rc = request(&x, err, errlen);
    if (rc == 0 && x.cc == CURLE_OK && x.status == 202 && x.location) {
        char *next = resolve_location(r, x.url, x.location, err, errlen);
        rc = next ? 0 : -1;
        if (next)
            replace(location, next);
    } else if (rc == 0)
        rc = http_error(&x, digest, err, errlen);
    exchange_free(&x);
    return rc;
}

/* The closing PUT ?digest=, carrying the rest of the blob (all of it when monolithic). */
static int finish_upload(struct registry *r, const char *location, int fd, uint64_t offset,
                         uint64_t len, const char *digest, char *err, size_t errlen)
{
    struct exchange x = {.r = r, .method = "PUT", .out = {.fd = -1}, .label = digest};
    x.url = with_digest(r, location, digest);
    x.has_body = true;
    x.body = (struct body){.fd = fd, .offset = offset, .len = len};
    x.headers = curl_slist_append(NULL, "Content-Type: application/octet-stream");
    int rc = request(&x, err, errlen);
    if (rc == 0 && !(x.cc == CURLE_OK && x.status == 201))
        rc = http_error(&x, digest, err, errlen);
    exchange_free(&x);
    return rc;
}

/* Chunk size; UNIKIT_REGISTRY_CHUNK lets the tests send small blobs in chunks. */
static uint64_t chunk_size(void)
{
    const char *env = getenv("UNIKIT_REGISTRY_CHUNK");
    unsigned long long n = env ? strtoull(env, NULL, 10) : 0;
    return n >= 1024 ? n : DEFAULT_CHUNK;
}

static int upload_from(struct registry *r, char **location, int fd, uint64_t size,
                       const char *digest, char *err, size_t errlen)
{
    uint64_t chunk = chunk_size(), offset = 0;
    if (size > chunk)
        for (; size - offset > chunk; offset += chunk)
            if (send_chunk(r, location, fd, offset, chunk, digest, err, errlen) != 0)
                return -1;
    return finish_upload(r, *location, fd, offset, size - offset, digest, err, errlen);
}

int registry_blob_upload(struct registry *r, const char *repo, const char *digest, const char *path,
                         uint64_t size, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errorf(err, errlen, "%s: %s", path, strerror(errno));
    char *location = NULL;
    int rc = 0;
    if (r->upload && r->upload_digest && strcmp(r->upload_digest, digest) == 0) {
        location = r->upload;
        r->upload = NULL;
    } else if ((rc = start_upload(r, repo, NULL, &location, err, errlen)) == 1) {
        rc = 0; /* a registry may create it at once; then it is there */
    }
    if (rc == 0 && location)
        rc = upload_from(r, &location, fd, size, digest, err, errlen);
    free(location);
    close(fd);
    return rc;
}

static bool worth_resuming(CURLcode cc)
{
    /* Not a timeout: a registry that stalled once stalls again; running pull again resumes. */
    return cc == CURLE_PARTIAL_FILE || cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
           cc == CURLE_SEND_ERROR;
}

/* One GET of the blob, from where the last attempt stopped. */
static int download_attempt(struct registry *r, struct exchange *x, const char *repo,
                            const char *digest, char *err, size_t errlen)
{
    free(x->url);
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    x->url = api_url(r, "/v2/%s/blobs/%s", repo, digest);
    if (x->out.written > 0) {
        char *range = xasprintf("Range: bytes=%llu-", (unsigned long long)x->out.written);
        x->headers = curl_slist_append(NULL, range);
        free(range);
    }
    if (request(x, err, errlen) != 0)
        return -1;
    if (x->cc == CURLE_OK && x->status != 200 && x->status != 206)
        return http_error(x, digest, err, errlen);
    return 0;
}

static int check_download(struct exchange *x, const char *digest, uint64_t size, char *err,
                          size_t errlen)
{
    if (x->out.too_big)
        return errorf(err, errlen, "blob %s from registry %s is larger than its %llu bytes", digest,
                      x->r->name, (unsigned long long)size);
    if (x->out.error) {
        char *what = xasprintf("blob %s", digest);
        store_write_failed(what, x->out.error, err, errlen);
        free(what);
        return -1;
    }
    if (x->cc == CURLE_OPERATION_TIMEDOUT) {
        char *what = xasprintf("blob %s (%llu of %llu bytes)", digest,
                               (unsigned long long)x->out.written, (unsigned long long)size);
        limit_error(x, what, err, errlen);
        free(what);
        return -1;
    }
    if (x->cc != CURLE_OK || x->out.written != size)
        return errorf(
            err, errlen, "blob %s from registry %s was cut short (%llu of %llu bytes%s%s)", digest,
            x->r->name, (unsigned long long)x->out.written, (unsigned long long)size,
            x->cc != CURLE_OK ? ": " : "", x->cc != CURLE_OK ? curl_easy_strerror(x->cc) : "");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char actual[DIGEST_LEN + 1] = "sha256:";
    EVP_DigestFinal_ex(x->out.hash, md, &mdlen);
    for (unsigned int i = 0; i < mdlen && i < 32; i++)
        snprintf(actual + 7 + 2 * i, 3, "%02x", md[i]);
    if (strcmp(actual, digest) != 0)
        return errorf(err, errlen,
                      "blob %s from registry %s does not match its digest (content hash %s)",
                      digest, x->r->name, actual);
    return 0;
}

int registry_blob_download(struct registry *r, const char *repo, const char *digest, uint64_t size,
                           int fd, char *err, size_t errlen)
{
    if (strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != DIGEST_LEN)
        return errorf(err, errlen, "unsupported digest '%s'", digest);
    struct exchange x = {.r = r, .method = "GET", .label = digest};
    x.out = (struct sink){.fd = fd, .limit = size, .hash = EVP_MD_CTX_new()};
    if (!x.out.hash || EVP_DigestInit_ex(x.out.hash, EVP_sha256(), NULL) != 1)
        abort();
    int rc = 0;
    for (int attempt = 0; rc == 0 && attempt < DOWNLOAD_TRIES; attempt++) {
        rc = download_attempt(r, &x, repo, digest, err, errlen);
        if (rc != 0 || x.cc == CURLE_OK || !worth_resuming(x.cc))
            break;
    }
    if (rc == 0)
        rc = check_download(&x, digest, size, err, errlen);
    EVP_MD_CTX_free(x.out.hash);
    exchange_free(&x);
    return rc;
}
