/* The syntax of image references (store_normalize_ref in store.h). */
#include "store_internal.h"

#include "util.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define MAX_REF_LEN 255
#define MAX_TAG_LEN 128

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A repository path component: [a-z0-9] with . _ - inside. */
static bool path_component_valid(const char *s, size_t len)
{
    if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* A host name: [a-z0-9] with . - inside. */
static bool hostname_valid(const char *s, size_t len)
{
    if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

/* An IPv6 literal in brackets, "[::1]", as docker's reference grammar has it. */
static bool ipv6_literal_valid(const char *s, size_t len)
{
    if (len < 3 || s[0] != '[' || s[len - 1] != ']')
        return false;
    for (size_t i = 1; i + 1 < len; i++)
        if (!isxdigit((unsigned char)s[i]) && s[i] != ':')
            return false;
    return true;
}

static bool port_valid(const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* A registry: a host name or a bracketed IPv6 address, optionally ":PORT". */
static bool registry_valid(const char *s, size_t len)
{
    /* An IPv6 address has colons of its own: the port's comes after the ']'. */
    const char *close = s[0] == '[' ? memchr(s, ']', len) : NULL;
    const char *host_end = close ? close + 1 : s;
    const char *colon = memchr(host_end, ':', len - (size_t)(host_end - s));
    size_t host_len = colon ? (size_t)(colon - s) : len;
    bool host_ok = s[0] == '[' ? ipv6_literal_valid(s, host_len) : hostname_valid(s, host_len);
    return host_ok && (!colon || port_valid(colon + 1, len - host_len - 1));
}

static bool name_valid(const char *name, size_t len)
{
    const char *end = name + len;
    bool first = true;
    for (const char *p = name; p <= end; first = false) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *stop = slash ? slash : end;
        /* Only a leading component followed by more path can be a registry. */
        bool ok = first && slash ? registry_valid(p, (size_t)(stop - p))
                                 : path_component_valid(p, (size_t)(stop - p));
        if (!ok)
            return false;
        p = stop + 1;
    }
    return true;
}

static bool tag_valid(const char *tag)
{
    size_t len = strlen(tag);
    if (len == 0 || len > MAX_TAG_LEN || tag[0] == '.' || tag[0] == '-')
        return false;
    for (const char *p = tag; *p; p++)
        if (!is_lower_alnum(*p) && *p != '_' && *p != '.' && *p != '-')
            return false;
    return true;
}

char *store_normalize_ref(const char *ref)
{
    if (!ref || !*ref || strlen(ref) > MAX_REF_LEN)
        return NULL;
    /* A tag's colon comes after the last '/'; one before it is a registry port. */
    const char *last_slash = strrchr(ref, '/');
    const char *colon = strchr(last_slash ? last_slash + 1 : ref, ':');
    size_t name_len = colon ? (size_t)(colon - ref) : strlen(ref);
    const char *tag = colon ? colon + 1 : "latest";
    if (!name_valid(ref, name_len) || !tag_valid(tag))
        return NULL;
    return xasprintf("%.*s:%s", (int)name_len, ref, tag);
}
