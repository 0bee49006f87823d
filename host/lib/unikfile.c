/*
 * Reads a Unikfile with libyaml's document API and checks every field, so
 * that the rest of unikit can trust struct unikfile without checking again.
 * Every error names the file, the line and the field, in one line, because
 * the CLI prints it as is.
 */
#include "unikfile.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <yaml.h>

/* A Unikfile is a few lines; a huge one is a mistake, not something to parse. */
#define UNIKFILE_MAX_BYTES (1 << 20)
#define NAME_MAX_LEN       128
#define MEMORY_MIN         (UINT64_C(1) << 20)
#define MEMORY_MAX         (UINT64_C(64) << 30)

struct loader {
    const char *path;
    unsigned flags;   /* UNIKFILE_ALLOW_OUTSIDE_CONTEXT */
    char *context;    /* the Unikfile's folder, resolved: where files: may come from */
    const char *text; /* the file's bytes, to find the line of reader errors */
    yaml_document_t doc;
    struct unikfile *uf;
    char *err;
    size_t errlen;
};

/* ---- errors ------------------------------------------------------------------ */

/* Keys and values end up in the message; a newline in one would break "one line". */
static void keep_on_one_line(char *s)
{
    for (; *s; s++) {
        if (iscntrl((unsigned char)*s))
            *s = '?';
    }
}

/* `line` is 1-based; 0 when the error belongs to no line (a missing field). */
static void report(struct loader *ld, size_t line, const char *field, const char *fmt, va_list ap)
{
    if (!ld->err || ld->errlen == 0)
        return;
    int n;
    if (line)
        n = snprintf(ld->err, ld->errlen, "%s:%zu: ", ld->path, line);
    else
        n = snprintf(ld->err, ld->errlen, "%s: ", ld->path);
    if (n >= 0 && (size_t)n < ld->errlen && field)
        n += snprintf(ld->err + n, ld->errlen - n, "field '%s': ", field);
    if (n >= 0 && (size_t)n < ld->errlen)
        vsnprintf(ld->err + n, ld->errlen - n, fmt, ap);
    keep_on_one_line(ld->err);
}

/* Always returns -1 so that callers can `return fail(...)`. */
__attribute__((format(printf, 4, 5))) static int fail(struct loader *ld, const yaml_node_t *node,
                                                      const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(ld, node ? node->start_mark.line + 1 : 0, field, fmt, ap);
    va_end(ap);
    return -1;
}

__attribute__((format(printf, 4, 5))) static int fail_line(struct loader *ld, size_t line,
                                                           const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(ld, line, field, fmt, ap);
    va_end(ap);
    return -1;
}

static int fail_oom(struct loader *ld)
{
    return fail(ld, NULL, NULL, "out of memory");
}

/* ---- YAML nodes ---------------------------------------------------------------- */

static const char *describe(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return node->data.scalar.length ? "a string" : "an empty value";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

static yaml_node_t *node_at(struct loader *ld, int index)
{
    return yaml_document_get_node(&ld->doc, index);
}

static const char *scalar(const yaml_node_t *node)
{
    return (const char *)node->data.scalar.value;
}

/* libyaml keeps escaped NULs ("\0") inside scalars; C strings would cut them short. */
static int expect_scalar(struct loader *ld, const yaml_node_t *node, const char *field,
                         const char *expected)
{
    if (node->type != YAML_SCALAR_NODE)
        return fail(ld, node, field, "expected %s, got %s", expected, describe(node));
    if (strlen(scalar(node)) != node->data.scalar.length)
        return fail(ld, node, field, "contains a NUL byte");
    return 0;
}

static int expect_nonempty_scalar(struct loader *ld, const yaml_node_t *node, const char *field,
                                  const char *expected)
{
    if (expect_scalar(ld, node, field, expected) < 0)
        return -1;
    if (node->data.scalar.length == 0)
        return fail(ld, node, field, "expected %s, got an empty value", expected);
    return 0;
}

static size_t sequence_length(const yaml_node_t *node)
{
    return (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
}

static size_t mapping_length(const yaml_node_t *node)
{
    return (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
}

static yaml_node_t *pair_key(struct loader *ld, const yaml_node_t *map, size_t i)
{
    return node_at(ld, map->data.mapping.pairs.start[i].key);
}

static yaml_node_t *pair_value(struct loader *ld, const yaml_node_t *map, size_t i)
{
    return node_at(ld, map->data.mapping.pairs.start[i].value);
}

/*
 * Checks that every key of a mapping is a string, given once, and (when
 * `allowed` is not NULL) one of `allowed`. `prefix` names the mapping in
 * errors ("build"), or is "" at the top level.
 */
static int check_keys(struct loader *ld, const yaml_node_t *map, const char *prefix,
                      const char *const *allowed)
{
    char field[256];
    for (size_t i = 0; i < mapping_length(map); i++) {
        yaml_node_t *key = pair_key(ld, map, i);
        if (expect_nonempty_scalar(ld, key, *prefix ? prefix : NULL, "a field name") < 0)
            return -1;
        snprintf(field, sizeof field, "%s%s%s", prefix, *prefix ? "." : "", scalar(key));
        bool known = !allowed;
        for (const char *const *a = allowed; a && *a && !known; a++)
            known = strcmp(*a, scalar(key)) == 0;
        if (!known)
            return fail(ld, key, field, "unknown field");
        for (size_t j = 0; j < i; j++) {
            if (strcmp(scalar(pair_key(ld, map, j)), scalar(key)) == 0)
                return fail(ld, key, field, "given more than once");
        }
    }
    return 0;
}

/* The value under `name` in a mapping whose keys check_keys accepted; NULL when absent. */
static yaml_node_t *lookup(struct loader *ld, const yaml_node_t *map, const char *name)
{
    for (size_t i = 0; i < mapping_length(map); i++) {
        if (strcmp(scalar(pair_key(ld, map, i)), name) == 0)
            return pair_value(ld, map, i);
    }
    return NULL;
}

/* ---- strings and paths ------------------------------------------------------------ */

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

static char *resolve(const char *dir, const char *p)
{
    if (p[0] == '/')
        return strdup(p);
    char *with_slash = join(dir, "/");
    char *s = with_slash ? join(with_slash, p) : NULL;
    free(with_slash);
    return s;
}

static bool strv_contains(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i], s) == 0)
            return true;
    }
    return false;
}

/* `want_regular`: programs and sources must be files; `files:` may also copy folders. */
static int check_exists(struct loader *ld, const yaml_node_t *node, const char *field,
                        const char *resolved, bool want_regular)
{
    struct stat st;
    if (stat(resolved, &st) < 0)
        return fail(ld, node, field, "cannot find '%s' (%s): %s", scalar(node), resolved,
                    strerror(errno));
    if (want_regular && !S_ISREG(st.st_mode))
        return fail(ld, node, field, "'%s' (%s) is not a regular file", scalar(node), resolved);
    if (!want_regular && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return fail(ld, node, field, "'%s' (%s) is neither a file nor a folder", scalar(node),
                    resolved);
    return 0;
}

/* ---- value checks shared with the CLI --------------------------------------------- */

int64_t unikfile_parse_size(const char *s)
{
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    int64_t n = 0;
    for (; isdigit((unsigned char)*s); s++) {
        int digit = *s - '0';
        if (n > (INT64_MAX - digit) / 10)
            return -1;
        n = n * 10 + digit;
    }
    int shift = 0;
    switch (*s) {
    case '\0':
        return n;
    case 'k':
    case 'K':
        shift = 10;
        break;
    case 'm':
    case 'M':
        shift = 20;
        break;
    case 'g':
    case 'G':
        shift = 30;
        break;
    default:
        return -1;
    }
    if (s[1] != '\0' || n > (INT64_MAX >> shift))
        return -1;
    return n << shift;
}

/* Each '/'-separated component like a docker repository name component. */
static bool valid_name(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > NAME_MAX_LEN)
        return false;
    bool component_start = true;
    for (; *s; s++) {
        bool alnum = (*s >= 'a' && *s <= 'z') || isdigit((unsigned char)*s);
        if (component_start && !alnum)
            return false;
        if (!alnum && !strchr("._-/", *s))
            return false;
        component_start = *s == '/';
    }
    return !component_start;
}

/* "80", "53/udp", "443/tcp" → "80", "53/udp", "443": tcp is the default, so it is dropped. */
static char *normalize_port(const char *text)
{
    unsigned long port = 0;
    const char *p = text;
    for (; isdigit((unsigned char)*p); p++) {
        port = port * 10 + (unsigned long)(*p - '0');
        if (port > 65535)
            return NULL;
    }
    if (p == text || port == 0)
        return NULL;
    bool udp = false;
    if (*p == '/') {
        udp = strcasecmp(p + 1, "udp") == 0;
        if (!udp && strcasecmp(p + 1, "tcp") != 0)
            return NULL;
    } else if (*p != '\0') {
        return NULL;
    }
    char buf[16];
    snprintf(buf, sizeof buf, "%lu%s", port, udp ? "/udp" : "");
    return strdup(buf);
}

static const char *normalize_arch(const char *s)
{
    if (strcmp(s, "x86_64") == 0 || strcmp(s, "amd64") == 0)
        return "x86_64";
    if (strcmp(s, "aarch64") == 0 || strcmp(s, "arm64") == 0)
        return "aarch64";
    return NULL;
}

/* ---- lists -------------------------------------------------------------------------- */

/* Turns one list item into the string to store; on error reports and returns -1. */
typedef int (*item_fn)(struct loader *ld, const yaml_node_t *item, const char *field, char **out);

struct list_spec {
    const char *field;
    bool may_be_empty;
    bool unique;
    item_fn convert;
};

/*
 * Fills *vec (NULL-terminated from the start, so unikfile_free can always
 * walk it) and counts into *n as it goes.
 */
static int load_list(struct loader *ld, const yaml_node_t *node, const struct list_spec *spec,
                     char ***vec, size_t *n)
{
    if (node->type != YAML_SEQUENCE_NODE)
        return fail(ld, node, spec->field, "expected a list of strings, got %s", describe(node));
    size_t len = sequence_length(node);
    if (len == 0 && !spec->may_be_empty)
        return fail(ld, node, spec->field, "expected a non-empty list of strings");
    *vec = calloc(len + 1, sizeof **vec);
    if (!*vec)
        return fail_oom(ld);
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *item = node_at(ld, node->data.sequence.items.start[i]);
        char *s = NULL;
        if (spec->convert(ld, item, spec->field, &s) < 0)
            return -1;
        if (spec->unique && strv_contains(*vec, *n, s)) {
            free(s);
            return fail(ld, item, spec->field, "'%s' given more than once", scalar(item));
        }
        (*vec)[(*n)++] = s;
    }
    return 0;
}

static int copy_string(struct loader *ld, const yaml_node_t *item, const char *field, char **out)
{
    if (expect_scalar(ld, item, field, "a list of strings") < 0)
        return -1;
    *out = strdup(scalar(item));
    return *out ? 0 : fail_oom(ld);
}

static int copy_nonempty_string(struct loader *ld, const yaml_node_t *item, const char *field,
                                char **out)
{
    if (expect_nonempty_scalar(ld, item, field, "a list of non-empty strings") < 0)
        return -1;
    *out = strdup(scalar(item));
    return *out ? 0 : fail_oom(ld);
}

static int resolve_source(struct loader *ld, const yaml_node_t *item, const char *field, char **out)
{
    if (expect_nonempty_scalar(ld, item, field, "a list of file paths") < 0)
        return -1;
    char *path = resolve(ld->uf->dir, scalar(item));
    if (!path)
        return fail_oom(ld);
    if (check_exists(ld, item, field, path, true) < 0) {
        free(path);
        return -1;
    }
    *out = path;
    return 0;
}

static int convert_port(struct loader *ld, const yaml_node_t *item, const char *field, char **out)
{
    if (expect_nonempty_scalar(ld, item, field, "a list of ports like 80 or 53/udp") < 0)
        return -1;
    *out = normalize_port(scalar(item));
    if (!*out)
        return fail(ld, item, field,
                    "'%s' is not a port: expected 1-65535, optionally /tcp or /udp", scalar(item));
    return 0;
}

static int convert_arch(struct loader *ld, const yaml_node_t *item, const char *field, char **out)
{
    if (expect_nonempty_scalar(ld, item, field, "a list of architectures") < 0)
        return -1;
    const char *arch = normalize_arch(scalar(item));
    if (!arch)
        return fail(ld, item, field, "unknown architecture '%s': expected x86_64 or aarch64",
                    scalar(item));
    *out = strdup(arch);
    return *out ? 0 : fail_oom(ld);
}

/* ---- fields --------------------------------------------------------------------------- */

static int load_name(struct loader *ld, const yaml_node_t *node)
{
    if (expect_scalar(ld, node, "name", "a string") < 0)
        return -1;
    if (!valid_name(scalar(node)))
        return fail(ld, node, "name",
                    "'%s' is not a valid name: use lowercase letters, digits, '.', '_', '-' "
                    "and '/', starting with a letter or digit",
                    scalar(node));
    ld->uf->name = strdup(scalar(node));
    return ld->uf->name ? 0 : fail_oom(ld);
}

static int load_binary(struct loader *ld, const yaml_node_t *node)
{
    if (expect_nonempty_scalar(ld, node, "build.binary", "a file path") < 0)
        return -1;
    ld->uf->binary = resolve(ld->uf->dir, scalar(node));
    if (!ld->uf->binary)
        return fail_oom(ld);
    return check_exists(ld, node, "build.binary", ld->uf->binary, true);
}

static int load_build(struct loader *ld, const yaml_node_t *node)
{
    static const char *const allowed[] = {"sources", "binary", "cflags", NULL};
    static const struct list_spec sources = {"build.sources", false, true, resolve_source};
    static const struct list_spec cflags = {"build.cflags", true, false, copy_nonempty_string};
    struct unikfile *uf = ld->uf;

    if (node->type != YAML_MAPPING_NODE)
        return fail(ld, node, "build", "expected a mapping with sources or binary, got %s",
                    describe(node));
    if (check_keys(ld, node, "build", allowed) < 0)
        return -1;
    yaml_node_t *src = lookup(ld, node, "sources"), *bin = lookup(ld, node, "binary");
    yaml_node_t *flags = lookup(ld, node, "cflags");
    if (src && bin)
        return fail(ld, bin, "build", "give either sources or binary, not both");
    if (!src && !bin)
        return fail(ld, node, "build", "missing sources or binary");
    if (flags && bin)
        return fail(ld, flags, "build.cflags", "only applies to build.sources");
    if (src && load_list(ld, src, &sources, &uf->sources, &uf->nsources) < 0)
        return -1;
    if (bin && load_binary(ld, bin) < 0)
        return -1;
    if (flags && load_list(ld, flags, &cflags, &uf->cflags, &uf->ncflags) < 0)
        return -1;
    return 0;
}

static int load_cmd(struct loader *ld, const yaml_node_t *node)
{
    static const struct list_spec spec = {"cmd", false, false, copy_string};
    if (load_list(ld, node, &spec, &ld->uf->cmd, &ld->uf->ncmd) < 0)
        return -1;
    if (ld->uf->cmd[0][0] != '/') {
        const yaml_node_t *first = node_at(ld, node->data.sequence.items.start[0]);
        return fail(ld, first, "cmd", "the program '%s' must be an absolute path in the image",
                    ld->uf->cmd[0]);
    }
    return 0;
}

static int load_env_entry(struct loader *ld, const yaml_node_t *key, const yaml_node_t *value,
                          char **out)
{
    char field[256];
    snprintf(field, sizeof field, "env.%s", scalar(key));
    if (strchr(scalar(key), '='))
        return fail(ld, key, field, "a variable name cannot contain '='");
    if (expect_scalar(ld, value, field, "a string") < 0)
        return -1;
    char *with_eq = join(scalar(key), "=");
    *out = with_eq ? join(with_eq, scalar(value)) : NULL;
    free(with_eq);
    return *out ? 0 : fail_oom(ld);
}

static int load_env(struct loader *ld, const yaml_node_t *node)
{
    struct unikfile *uf = ld->uf;
    if (node->type != YAML_MAPPING_NODE)
        return fail(ld, node, "env", "expected a mapping of NAME: value, got %s", describe(node));
    if (check_keys(ld, node, "env", NULL) < 0)
        return -1;
    size_t len = mapping_length(node);
    uf->env = calloc(len + 1, sizeof *uf->env);
    if (!uf->env)
        return fail_oom(ld);
    for (size_t i = 0; i < len; i++) {
        if (load_env_entry(ld, pair_key(ld, node, i), pair_value(ld, node, i), &uf->env[i]) < 0)
            return -1;
        uf->nenv++;
    }
    return 0;
}

/* ---- files: what may go in --------------------------------------------------------- */

static bool is_under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 &&
           (path[n] == '\0' || path[n] == '/' || (n > 0 && dir[n - 1] == '/'));
}

/*
 * The build context is the Unikfile's folder, as docker build's: an
 * absolute path, a ".." or a symlink that leads out of it would copy the
 * builder's own files (/etc/passwd, ~/.ssh) into an image meant to be shared.
 */
static int check_in_context(struct loader *ld, const yaml_node_t *key, const char *field,
                            const char *resolved)
{
    if (ld->flags & UNIKFILE_ALLOW_OUTSIDE_CONTEXT)
        return 0;
    if (scalar(key)[0] == '/')
        return fail(ld, key, field,
                    "'%s' is an absolute host path; files come from the build context %s "
                    "(unikit build --allow-outside-context allows others)",
                    scalar(key), ld->context);
    char *real = realpath(resolved, NULL);
    if (!real)
        return fail(ld, key, field, "cannot resolve '%s': %s", scalar(key), strerror(errno));
    int rc = 0;
    if (!is_under(real, ld->context))
        rc = fail(ld, key, field,
                  "'%s' leads to %s, outside the build context %s "
                  "(unikit build --allow-outside-context allows it)",
                  scalar(key), real, ld->context);
    free(real);
    return rc;
}

/* The first component of an image path, skipping "/" and "."; "" for the root. */
static void first_component(const char *path, char *out, size_t len)
{
    while (*path == '/' || (path[0] == '.' && (path[1] == '/' || path[1] == '\0')))
        path++;
    size_t n = strcspn(path, "/");
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), path);
}

/* The kernel makes /dev (devfs) and /proc itself; the archive cannot put anything there. */
static bool kernel_owned(const char *component)
{
    return strcmp(component, "dev") == 0 || strcmp(component, "proc") == 0;
}

static bool has_dotdot(const char *path)
{
    for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2) {
        if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
            return true;
    }
    return false;
}

/* An image path the kernel can unpack: absolute, no "..", nothing in /dev or /proc. */
static int check_guest_path(struct loader *ld, const yaml_node_t *node, const char *field,
                            const char *what, const char *path)
{
    char first[NAME_MAX + 1];
    if (path[0] != '/')
        return fail(ld, node, field, "%s '%s' must be an absolute path in the image", what, path);
    if (has_dotdot(path))
        return fail(ld, node, field, "%s '%s' has '..' in it; give the path itself", what, path);
    first_component(path, first, sizeof first);
    if (kernel_owned(first))
        return fail(ld, node, field,
                    "%s '%s' is in /%s, which the kernel provides at boot; choose another path",
                    what, path, first);
    return 0;
}

/* A folder copied to "/" must not bring its own dev or proc. */
static int check_root_copy(struct loader *ld, const yaml_node_t *node, const char *field,
                           const char *host_dir)
{
    static const char *const owned[] = {"dev", "proc"};
    for (size_t i = 0; i < 2; i++) {
        char *p = resolve(host_dir, owned[i]);
        struct stat st;
        bool there = p && lstat(p, &st) == 0;
        free(p);
        if (there)
            return fail(ld, node, field,
                        "copying '%s' to / would put its '%s' in /%s, which the kernel "
                        "provides at boot",
                        scalar(node), owned[i], owned[i]);
    }
    return 0;
}

/* nftw has no context argument: the sum being taken. */
static uint64_t tree_sum;

static int add_tree_bytes(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)path, (void)flag, (void)ftw;
    if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode))
        tree_sum += (uint64_t)st->st_size;
    return tree_sum > UNIKFILE_ARCHIVE_MAX; /* past the limit, the rest cannot matter */
}

/* What host copies into the image, counted as cpio.c copies it (links kept, not followed). */
static uint64_t bytes_of(const char *host)
{
    struct stat st;
    if (stat(host, &st) < 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return (uint64_t)st.st_size;
    char *real = realpath(host, NULL); /* nftw would not descend a symlink to a folder */
    tree_sum = 0;
    if (real)
        nftw(real, add_tree_bytes, 16, FTW_PHYS);
    free(real);
    return tree_sum;
}

/*
 * Counted before anything is copied: a 2 GB (even sparse) file would take
 * the build minutes to copy and link only to fail in the linker.
 */
static int count_bytes(struct loader *ld, const yaml_node_t *key, const char *field,
                       const char *host)
{
    uint64_t n = bytes_of(host);
    ld->uf->files_bytes += n;
    if (ld->uf->files_bytes <= UNIKFILE_ARCHIVE_MAX)
        return 0;
    return fail(ld, key, field,
                "files come to %" PRIu64 " MiB with '%s', more than an image holds: "
                "%" PRIu64 " MiB of program and files",
                (ld->uf->files_bytes + (1u << 20) - 1) >> 20, scalar(key),
                UNIKFILE_ARCHIVE_MAX >> 20);
}

static int load_file_entry(struct loader *ld, const yaml_node_t *key, const yaml_node_t *value,
                           struct unikfile_mapping *out)
{
    char field[256];
    snprintf(field, sizeof field, "files.%s", scalar(key));
    out->host = resolve(ld->uf->dir, scalar(key));
    if (!out->host)
        return fail_oom(ld);
    if (check_exists(ld, key, field, out->host, false) < 0 ||
        check_in_context(ld, key, field, out->host) < 0)
        return -1;
    if (expect_nonempty_scalar(ld, value, field, "an absolute path in the image") < 0 ||
        check_guest_path(ld, value, field, "the image path", scalar(value)) < 0)
        return -1;
    char first[NAME_MAX + 1];
    first_component(scalar(value), first, sizeof first);
    struct stat st;
    if (!first[0] && stat(out->host, &st) == 0 && S_ISDIR(st.st_mode) &&
        check_root_copy(ld, key, field, out->host) < 0)
        return -1;
    if (count_bytes(ld, key, field, out->host) < 0)
        return -1;
    out->guest = strdup(scalar(value));
    return out->guest ? 0 : fail_oom(ld);
}

static int load_files(struct loader *ld, const yaml_node_t *node)
{
    struct unikfile *uf = ld->uf;
    if (node->type != YAML_MAPPING_NODE)
        return fail(ld, node, "files", "expected a mapping of host path: image path, got %s",
                    describe(node));
    if (check_keys(ld, node, "files", NULL) < 0)
        return -1;
    size_t len = mapping_length(node);
    if (len == 0)
        return 0;
    /* Counted in full at once: calloc leaves entries NULL, which unikfile_free accepts. */
    uf->files = calloc(len, sizeof *uf->files);
    if (!uf->files)
        return fail_oom(ld);
    uf->nfiles = len;
    for (size_t i = 0; i < len; i++) {
        if (load_file_entry(ld, pair_key(ld, node, i), pair_value(ld, node, i), &uf->files[i]) < 0)
            return -1;
    }
    return 0;
}

static int load_memory(struct loader *ld, const yaml_node_t *node)
{
    if (expect_scalar(ld, node, "memory", "a size like 16M") < 0)
        return -1;
    int64_t bytes = unikfile_parse_size(scalar(node));
    if (bytes < 0)
        return fail(ld, node, "memory", "'%s' is not a size: expected a number with K, M or G",
                    scalar(node));
    if ((uint64_t)bytes < MEMORY_MIN || (uint64_t)bytes > MEMORY_MAX)
        return fail(ld, node, "memory", "'%s' is out of range: expected 1M to 64G", scalar(node));
    ld->uf->memory = (uint64_t)bytes;
    return 0;
}

static int load_ports(struct loader *ld, const yaml_node_t *node)
{
    static const struct list_spec spec = {"ports", true, true, convert_port};
    return load_list(ld, node, &spec, &ld->uf->ports, &ld->uf->nports);
}

/* "/var//lib/db/" → "/var/lib/db": one spelling per folder, so duplicates show. */
static char *normalize_guest_dir(const char *path)
{
    char *out = strdup(path);
    if (!out)
        return NULL;
    size_t n = 0;
    for (const char *p = path; *p; p++)
        if (!(*p == '/' && (p[1] == '/' || p[1] == '\0') && n > 0))
            out[n++] = *p;
    out[n] = '\0';
    return out;
}

/* A folder the image expects a volume on, as Dockerfile's VOLUME: absolute, not the root. */
static int convert_volume(struct loader *ld, const yaml_node_t *item, const char *field, char **out)
{
    if (expect_nonempty_scalar(ld, item, field, "a list of absolute guest paths") < 0)
        return -1;
    if (check_guest_path(ld, item, field, "volume", scalar(item)) < 0)
        return -1;
    *out = normalize_guest_dir(scalar(item));
    if (!*out)
        return fail_oom(ld);
    if (strcmp(*out, "/") == 0) {
        free(*out);
        return fail(ld, item, field, "a volume cannot cover the whole image ('/')");
    }
    return 0;
}

static int load_volumes(struct loader *ld, const yaml_node_t *node)
{
    static const struct list_spec spec = {"volumes", true, true, convert_volume};
    return load_list(ld, node, &spec, &ld->uf->volumes, &ld->uf->nvolumes);
}

/* A system call's name as Linux's tables spell it; whether some table has
   it is checked at build, against the tables of unikit's kernel. */
static int convert_syscall(struct loader *ld, const yaml_node_t *item, const char *field,
                           char **out)
{
    if (expect_nonempty_scalar(ld, item, field, "a list of system-call names") < 0)
        return -1;
    const char *name = scalar(item);
    if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name))
        return fail(ld, item, field, "'%s' is not a system call's name (like openat or epoll_wait)",
                    name);
    ld->uf->syscall_line[ld->uf->nsyscalls] = item->start_mark.line + 1;
    *out = strdup(name);
    return *out ? 0 : fail_oom(ld);
}

static int load_syscalls(struct loader *ld, const yaml_node_t *node)
{
    static const struct list_spec spec = {"syscalls", true, true, convert_syscall};
    if (node->type == YAML_SEQUENCE_NODE) {
        ld->uf->syscall_line = calloc(sequence_length(node) + 1, sizeof(size_t));
        if (!ld->uf->syscall_line)
            return fail_oom(ld);
    }
    return load_list(ld, node, &spec, &ld->uf->syscalls, &ld->uf->nsyscalls);
}

static int load_bool(struct loader *ld, const yaml_node_t *node, const char *field, bool *value)
{
    const char *v = node->type == YAML_SCALAR_NODE ? scalar(node) : "";
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        *value = strcmp(v, "true") == 0;
        return 0;
    }
    return fail(ld, node, field, "expected true or false, got %s", describe(node));
}

static int load_specialize(struct loader *ld, const yaml_node_t *node)
{
    return load_bool(ld, node, "specialize", &ld->uf->specialize);
}

static int load_pack(struct loader *ld, const yaml_node_t *node)
{
    return load_bool(ld, node, "pack", &ld->uf->pack);
}

static int load_arch(struct loader *ld, const yaml_node_t *node)
{
    static const struct list_spec spec = {"arch", false, true, convert_arch};
    return load_list(ld, node, &spec, &ld->uf->arch, &ld->uf->narch);
}

/* ---- defaults ------------------------------------------------------------------------- */

/* The folder's name, lowercased as docker compose does for project names. */
static int default_name(struct loader *ld)
{
    char *real = realpath(ld->uf->dir, NULL);
    if (!real)
        return fail(ld, NULL, "name", "cannot resolve folder '%s': %s", ld->uf->dir,
                    strerror(errno));
    char *name = strdup(basename(real));
    free(real);
    if (!name)
        return fail_oom(ld);
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (!valid_name(name)) {
        fail(ld, NULL, "name", "the folder's name '%s' is not a valid name; give name:", name);
        free(name);
        return -1;
    }
    ld->uf->name = name;
    return 0;
}

static char **single_strv(const char *s)
{
    char **v = calloc(2, sizeof *v);
    if (v && !(v[0] = strdup(s))) {
        free(v);
        return NULL;
    }
    return v;
}

static int default_cmd(struct loader *ld)
{
    struct unikfile *uf = ld->uf;
    char *copy = strdup(uf->binary ? uf->binary : uf->name);
    char *program = copy ? join("/", uf->binary ? basename(copy) : copy) : NULL;
    free(copy);
    uf->cmd = program ? single_strv(program) : NULL;
    free(program);
    if (!uf->cmd)
        return fail_oom(ld);
    uf->ncmd = 1;
    return 0;
}

static int default_arch(struct loader *ld)
{
    struct utsname u;
    if (uname(&u) < 0)
        return fail(ld, NULL, "arch", "cannot tell this machine's architecture: %s",
                    strerror(errno));
    const char *arch = normalize_arch(u.machine);
    if (!arch)
        return fail(ld, NULL, "arch",
                    "this machine's architecture '%s' is not supported; give arch:", u.machine);
    ld->uf->arch = single_strv(arch);
    if (!ld->uf->arch)
        return fail_oom(ld);
    ld->uf->narch = 1;
    return 0;
}

/* ---- the whole file ------------------------------------------------------------------- */

/* cmd[0], given or made from the name ("/dev/x" from name: dev/x), is where the program goes. */
static int check_program_path(struct loader *ld, const yaml_node_t *root)
{
    const yaml_node_t *cmd = lookup(ld, root, "cmd");
    const yaml_node_t *at =
        cmd ? node_at(ld, cmd->data.sequence.items.start[0]) : lookup(ld, root, "name");
    return check_guest_path(ld, at, "cmd", "the program", ld->uf->cmd[0]);
}

struct field {
    const char *name;
    int (*load)(struct loader *ld, const yaml_node_t *value);
};

static const struct field fields[] = {
    {"name", load_name},         {"build", load_build},
    {"cmd", load_cmd},           {"env", load_env},
    {"files", load_files},       {"memory", load_memory},
    {"ports", load_ports},       {"arch", load_arch},
    {"syscalls", load_syscalls}, {"specialize", load_specialize},
    {"volumes", load_volumes},   {"pack", load_pack},
};

#define NFIELDS (sizeof fields / sizeof fields[0])

static int load_fields(struct loader *ld, const yaml_node_t *root)
{
    const char *names[NFIELDS + 1] = {NULL};
    for (size_t i = 0; i < NFIELDS; i++)
        names[i] = fields[i].name;
    if (root->type != YAML_MAPPING_NODE)
        return fail(ld, root, NULL, "expected a mapping of fields at the top level, got %s",
                    describe(root));
    if (check_keys(ld, root, "", names) < 0)
        return -1;
    if (!lookup(ld, root, "build"))
        return fail(ld, NULL, "build", "missing (give build.sources or build.binary)");
    for (size_t i = 0; i < NFIELDS; i++) {
        yaml_node_t *value = lookup(ld, root, fields[i].name);
        if (value && fields[i].load(ld, value) < 0)
            return -1;
    }
    if (!ld->uf->name && default_name(ld) < 0)
        return -1;
    if (!ld->uf->cmd && default_cmd(ld) < 0)
        return -1;
    if (check_program_path(ld, root) < 0)
        return -1;
    if (!ld->uf->arch && default_arch(ld) < 0)
        return -1;
    return 0;
}

/* Reader errors (bad UTF-8) carry only an offset, not a line. */
static size_t line_of_offset(const char *text, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset && text[i]; i++)
        line += text[i] == '\n';
    return line;
}

static int syntax_error(struct loader *ld, const yaml_parser_t *parser)
{
    size_t line = parser->error == YAML_READER_ERROR
                      ? line_of_offset(ld->text, parser->problem_offset)
                      : parser->problem_mark.line + 1;
    return fail_line(ld, line, NULL, "YAML syntax error: %s",
                     parser->problem ? parser->problem : "cannot parse");
}

/* Loads the first document into ld->doc; a second one is refused, not silently ignored. */
static int parse_document(struct loader *ld, yaml_parser_t *parser)
{
    if (!yaml_parser_load(parser, &ld->doc))
        return syntax_error(ld, parser);
    yaml_node_t *root = yaml_document_get_root_node(&ld->doc);
    if (!root)
        return fail(ld, NULL, NULL, "the file is empty: expected a mapping with at least 'build'");
    yaml_document_t next;
    if (!yaml_parser_load(parser, &next))
        return syntax_error(ld, parser);
    yaml_node_t *extra = yaml_document_get_root_node(&next);
    size_t line = extra ? extra->start_mark.line + 1 : 0;
    yaml_document_delete(&next);
    if (extra)
        return fail_line(ld, line, NULL, "a second YAML document: a Unikfile holds one");
    return 0;
}

static char *read_file(struct loader *ld)
{
    FILE *f = fopen(ld->path, "rb");
    if (!f) {
        fail(ld, NULL, NULL, "cannot read: %s", strerror(errno));
        return NULL;
    }
    char *buf = malloc(UNIKFILE_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, UNIKFILE_MAX_BYTES + 1, f) : 0;
    int read_errno = errno;
    bool failed = ferror(f);
    fclose(f);
    if (!buf) {
        fail_oom(ld);
    } else if (failed) {
        fail(ld, NULL, NULL, "cannot read: %s", strerror(read_errno));
    } else if (n > UNIKFILE_MAX_BYTES) {
        fail(ld, NULL, NULL, "cannot read: larger than %d bytes", UNIKFILE_MAX_BYTES);
    } else {
        buf[n] = '\0';
        return buf;
    }
    free(buf);
    return NULL;
}

static int set_location(struct unikfile *uf, const char *path)
{
    uf->specialize = true;
    uf->pack = true;
    uf->path = strdup(path);
    char *copy = strdup(path);
    uf->dir = copy ? strdup(dirname(copy)) : NULL;
    free(copy);
    return uf->path && uf->dir ? 0 : -1;
}

static int load_text(struct loader *ld)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return fail_oom(ld);
    yaml_parser_set_input_string(&parser, (const unsigned char *)ld->text, strlen(ld->text));
    int rc = parse_document(ld, &parser);
    yaml_node_t *root = yaml_document_get_root_node(&ld->doc);
    if (rc == 0)
        rc = load_fields(ld, root);
    yaml_document_delete(&ld->doc);
    yaml_parser_delete(&parser);
    return rc;
}

int unikfile_load(const char *path, struct unikfile *uf, char *err, size_t errlen)
{
    return unikfile_load_flags(path, 0, uf, err, errlen);
}

/* The folder files: may copy from, resolved so that a symlink to it counts as inside. */
static int set_context(struct loader *ld)
{
    ld->context = realpath(ld->uf->dir, NULL);
    if (!ld->context)
        return fail(ld, NULL, NULL, "cannot resolve the folder '%s': %s", ld->uf->dir,
                    strerror(errno));
    return 0;
}

/* Checks the Unikfile's text (NUL-terminated); uf and err are cleared already. */
static int load_from_text(struct loader *ld, const char *text)
{
    ld->text = text;
    int rc = set_location(ld->uf, ld->path) < 0 ? fail_oom(ld) : set_context(ld);
    if (rc == 0)
        rc = load_text(ld);
    free(ld->context);
    if (rc < 0)
        unikfile_free(ld->uf);
    return rc;
}

int unikfile_load_flags(const char *path, unsigned flags, struct unikfile *uf, char *err,
                        size_t errlen)
{
    struct loader ld = {.path = path, .flags = flags, .uf = uf, .err = err, .errlen = errlen};
    memset(uf, 0, sizeof *uf);
    if (err && errlen)
        err[0] = '\0';
    char *text = read_file(&ld);
    if (!text)
        return -1;
    int rc = load_from_text(&ld, text);
    free(text);
    return rc;
}

int unikfile_load_text(const char *path, const char *text, size_t len, unsigned flags,
                       struct unikfile *uf, char *err, size_t errlen)
{
    struct loader ld = {.path = path, .flags = flags, .uf = uf, .err = err, .errlen = errlen};
    memset(uf, 0, sizeof *uf);
    if (err && errlen)
        err[0] = '\0';
    if (len > UNIKFILE_MAX_BYTES)
        return fail(&ld, NULL, NULL, "cannot read: larger than %d bytes", UNIKFILE_MAX_BYTES);
    /* As read_file gives it: the bytes, then a NUL (the parser stops at a NUL inside). */
    char *copy = malloc(len + 1);
    if (!copy)
        return fail_oom(&ld);
    memcpy(copy, text, len);
    copy[len] = '\0';
    int rc = load_from_text(&ld, copy);
    free(copy);
    return rc;
}

void unikfile_free(struct unikfile *uf)
{
    if (!uf)
        return;
    free(uf->path);
    free(uf->dir);
    free(uf->name);
    strv_free(uf->sources);
    free(uf->binary);
    strv_free(uf->cflags);
    strv_free(uf->cmd);
    strv_free(uf->env);
    for (size_t i = 0; uf->files && i < uf->nfiles; i++) {
        free(uf->files[i].host);
        free(uf->files[i].guest);
    }
    free(uf->files);
    strv_free(uf->ports);
    strv_free(uf->volumes);
    strv_free(uf->arch);
    strv_free(uf->syscalls);
    free(uf->syscall_line);
    memset(uf, 0, sizeof *uf);
}
