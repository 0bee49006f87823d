/* Credentials and authentication: Basic from the docker-style config, Bearer tokens. */
#include "registry_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "util.h"

/* ---- credentials --------------------------------------------------------- */

bool is_loopback(const char *registry)
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

int load_credentials(struct registry *r, const char *home, char *err, size_t errlen)
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

void parse_bearer(const char *params, struct bearer *b)
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

char *token_url(struct registry *r, const struct bearer *b)
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
int read_token(struct registry *r, struct exchange *x, char *err, size_t errlen)
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
int request(struct exchange *x, char *err, size_t errlen)
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
