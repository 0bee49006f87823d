/* The bundle's config.json: what of the OCI runtime spec a unikit guest uses. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"
#include "util.h"

/* A NULL-terminated copy of an array of strings; -1 when it is something else. */
static int string_array(json_t *v, char ***out)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return -1;
    char **a = xcalloc(json_array_size(v) + 1, sizeof(char *));
    for (size_t i = 0; i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (!s) {
            for (size_t j = 0; j < i; j++)
                free(a[j]);
            free(a);
            return -1;
        }
        a[i] = xstrdup(s);
    }
    *out = a;
    return 0;
}

const char *hook_kind_name(enum hook_kind k)
{
    static const char *names[HOOK_KINDS] = {"createRuntime",  "createContainer", "prestart",
                                            "startContainer", "poststart",       "poststop"};
    return names[k];
}

static int parse_hooks(json_t *hooks, struct bundle *b, const char *file, char *err, size_t errlen)
{
    if (!hooks || json_is_null(hooks))
        return 0;
    if (!json_is_object(hooks))
        return errorf(err, errlen, "%s: hooks: expected an object", file);
    for (int k = 0; k < HOOK_KINDS; k++) {
        const char *kind = hook_kind_name(k);
        json_t *list = json_object_get(hooks, kind);
        if (!list || json_is_null(list))
            continue;
        if (!json_is_array(list))
            return errorf(err, errlen, "%s: hooks.%s: expected an array", file, kind);
        struct hook_list *hl = &b->hooks[k];
        hl->v = xcalloc(json_array_size(list), sizeof(struct hook));
        for (size_t i = 0; i < json_array_size(list); i++) {
            hl->n = i + 1; /* freed by bundle_free, even half filled */
            json_t *h = json_array_get(list, i);
            struct hook *hk = &hl->v[i];
            const char *path = json_string_value(json_object_get(h, "path"));
            json_t *timeout = json_object_get(h, "timeout");
            if (!path || path[0] != '/')
                return errorf(err, errlen, "%s: hooks.%s[%zu].path: expected an absolute path",
                              file, kind, i);
            hk->path = xstrdup(path);
            if (string_array(json_object_get(h, "args"), &hk->args) < 0 ||
                string_array(json_object_get(h, "env"), &hk->env) < 0)
                return errorf(err, errlen,
                              "%s: hooks.%s[%zu]: args and env must be arrays of "
                              "strings",
                              file, kind, i);
            if (timeout && !(json_is_integer(timeout) && json_integer_value(timeout) > 0))
                return errorf(err, errlen, "%s: hooks.%s[%zu].timeout: expected seconds > 0", file,
                              kind, i);
            hk->timeout = timeout ? (int)json_integer_value(timeout) : 0;
        }
    }
    return 0;
}

static int parse_process(json_t *proc, struct bundle *b, const char *file, char *err, size_t errlen)
{
    if (!json_is_object(proc))
        return errorf(err, errlen, "%s: process: expected an object", file);
    if (string_array(json_object_get(proc, "args"), &b->args) < 0 || !b->args || !b->args[0])
        return errorf(err, errlen, "%s: process.args: expected a non-empty array of strings", file);
    if (string_array(json_object_get(proc, "env"), &b->env) < 0)
        return errorf(err, errlen, "%s: process.env: expected an array of strings", file);
    const char *cwd = json_string_value(json_object_get(proc, "cwd"));
    b->cwd = xstrdup(cwd ? cwd : "/");
    b->terminal = json_is_true(json_object_get(proc, "terminal"));
    return 0;
}

/* Guest RAM from the memory limit, vCPUs from the CPU quota (rounded up). */
static int parse_resources(json_t *res, struct bundle *b, const char *file, char *err,
                           size_t errlen)
{
    json_t *limit = json_object_get(json_object_get(res, "memory"), "limit");
    if (json_is_integer(limit) && json_integer_value(limit) > 0)
        b->memory = (uint64_t)json_integer_value(limit);
    else if (limit && !json_is_integer(limit) && !json_is_null(limit))
        return errorf(err, errlen, "%s: linux.resources.memory.limit: expected bytes", file);
    json_t *cpu = json_object_get(res, "cpu");
    json_t *quota = json_object_get(cpu, "quota"), *period = json_object_get(cpu, "period");
    if (json_is_integer(quota) && json_integer_value(quota) > 0) {
        long long q = json_integer_value(quota);
        long long p = json_is_integer(period) && json_integer_value(period) > 0
                          ? json_integer_value(period)
                          : 100000;
        long long n = (q + p - 1) / p;
        b->cpus = n < 1 ? 1 : n > QEMU_MAX_CPUS ? QEMU_MAX_CPUS : (unsigned)n;
    }
    return 0;
}

static int parse_namespaces(json_t *nss, struct bundle *b, const char *file, char *err,
                            size_t errlen)
{
    b->netns = NETNS_HOST;
    if (!nss || json_is_null(nss))
        return 0;
    if (!json_is_array(nss))
        return errorf(err, errlen, "%s: linux.namespaces: expected an array", file);
    for (size_t i = 0; i < json_array_size(nss); i++) {
        json_t *ns = json_array_get(nss, i);
        const char *type = json_string_value(json_object_get(ns, "type"));
        if (!type)
            return errorf(err, errlen, "%s: linux.namespaces[%zu].type: expected a string", file,
                          i);
        if (strcmp(type, "network") != 0)
            continue; /* the guest is its own pid, mount, uts, ipc... namespace */
        const char *path = json_string_value(json_object_get(ns, "path"));
        b->netns = path && *path ? NETNS_PATH : NETNS_NEW;
        b->netns_path = path && *path ? xstrdup(path) : NULL;
    }
    return 0;
}

static int parse_root(json_t *doc, struct bundle *b, const char *file, char *err, size_t errlen)
{
    const char *root = json_string_value(json_object_get(json_object_get(doc, "root"), "path"));
    if (!root || !*root)
        return errorf(err, errlen, "%s: root.path: expected a path", file);
    b->rootfs = root[0] == '/' ? xstrdup(root) : xasprintf("%s/%s", b->dir, root);
    struct stat st;
    if (stat(b->rootfs, &st) != 0 || !S_ISDIR(st.st_mode))
        return errorf(err, errlen, "%s: root.path: %s is not a directory", file, b->rootfs);
    return 0;
}

static bool has_option(json_t *options, const char *want)
{
    size_t i;
    json_t *o;
    json_array_foreach(options, i, o)
    {
        if (json_is_string(o) && strcmp(json_string_value(o), want) == 0)
            return true;
    }
    return false;
}

/* Where engines mount their own things (the kernel's file systems, the
   container's identity files): none of those is the user's data. */
static bool engine_mount(const char *dest)
{
    static const char *const own[] = {
        "/proc", "/sys", "/dev", "/run", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf"};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        size_t n = strlen(own[i]);
        if (strncmp(dest, own[i], n) == 0 && (dest[n] == '\0' || dest[n] == '/'))
            return true;
    }
    return false;
}

/* A bind mount of a host folder (docker -v, podman -v, a pod's volume)
   becomes a volume the guest mounts (host/lib/volume.h). */
static void add_volume(struct bundle *b, const char *source, const char *dest, bool readonly)
{
    struct stat st;
    if (stat(source, &st) != 0 || !S_ISDIR(st.st_mode))
        return; /* a single file cannot be shared over 9P as a mount */
    b->volumes = realloc(b->volumes, (b->nvolumes + 1) * sizeof(*b->volumes));
    if (!b->volumes)
        abort();
    b->volumes[b->nvolumes++] =
        (struct volume){.source = xstrdup(source), .target = xstrdup(dest), .readonly = readonly};
}

/* The mounts: the resolv.conf the engine wrote for the container (the
   guest's resolver comes from it), and bind-mounted folders as volumes. */
static void parse_mounts(json_t *mounts, struct bundle *b)
{
    size_t i;
    json_t *m;
    json_array_foreach(mounts, i, m)
    {
        const char *dest = json_string_value(json_object_get(m, "destination"));
        const char *source = json_string_value(json_object_get(m, "source"));
        const char *type = json_string_value(json_object_get(m, "type"));
        json_t *options = json_object_get(m, "options");
        if (!dest || !source || dest[0] != '/')
            continue;
        if (strcmp(dest, "/etc/resolv.conf") == 0) {
            free(b->resolv_conf);
            b->resolv_conf = xstrdup(source);
        } else if (!engine_mount(dest) && source[0] == '/' &&
                   ((type && strcmp(type, "bind") == 0) || has_option(options, "bind") ||
                    has_option(options, "rbind"))) {
            add_volume(b, source, dest, has_option(options, "ro"));
        }
    }
}

static int parse_config(json_t *doc, struct bundle *b, const char *file, char *err, size_t errlen)
{
    if (!json_is_object(doc))
        return errorf(err, errlen, "%s: expected a JSON object", file);
    const char *version = json_string_value(json_object_get(doc, "ociVersion"));
    b->oci_version = xstrdup(version ? version : OCI_VERSION);
    const char *hostname = json_string_value(json_object_get(doc, "hostname"));
    b->hostname = hostname ? xstrdup(hostname) : NULL;
    json_t *ann = json_object_get(doc, "annotations");
    if (ann && !json_is_object(ann) && !json_is_null(ann))
        return errorf(err, errlen, "%s: annotations: expected an object", file);
    b->annotations = json_is_object(ann) ? json_incref(ann) : NULL;
    json_t *linux_ = json_object_get(doc, "linux");
    parse_mounts(json_object_get(doc, "mounts"), b);
    char why[512];
    if (volume_check_targets(b->volumes, b->nvolumes, why, sizeof(why)) < 0)
        return errorf(err, errlen, "%s: mounts: %s", file, why);
    if (parse_root(doc, b, file, err, errlen) < 0 ||
        parse_process(json_object_get(doc, "process"), b, file, err, errlen) < 0 ||
        parse_resources(json_object_get(linux_, "resources"), b, file, err, errlen) < 0 ||
        parse_namespaces(json_object_get(linux_, "namespaces"), b, file, err, errlen) < 0 ||
        parse_hooks(json_object_get(doc, "hooks"), b, file, err, errlen) < 0)
        return -1;
    return 0;
}

int bundle_load(const char *dir, struct bundle *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof(*b));
    char real[PATH_MAX];
    if (!realpath(dir, real))
        return errorf(err, errlen, "bundle %s: %s", dir, strerror(errno));
    b->dir = xstrdup(real);
    char *file = xasprintf("%s/config.json", b->dir);
    json_error_t jerr;
    json_t *doc = json_load_file(file, 0, &jerr);
    int rc;
    if (!doc && access(file, F_OK) != 0)
        rc = errorf(err, errlen, "%s: %s", file, strerror(errno));
    else if (!doc)
        rc = errorf(err, errlen, "%s: line %d: %s", file, jerr.line, jerr.text);
    else
        rc = parse_config(doc, b, file, err, errlen);
    json_decref(doc);
    free(file);
    if (rc < 0)
        bundle_free(b);
    return rc;
}

void bundle_free(struct bundle *b)
{
    free(b->dir);
    free(b->rootfs);
    free(b->oci_version);
    strv_free(b->args);
    strv_free(b->env);
    free(b->cwd);
    free(b->hostname);
    json_decref(b->annotations);
    for (int k = 0; k < HOOK_KINDS; k++) {
        for (size_t i = 0; i < b->hooks[k].n; i++) {
            free(b->hooks[k].v[i].path);
            strv_free(b->hooks[k].v[i].args);
            strv_free(b->hooks[k].v[i].env);
        }
        free(b->hooks[k].v);
    }
    free(b->netns_path);
    free(b->resolv_conf);
    volume_free_all(b->volumes, b->nvolumes);
    memset(b, 0, sizeof(*b));
}

static bool rootfs_is_unikit(const char *rootfs)
{
    char *elf = xasprintf("%s/" UNIKIT_IMAGE_ELF, rootfs);
    struct stat st;
    bool yes = stat(elf, &st) == 0 && S_ISREG(st.st_mode);
    free(elf);
    return yes;
}

bool bundle_is_unikit(const struct bundle *b)
{
    return rootfs_is_unikit(b->rootfs);
}

int bundle_peek_unikit(const char *dir)
{
    char *file = xasprintf("%s/config.json", dir);
    json_t *doc = json_load_file(file, 0, NULL);
    const char *root = json_string_value(json_object_get(json_object_get(doc, "root"), "path"));
    int rc = -1;
    if (root && *root) {
        char *rootfs = root[0] == '/' ? xstrdup(root) : xasprintf("%s/%s", dir, root);
        struct stat st;
        if (stat(rootfs, &st) == 0 && S_ISDIR(st.st_mode))
            rc = rootfs_is_unikit(rootfs);
        free(rootfs);
    }
    json_decref(doc);
    free(file);
    return rc;
}
