/* One exchange with the registry over libcurl (see registry.c's opening comment). */
#include "registry_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util.h"

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
char *resolve_location(struct registry *r, const char *request_url, const char *location, char *err,
                       size_t errlen)
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

void to_memory(struct sink *s, const char *data, size_t n, size_t cap)
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
size_t read_header(char *line, size_t size, size_t nitems, void *arg)
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

double now_seconds(void)
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

void perform(struct exchange *x)
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

void exchange_free(struct exchange *x)
{
    free(x->url);
    curl_slist_free_all(x->headers);
    free(x->out.mem);
    clear_response(x);
}

/* A limit ended the transfer: say which, in words a user can act on. */
int limit_error(struct exchange *x, const char *what, char *err, size_t errlen)
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
int transport_error(struct exchange *x, char *err, size_t errlen)
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

int http_error(struct exchange *x, const char *what, char *err, size_t errlen)
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
