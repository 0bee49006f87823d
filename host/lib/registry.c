/*
 * The OCI distribution API client (see registry.h).
 *
 * One libcurl handle per registry, reused so connections are kept alive.
 * Each API call is an "exchange": a request (method, URL, headers, an
 * optional body read from memory or a file) and its response (status, the
 * few headers the API uses, and a body that goes to memory or, for blob
 * downloads, to a file while being hashed). Authentication is lazy, as in
 * docker: a 401 names the scheme (Basic, or Bearer with a token service),
 * the exchange gets credentials or a token and is sent once more.
 */
#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "store.h"
#include "util.h"

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

static void replace(char **slot, char *value)
{
    free(*slot);
    *slot = value;
}

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

/* ---- credentials --------------------------------------------------------- */

static bool is_loopback(const char *registry)
{
    size_t host_len = strcspn(registry, ":");
    if (registry[0] == '[')
        return strncmp(registry, "[::1]", 5) == 0;
    return (host_len == 9 && strncmp(registry, "localhost", 9) == 0) ||
           strncmp(registry, "127.", 4) == 0;
}

static int credentials_from_file(struct registry *r, const char *home, char *err, size_t errlen)
{
    char *path = xasprintf("%s/auth.json", home);
    struct stat st;
    int rc = 0;
    if (stat(path, &st) == 0) {
        json_error_t jerr;
        json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        json_t *entry = json_object_get(json_object_get(doc, "registries"), r->name);
        const char *user = json_string_value(json_object_get(entry, "username"));
        const char *password = json_string_value(json_object_get(entry, "password"));
        if (!doc)
            rc = errorf(err, errlen, "%s: corrupted (%s)", path, jerr.text);
        else if (entry && (!user || !password))
            rc = errorf(err, errlen, "%s: registry '%s' needs a username and a password", path,
                        r->name);
        else if (entry) {
            r->user = xstrdup(user);
            r->password = xstrdup(password);
        }
        json_decref(doc);
    }
    free(path);
    return rc;
}

static int load_credentials(struct registry *r, const char *home, char *err, size_t errlen)
{
    const char *user = getenv("UNIKIT_REGISTRY_USER");
    const char *password = getenv("UNIKIT_REGISTRY_PASSWORD");
    if (user && *user) {
        r->user = xstrdup(user);
        r->password = xstrdup(password ? password : "");
        return 0;
    }
    return home ? credentials_from_file(r, home, err, errlen) : 0;
}

static char *basic_header(const char *user, const char *password)
{
    char *plain = xasprintf("%s:%s", user, password);
    size_t len = strlen(plain);
    unsigned char *b64 = xcalloc(4 * ((len + 2) / 3) + 1, 1);
    EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)len);
    char *header = xasprintf("Authorization: Basic %s", (char *)b64);
    free(b64);
    free(plain);
    return header;
}

/* ---- URLs ---------------------------------------------------------------- */

/* "scheme://host:port" of URL, lowercased, the port explicit; NULL when URL does not parse. */
static char *url_origin(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *origin = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        origin = xasprintf("%s://%s:%s", scheme, host, port);
        for (char *p = origin; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return origin;
}

/* Credentials go only where they were earned: the registry's own scheme, host and port. */
static bool same_origin(const char *a, const char *b)
{
    char *oa = a ? url_origin(a) : NULL, *ob = b ? url_origin(b) : NULL;
    bool same = oa && ob && strcmp(oa, ob) == 0;
    free(oa);
    free(ob);
    return same;
}

static bool scheme_allowed(const struct registry *r, const char *scheme)
{
    return strcmp(scheme, "https") == 0 || (strcmp(scheme, "http") == 0 && r->plain_ok);
}

/*
 * An upload session's Location, resolved against the request it answered as
 * RFC 3986 says (it may be relative: "session?state=…", "/v2/…", "//host/…").
 * Plain HTTP is refused unless this registry may use it. NULL on error.
 */
static char *resolve_location(struct registry *r, const char *request_url, const char *location,
                              char *err, size_t errlen)
{
    CURLU *u = curl_url();
    char *url = NULL, *scheme = NULL, *out = NULL;
    if (!u || curl_url_set(u, CURLUPART_URL, request_url, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
        errorf(err, errlen, "registry %s: unusable upload location '%s'", r->name, location);
    else if (!scheme_allowed(r, scheme))
        errorf(err, errlen, "registry %s: refusing upload location '%s' (not HTTPS)", r->name,
               location);
    else
        out = xstrdup(url);
    curl_free(url);
    curl_free(scheme);
    curl_url_cleanup(u);
    return out;
}

/* ---- one HTTP exchange --------------------------------------------------- */

static size_t read_body(char *buf, size_t size, size_t nitems, void *arg)
{
    struct body *b = arg;
    size_t want = size * nitems;
    if (want > b->len - b->pos)
        want = (size_t)(b->len - b->pos);
    if (want == 0)
        return 0;
    if (b->mem) {
        memcpy(buf, b->mem + b->pos, want);
    } else {
        ssize_t n = pread(b->fd, buf, want, (off_t)(b->offset + b->pos));
        if (n <= 0)
            return CURL_READFUNC_ABORT;
        want = (size_t)n;
    }
    b->pos += want;
    return want;
}

/* libcurl may rewind a body to send it again (after a redirect or an auth retry). */
static int seek_body(void *arg, curl_off_t offset, int origin)
{
    struct body *b = arg;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > b->len)
        return CURL_SEEKFUNC_FAIL;
    b->pos = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static void to_memory(struct sink *s, const char *data, size_t n, size_t cap)
{
    if (s->mem_len + n > cap) {
        s->too_big = true;
        n = cap > s->mem_len ? cap - s->mem_len : 0;
    }
    if (s->mem_len + n + 1 > s->mem_cap) {
        s->mem_cap = (s->mem_len + n + 1) * 2;
        s->mem = realloc(s->mem, s->mem_cap);
        if (!s->mem)
            abort();
    }
    memcpy(s->mem + s->mem_len, data, n);
    s->mem_len += n;
    s->mem[s->mem_len] = '\0';
}

/* A full 200 after a Range request: the server ignored it, so start over. */
static int restart_if_full(struct sink *s, long status)
{
    s->started = true;
    if (status != 200 || s->written == 0)
        return 0;
    if (ftruncate(s->fd, 0) != 0 || lseek(s->fd, 0, SEEK_SET) != 0)
        return -1;
    EVP_DigestInit_ex(s->hash, EVP_sha256(), NULL);
    s->written = 0;
    return 0;
}

static int to_file(struct sink *s, long status, const char *data, size_t n)
{
    if (!s->started && restart_if_full(s, status) != 0)
        return -1;
    if (s->written + n > s->limit) {
        s->too_big = true;
        return -1;
    }
    for (size_t done = 0; done < n;) {
        ssize_t w = write(s->fd, data + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            s->error = errno;
            return -1;
        }
        done += (size_t)w;
    }
    EVP_DigestUpdate(s->hash, data, n);
    s->written += n;
    return 0;
}

static size_t write_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct exchange *x = arg;
    size_t n = size * nmemb;
    bool success = x->status == 200 || x->status == 206;
    if (x->out.fd >= 0 && success)
        return to_file(&x->out, x->status, data, n) == 0 ? n : 0;
    size_t cap = x->out.fd < 0 && success ? MAX_MANIFEST : MAX_ERROR_BODY;
    to_memory(&x->out, data, n, cap);
    return x->out.too_big && success ? 0 : n;
}

static char *header_value(const char *line, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    if (len <= nlen || strncasecmp(line, name, nlen) != 0 || line[nlen] != ':')
        return NULL;
    const char *v = line + nlen + 1;
    const char *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && isspace((unsigned char)end[-1]))
        end--;
    return xasprintf("%.*s", (int)(end - v), v);
}

static void clear_response(struct exchange *x)
{
    replace(&x->location, NULL);
    replace(&x->content_type, NULL);
    replace(&x->digest, NULL);
    replace(&x->challenge, NULL);
    x->status = 0;
    x->out.mem_len = 0;
    x->out.too_big = false;
}

/* The code of a status line ("HTTP/1.1 200 OK"), read within its len bytes: no NUL ends it. */
static long status_code(const char *line, size_t len)
{
    const char *p = memchr(line, ' ', len), *end = line + len;
    long code = 0;
    for (p = p ? p + 1 : end; p < end && isdigit((unsigned char)*p) && code < 1000; p++)
        code = code * 10 + (*p - '0');
    return code;
}

/* Each response (a redirect is one) starts with its status line. */
static size_t read_header(char *line, size_t size, size_t nitems, void *arg)
{
    struct exchange *x = arg;
    size_t len = size * nitems;
    char *v;
    if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
        clear_response(x);
        x->status = status_code(line, len);
    } else if ((v = header_value(line, len, "Location"))) {
        replace(&x->location, v);
    } else if ((v = header_value(line, len, "Content-Type"))) {
        replace(&x->content_type, v);
    } else if ((v = header_value(line, len, "Docker-Content-Digest"))) {
        replace(&x->digest, v);
    } else if ((v = header_value(line, len, "WWW-Authenticate"))) {
        replace(&x->challenge, v);
    }
    return len;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define DEADLINE_SLACK_MS 250

/* Milliseconds to the deadline (at least 1 while any is left). */
static long time_left_ms(const struct registry *r)
{
    double left = r->deadline - now_seconds();
    return left <= 0 ? 0 : left < 0.001 ? 1 : (long)(left * 1000);
}

/* Bytes and rate on one rewritten line, a few times a second, for a person watching. */
static int show_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
    struct exchange *x = arg;
    double now = now_seconds();
    if (now - x->last_progress < 0.2)
        return 0;
    bool up = ultotal > 0;
    curl_off_t done = up ? ulnow : dlnow, total = up ? ultotal : dltotal;
    curl_off_t rate = 0;
    curl_easy_getinfo(x->r->curl, up ? CURLINFO_SPEED_UPLOAD_T : CURLINFO_SPEED_DOWNLOAD_T, &rate);
    char a[32], b[32], c[32];
    format_size((unsigned long long)done, a, sizeof a);
    format_size((unsigned long long)total, b, sizeof b);
    format_size((unsigned long long)rate, c, sizeof c);
    fprintf(stderr, "\r%.19s: %s / %s (%s/s)   ", x->label ? x->label : "", a, b, c);
    x->last_progress = now;
    return 0;
}

/*
 * Blob downloads may be redirected to storage; nothing else should be. A
 * redirect may not leave HTTPS unless this registry may use plain HTTP, and
 * (CURLOPT_UNRESTRICTED_AUTH being off) libcurl keeps our Authorization
 * header from any other host it leads to.
 */
static void set_redirects(CURL *c, const struct exchange *x)
{
    bool follow = strcmp(x->method, "GET") == 0 || strcmp(x->method, "HEAD") == 0;
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, x->r->plain_ok ? "http,https" : "https");
    curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
}

static void set_method(CURL *c, struct exchange *x)
{
    if (strcmp(x->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (x->has_body) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->body.len);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(c, CURLOPT_READDATA, &x->body);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_body);
        curl_easy_setopt(c, CURLOPT_SEEKDATA, &x->body);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x->method);
    } else if (strcmp(x->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    } else if (strcmp(x->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x->method);
    }
    set_redirects(c, x);
}

static void perform(struct exchange *x)
{
    struct registry *r = x->r;
    CURL *c = r->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, x->url);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->curl_err);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, read_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_SECONDS);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, r->stall_bytes);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, r->stall_bytes ? r->stall_seconds : 0L);
    if (r->deadline_seconds)
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, time_left_ms(r));
    curl_easy_setopt(c, CURLOPT_USERAGENT, "unikit");
    if (r->insecure) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (r->progress && x->label) {
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, show_progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
    }
    set_method(c, x);
    /* A copy: the Authorization header changes between attempts. */
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    for (struct curl_slist *h = x->headers; h; h = h->next)
        headers = curl_slist_append(headers, h->data);
    /* An upload Location may name other storage: the registry's credentials stay home. */
    if (r->auth && same_origin(x->url, r->base))
        headers = curl_slist_append(headers, r->auth);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    x->curl_err[0] = '\0';
    x->out.started = false;
    x->body.pos = 0;
    clear_response(x);
    /* Past the deadline nothing is sent: libcurl takes a timeout of 0 as none. */
    x->cc = r->deadline_seconds && time_left_ms(r) <= 0 ? CURLE_OPERATION_TIMEDOUT
                                                        : curl_easy_perform(c);
    curl_slist_free_all(headers);
    if (r->progress && x->label)
        fputs("\r\033[K", stderr);
}

static void exchange_free(struct exchange *x)
{
    free(x->url);
    curl_slist_free_all(x->headers);
    free(x->out.mem);
    clear_response(x);
}

/* A limit ended the transfer: say which, in words a user can act on. */
static int limit_error(struct exchange *x, const char *what, char *err, size_t errlen)
{
    struct registry *r = x->r;
    r->interrupted = true;
    /* libcurl's clock may end the transfer a moment before ours says the
       deadline has come; without a low-speed limit it can only be the deadline. */
    if (r->deadline_seconds && (time_left_ms(r) <= DEADLINE_SLACK_MS || !r->stall_bytes))
        return errorf(err, errlen,
                      "registry %s: gave up on %s after %ld s in all (UNIKIT_REGISTRY_TIMEOUT)",
                      r->name, what, r->deadline_seconds);
    return errorf(err, errlen,
                  "registry %s stalled: %s came at less than %ld bytes/s for %ld s "
                  "(UNIKIT_REGISTRY_LOW_SPEED, UNIKIT_REGISTRY_LOW_SPEED_TIME)",
                  r->name, what, r->stall_bytes, r->stall_seconds);
}

/* "registry HOST: WHAT" for a transport failure. */
static int transport_error(struct exchange *x, char *err, size_t errlen)
{
    if (x->cc == CURLE_OPERATION_TIMEDOUT)
        return limit_error(x, x->label ? x->label : "a response", err, errlen);
    const char *why = x->curl_err[0] ? x->curl_err : curl_easy_strerror(x->cc);
    return errorf(err, errlen, "registry %s: %s", x->r->name, why);
}

/* The registry's own explanation: {"errors":[{"code":…,"message":…}]}. */
static char *registry_message(const struct exchange *x)
{
    json_t *doc = x->out.mem ? json_loadb(x->out.mem, x->out.mem_len, 0, NULL) : NULL;
    json_t *first = json_array_get(json_object_get(doc, "errors"), 0);
    const char *message = json_string_value(json_object_get(first, "message"));
    const char *code = json_string_value(json_object_get(first, "code"));
    char *text = message ? xstrdup(message) : code ? xstrdup(code) : NULL;
    json_decref(doc);
    return text;
}

static int http_error(struct exchange *x, const char *what, char *err, size_t errlen)
{
    if (x->cc != CURLE_OK)
        return transport_error(x, err, errlen);
    char *message = registry_message(x);
    const char *meaning = x->status == 404   ? "not found"
                          : x->status == 401 ? "authentication required"
                          : x->status == 403 ? "access denied"
                                             : "unexpected response";
    errorf(err, errlen, "registry %s: %s: %s%s%s (HTTP %ld)", x->r->name, what, meaning,
           message ? ": " : "", message ? message : "", x->status);
    free(message);
    return -1;
}

/* ---- authentication ------------------------------------------------------ */

/* One key="value" (or key=token) pair of a challenge; NULL at the end. */
static const char *challenge_param(const char *p, char *key, size_t klen, char *val, size_t vlen)
{
    while (*p == ' ' || *p == ',')
        p++;
    size_t k = 0, v = 0;
    while (*p && *p != '=' && *p != ' ' && *p != ',')
        if (k + 1 < klen)
            key[k++] = *p++;
        else
            p++;
    key[k] = '\0';
    if (*p != '=' || k == 0)
        return NULL;
    p++;
    bool quoted = *p == '"';
    p += quoted;
    for (; *p && (quoted ? *p != '"' : *p != ','); p++) {
        if (quoted && *p == '\\' && p[1])
            p++;
        if (v + 1 < vlen)
            val[v++] = *p;
    }
    val[v] = '\0';
    return *p == '"' ? p + 1 : p;
}

struct bearer {
    char realm[1024], service[1024], scope[1024];
};

static void parse_bearer(const char *params, struct bearer *b)
{
    char key[32], val[1024];
    memset(b, 0, sizeof *b);
    for (const char *p = params; p && *p;) {
        p = challenge_param(p, key, sizeof key, val, sizeof val);
        if (!p)
            break;
        if (strcasecmp(key, "realm") == 0)
            snprintf(b->realm, sizeof b->realm, "%s", val);
        else if (strcasecmp(key, "service") == 0)
            snprintf(b->service, sizeof b->service, "%s", val);
        else if (strcasecmp(key, "scope") == 0)
            snprintf(b->scope, sizeof b->scope, "%s", val);
    }
}

static char *token_url(struct registry *r, const struct bearer *b)
{
    char *service = curl_easy_escape(r->curl, b->service, 0);
    char *scope = curl_easy_escape(r->curl, b->scope, 0);
    const char *sep = strchr(b->realm, '?') ? "&" : "?";
    char *url = xasprintf("%s%sservice=%s%s%s", b->realm, sep, service,
                          b->scope[0] ? "&scope=" : "", b->scope[0] ? scope : "");
    curl_free(service);
    curl_free(scope);
    return url;
}

static int no_credentials(struct registry *r, char *err, size_t errlen)
{
    return errorf(
        err, errlen,
        "registry %s: authentication required; put a username and password for it in "
        "$UNIKIT_HOME/auth.json, or set UNIKIT_REGISTRY_USER and UNIKIT_REGISTRY_PASSWORD",
        r->name);
}

/* The token service answers {"token":…} or {"access_token":…}. */
static int read_token(struct registry *r, struct exchange *x, char *err, size_t errlen)
{
    json_t *doc = json_loadb(x->out.mem ? x->out.mem : "", x->out.mem_len, 0, NULL);
    const char *token = json_string_value(json_object_get(doc, "token"));
    if (!token)
        token = json_string_value(json_object_get(doc, "access_token"));
    int rc = 0;
    if (token && *token)
        replace(&r->auth, xasprintf("Authorization: Bearer %s", token));
    else
        rc = errorf(err, errlen, "registry %s: the token service gave no token", r->name);
    json_decref(doc);
    return rc;
}

static int fetch_token(struct registry *r, const struct bearer *b, char *err, size_t errlen)
{
    if (strncmp(b->realm, "https://", 8) != 0 &&
        !(strncmp(b->realm, "http://", 7) == 0 && r->plain_ok))
        return errorf(err, errlen, "registry %s: refusing token service '%s' (not HTTPS)", r->name,
                      b->realm);
    /* The token service (often another host) gets the user's password, never an old token. */
    replace(&r->auth, NULL);
    struct exchange x = {.r = r, .method = "GET", .url = token_url(r, b), .out = {.fd = -1}};
    if (r->user) {
        char *basic = basic_header(r->user, r->password);
        x.headers = curl_slist_append(NULL, basic);
        free(basic);
    }
    perform(&x);
    int rc = 0;
    if (x.cc != CURLE_OK)
        rc = transport_error(&x, err, errlen);
    else if ((x.status == 401 || x.status == 403) && !r->user)
        rc = no_credentials(r, err, errlen);
    else if (x.status == 401 || x.status == 403)
        rc = errorf(err, errlen, "registry %s: the credentials were refused", r->name);
    else if (x.status != 200)
        rc = http_error(&x, "token service", err, errlen);
    else
        rc = read_token(r, &x, err, errlen);
    if (rc != 0)
        replace(&r->auth, NULL);
    exchange_free(&x);
    return rc;
}

/* Earns the Authorization header a 401's challenge asks for. */
static int authenticate(struct registry *r, const char *challenge, char *err, size_t errlen)
{
    if (challenge && strncasecmp(challenge, "Bearer ", 7) == 0) {
        struct bearer b;
        parse_bearer(challenge + 7, &b);
        if (!b.realm[0])
            return errorf(err, errlen, "registry %s: a Bearer challenge without a realm", r->name);
        return fetch_token(r, &b, err, errlen);
    }
    if (!r->user)
        return no_credentials(r, err, errlen);
    replace(&r->auth, basic_header(r->user, r->password));
    return 0;
}

/*
 * Sends the exchange, and once more after a 401 with the credentials or token
 * the challenge asked for. Returns -1 only when authentication failed; the
 * caller reads x->cc and x->status.
 */
static int request(struct exchange *x, char *err, size_t errlen)
{
    perform(x);
    if (x->cc != CURLE_OK || x->status != 401)
        return 0;
    char *challenge = x->challenge ? xstrdup(x->challenge) : NULL;
    int rc = authenticate(x->r, challenge, err, errlen);
    free(challenge);
    if (rc != 0)
        return -1;
    perform(x);
    if (x->cc == CURLE_OK && x->status == 401)
        return errorf(err, errlen, "registry %s: the credentials were refused", x->r->name);
    return 0;
}

/* ---- opening ------------------------------------------------------------- */

static char *api_url(struct registry *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *api_url(struct registry *r, const char *fmt, ...)
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
