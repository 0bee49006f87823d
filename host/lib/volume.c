#include "volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "instance.h"

#define VOLUME_TAG "vol%zu"

/* ---- -v specs --------------------------------------------------------------- */

bool volume_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128 ||
        !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", name[0]))
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The guest path without doubled or trailing slashes; NULL (with err) when
   it is not absolute, is the root, or has "." or ".." in it. */
static char *clean_target(const char *spec, const char *target, char *err, size_t errlen)
{
    if (target[0] != '/') {
        errorf(err, errlen, "-v '%s': the guest path '%s' is not absolute", spec, target);
        return NULL;
    }
    char *out = xcalloc(strlen(target) + 1, 1);
    size_t n = 0;
    for (const char *p = target; *p;) {
        while (*p == '/')
            p++;
        size_t len = strcspn(p, "/");
        if (len == 0)
            break;
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
            free(out);
            errorf(err, errlen, "-v '%s': the guest path '%s' has '.' or '..' in it", spec, target);
            return NULL;
        }
        out[n++] = '/';
        memcpy(out + n, p, len);
        n += len;
        p += len;
    }
    if (n == 0) {
        free(out);
        errorf(err, errlen, "-v '%s': a volume cannot be mounted on the guest's root", spec);
        return NULL;
    }
    return out;
}

/* The host folder, as an absolute path; NULL (with err) unless it is a folder
   QEMU can share as asked. */
static char *host_folder(const char *spec, const char *path, bool readonly, char *err,
                         size_t errlen)
{
    char *real = realpath(path, NULL);
    struct stat st;
    if (!real || stat(real, &st) != 0) {
        errorf(err, errlen, "-v '%s': the host path '%s' does not exist", spec, path);
        free(real);
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        errorf(err, errlen, "-v '%s': the host path '%s' is not a folder", spec, path);
        free(real);
        return NULL;
    }
    if (!readonly && access(real, W_OK) != 0) {
        errorf(err, errlen, "-v '%s': the host folder '%s' is read-only (%s); add :ro", spec, path,
               strerror(errno));
        free(real);
        return NULL;
    }
    return real;
}

/* SOURCE, TARGET and the mode, split at ':'; -1 when the spec has not 2 or 3 parts. */
static int split_spec(const char *spec, char **source, char **target, char **mode)
{
    char *copy = xstrdup(spec);
    char *parts[4] = {0};
    size_t n = 0;
    for (char *p = copy, *colon; n < 4; p = colon + 1) {
        parts[n++] = p;
        if (!(colon = strchr(p, ':')))
            break;
        *colon = '\0';
    }
    bool ok = (n == 2 || n == 3) && parts[0][0] && parts[1][0];
    if (ok) {
        *source = xstrdup(parts[0]);
        *target = xstrdup(parts[1]);
        *mode = xstrdup(n == 3 ? parts[2] : "rw");
    }
    free(copy);
    return ok ? 0 : -1;
}

int volume_parse(const char *home, const char *spec, struct volume *out, char *err, size_t errlen)
{
    char *source, *target, *mode;
    *out = (struct volume){0};
    if (split_spec(spec, &source, &target, &mode) < 0)
        return errorf(err, errlen, "-v '%s': expected HOST_PATH:GUEST_PATH[:ro] or NAME:GUEST_PATH",
                      spec);
    int rc = -1;
    if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0) {
        errorf(err, errlen, "-v '%s': the mode '%s' is neither ro nor rw", spec, mode);
        goto out;
    }
    out->readonly = strcmp(mode, "ro") == 0;
    if (!(out->target = clean_target(spec, target, err, errlen)))
        goto out;
    if (source[0] == '/' || source[0] == '.') {
        out->source = host_folder(spec, source, out->readonly, err, errlen);
    } else if (!volume_name_valid(source)) {
        errorf(err, errlen,
               "-v '%s': '%s' is neither a host path (absolute, or starting with ./) nor a "
               "volume name",
               spec, source);
    } else if (volume_create(home, source, err, errlen) >= 0) {
        out->name = xstrdup(source);
        out->source = volume_data_dir(home, source);
    }
    rc = out->source ? 0 : -1;
out:
    if (rc < 0)
        volume_free(out);
    free(source);
    free(target);
    free(mode);
    return rc;
}

int volume_check_targets(const struct volume *v, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(v[i].target, v[j].target) == 0)
                return errorf(err, errlen, "-v: two volumes on the mount point %s", v[i].target);
    return 0;
}

char *volume_spec(const struct volume *v)
{
    return xasprintf("%s:%s:%s", v->name ? v->name : v->source, v->target,
                     v->readonly ? "ro" : "rw");
}

void volume_free(struct volume *v)
{
    free(v->source);
    free(v->target);
    free(v->name);
    *v = (struct volume){0};
}

/* ---- QEMU and the kernel ------------------------------------------------------ */

/* QEMU's option syntax: a comma in a value is written twice. */
static char *option_escaped(const char *s)
{
    char *out = xcalloc(2 * strlen(s) + 1, 1), *o = out;
    for (; *s; s++) {
        *o++ = *s;
        if (*s == ',')
            *o++ = ',';
    }
    return out;
}

/*
 * security_model=passthrough: files are created with the guest's modes
 * and then given the owner the kernel asks for (unikit passes the user
 * who ran `unikit run`), so a host folder keeps its user's ownership;
 * run as root, files are root's, as with docker.
 */
void volume_qemu_args(struct strvec *a, const struct volume *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *path = option_escaped(v[i].source);
        strvec_push(a, "-fsdev");
        strvec_pushf(a, "local,id=fs%zu,path=%s,security_model=passthrough%s", i, path,
                     v[i].readonly ? ",readonly=on" : "");
        strvec_push(a, "-device");
        strvec_pushf(a, "virtio-9p-device,fsdev=fs%zu,mount_tag=" VOLUME_TAG, i, i);
        free(path);
    }
}

char *volume_cmdline(const struct volume *v, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, " unikit.vol=" VOLUME_TAG ":", i);
        for (const unsigned char *p = (const unsigned char *)v[i].target; *p; p++) {
            if (*p <= ' ' || *p == '%' || *p == '"' || *p == ':' || *p >= 0x7f)
                fprintf(f, "%%%02X", *p);
            else
                fputc(*p, f);
        }
        fprintf(f, ":%s:%u:%u", v[i].readonly ? "ro" : "rw", (unsigned)getuid(),
                (unsigned)getgid());
    }
    fclose(f);
    return buf;
}

/* ---- named volumes ----------------------------------------------------------- */

char *volume_dir(const char *home, const char *name)
{
    return xasprintf("%s/volumes/%s", home, name);
}

char *volume_data_dir(const char *home, const char *name)
{
    return xasprintf("%s/volumes/%s/_data", home, name);
}

static int write_meta(const char *dir, const char *name)
{
    char when[64];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    instance_format_time(&now, when, sizeof(when));
    json_t *j = json_pack("{s:s, s:s}", "Name", name, "CreatedAt", when);
    char *path = xasprintf("%s/volume.json", dir);
    int rc = j ? json_dump_file(j, path, JSON_INDENT(2)) : -1;
    json_decref(j);
    free(path);
    return rc;
}

int volume_create(const char *home, const char *name, char *err, size_t errlen)
{
    if (!volume_name_valid(name))
        return errorf(err, errlen,
                      "'%s' is not a valid volume name (letters, digits, '_', '.', '-')", name);
    char *top = xasprintf("%s/volumes", home);
    char *dir = volume_dir(home, name), *data = volume_data_dir(home, name);
    int rc = 0;
    if (mkdir_p(top, 0755) != 0) {
        rc = errorf(err, errlen, "cannot create %s: %s", top, strerror(errno));
    } else if (mkdir(dir, 0755) != 0) {
        if (errno == EEXIST && mkdir_p(data, 0755) == 0)
            rc = 1;
        else
            rc = errorf(err, errlen, "cannot create volume %s in %s: %s", name, dir,
                        strerror(errno));
    } else if (mkdir(data, 0755) != 0 || write_meta(dir, name) != 0) {
        rc = errorf(err, errlen, "cannot create volume %s in %s: %s", name, dir, strerror(errno));
        remove_tree(dir);
    }
    free(top);
    free(dir);
    free(data);
    return rc;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **volume_names(const char *home)
{
    char *top = xasprintf("%s/volumes", home);
    DIR *d = opendir(top);
    size_t n = 0, cap = 8;
    char **names = xcalloc(cap + 1, sizeof(char *));
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!volume_name_valid(e->d_name))
            continue;
        if (n == cap) {
            names = realloc(names, (2 * cap + 1) * sizeof(char *));
            if (!names)
                abort();
            cap *= 2;
        }
        names[n++] = xstrdup(e->d_name);
    }
    names[n] = NULL;
    if (d)
        closedir(d);
    free(top);
    qsort(names, n, sizeof(char *), compare_names);
    return names;
}

static bool uses(const struct instance *inst, const char *name)
{
    size_t len = strlen(name);
    for (char **v = inst->config.volumes; v && *v; v++)
        if (strncmp(*v, name, len) == 0 && (*v)[len] == ':')
            return true;
    return false;
}

char *volume_user(const char *home, const char *name)
{
    struct instance *list;
    size_t count;
    char err[256];
    char *user = NULL;
    if (instance_list(home, &list, &count, err, sizeof(err)) < 0)
        return NULL;
    for (size_t i = 0; i < count && !user; i++) {
        instance_refresh(&list[i]);
        if (instance_active(&list[i]) && uses(&list[i], name))
            user = xasprintf("%s (%.12s)", list[i].name, list[i].id);
    }
    instance_list_free(list, count);
    return user;
}

/* ---- a run's volumes ----------------------------------------------------------- */

int volume_parse_all(const char *home, char **specs, struct volume **out, size_t *n, char *err,
                     size_t errlen)
{
    size_t count = 0;
    while (specs && specs[count])
        count++;
    struct volume *v = xcalloc(count + 1, sizeof(*v));
    for (size_t i = 0; i < count; i++) {
        if (volume_parse(home, specs[i], &v[i], err, errlen) < 0) {
            volume_free_all(v, i);
            return -1;
        }
    }
    if (volume_check_targets(v, count, err, errlen) < 0) {
        volume_free_all(v, count);
        return -1;
    }
    *out = v;
    *n = count;
    return 0;
}

/* Whether path is folder or lies inside it. */
static bool path_within(const char *path, const char *folder)
{
    size_t n = strlen(folder);
    return strncmp(path, folder, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool covered(const char *declared, const struct volume *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (path_within(declared, v[i].target) || path_within(v[i].target, declared))
            return true;
    return false;
}

/* 64 hex digits, as docker names its anonymous volumes. */
static int random_name(char name[65])
{
    unsigned char raw[32];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, raw, sizeof(raw)) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof(raw))
        return -1;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(name + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Makes one anonymous volume for target and appends it to *v. */
static int add_one_anonymous(const char *home, const char *target, struct volume **v, size_t *n,
                             char *err, size_t errlen)
{
    char name[65];
    if (random_name(name) < 0)
        return errorf(err, errlen, "cannot read /dev/urandom for a volume name");
    if (volume_create(home, name, err, errlen) < 0)
        return -1;
    struct volume *grown = realloc(*v, (*n + 2) * sizeof(**v));
    if (!grown) {
        perror("unikit");
        abort();
    }
    grown[*n] = (struct volume){.source = volume_data_dir(home, name),
                                .target = xstrdup(target),
                                .name = xstrdup(name),
                                .anonymous = true};
    grown[*n + 1] = (struct volume){0};
    *v = grown;
    (*n)++;
    return 0;
}

int volume_add_anonymous(const char *home, char **declared, struct volume **v, size_t *n, char *err,
                         size_t errlen)
{
    size_t given = *n;
    for (size_t i = 0; declared && declared[i]; i++) {
        if (covered(declared[i], *v, given))
            continue;
        if (add_one_anonymous(home, declared[i], v, n, err, errlen) < 0) {
            volume_remove_anonymous(home, *v, *n);
            return -1;
        }
    }
    return 0;
}

char **volume_anonymous_dirs(const char *home, const struct volume *v, size_t n)
{
    char **dirs = NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].anonymous)
            continue;
        if (!dirs)
            dirs = xcalloc(n + 1, sizeof(char *));
        dirs[k++] = volume_dir(home, v[i].name);
    }
    return dirs;
}

void volume_remove_anonymous(const char *home, const struct volume *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!v[i].anonymous)
            continue;
        char *dir = volume_dir(home, v[i].name);
        remove_tree(dir);
        free(dir);
    }
}

void volume_free_all(struct volume *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        volume_free(&v[i]);
    free(v);
}

char **volume_specs(const struct volume *v, size_t n)
{
    char **out = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        out[i] = volume_spec(&v[i]);
    return out;
}

/* ---- what ps and inspect show ---------------------------------------------------- */

json_t *volume_mounts_json(const char *home, char **specs)
{
    json_t *a = json_array();
    for (size_t i = 0; specs && specs[i]; i++) {
        char *source, *target, *mode;
        if (split_spec(specs[i], &source, &target, &mode) < 0)
            continue;
        bool named = source[0] != '/';
        char *path = named ? volume_data_dir(home, source) : xstrdup(source);
        json_t *m =
            json_pack("{s:s, s:s, s:s, s:s, s:b}", "Type", named ? "volume" : "bind", "Source",
                      path, "Destination", target, "Mode", mode, "RW", strcmp(mode, "rw") == 0);
        if (m && named)
            json_object_set_new(m, "Name", json_string(source));
        if (m)
            json_array_append_new(a, m);
        free(path);
        free(source);
        free(target);
        free(mode);
    }
    return a;
}

char *volume_mounts_text(char **specs)
{
    char *text = xstrdup("");
    for (size_t i = 0; specs && specs[i]; i++) {
        size_t len = strcspn(specs[i], ":");
        char *next = xasprintf("%s%s%.*s", text, i ? "," : "", (int)len, specs[i]);
        free(text);
        text = next;
    }
    return text;
}
