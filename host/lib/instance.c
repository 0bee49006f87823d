#include "instance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define JSON_FLAGS (JSON_INDENT(2) | JSON_SORT_KEYS)

/* ---- small helpers -------------------------------------------------------- */

static char *instances_dir(const char *home)
{
    return xasprintf("%s/instances", home);
}

const char *instance_status_name(enum instance_status s)
{
    switch (s) {
    case INSTANCE_RUNNING:
        return "running";
    case INSTANCE_EXITED:
        return "exited";
    default:
        return "created";
    }
}

static enum instance_status parse_status(const char *s)
{
    if (s && strcmp(s, "running") == 0)
        return INSTANCE_RUNNING;
    if (s && strcmp(s, "exited") == 0)
        return INSTANCE_EXITED;
    return INSTANCE_CREATED;
}

void instance_format_time(const struct timespec *t, char *buf, size_t len)
{
    if (t->tv_sec == 0)
        snprintf(buf, len, "%s", "");
    else
        utc_format_ns(t, buf, len);
}

static struct timespec parse_time(const char *s)
{
    struct timespec t = {0};
    struct tm tm = {0};
    long nsec = 0;
    if (!s || !*s)
        return t;
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest)
        return t;
    if (*rest == '.')
        sscanf(rest + 1, "%9ld", &nsec);
    t.tv_sec = utc_from_tm(&tm);
    t.tv_nsec = nsec;
    return t;
}

static json_t *time_json(const struct timespec *t)
{
    char buf[64];
    instance_format_time(t, buf, sizeof(buf));
    return *buf ? json_string(buf) : json_null();
}

static json_t *strv_json(char **v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static char **json_strv(json_t *a)
{
    size_t n = json_is_array(a) ? json_array_size(a) : 0;
    char **v = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0, j = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s)
            v[j++] = xstrdup(s);
    }
    return v;
}

static char **strv_dup(char **v)
{
    size_t n = strv_len(v);
    char **d = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        d[i] = xstrdup(v[i]);
    return d;
}

static char *json_str_dup(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? xstrdup(s) : NULL;
}

/* Never NULL, so callers can print it. */
static char *json_str_or_empty(json_t *obj, const char *key)
{
    char *s = json_str_dup(obj, key);
    return s ? s : xstrdup("");
}

static long long json_int(json_t *obj, const char *key)
{
    return json_integer_value(json_object_get(obj, key));
}

/* ---- atomic JSON files ------------------------------------------------------ */

/* As store.c does: the folder's own fsync makes a rename into it durable. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/*
 * The new file in place of the old. A file that need not survive a crash
 * trades places with the old one (RENAME_EXCHANGE), which is as atomic for
 * readers: ext4 writes out a file renamed over another at once (so that a
 * crash cannot leave it empty), and the run then waits for that write and
 * for freeing its blocks again when the folder goes, 0.4 ms a run here.
 */
static int replace(const char *tmp, const char *path, bool durable)
{
    if (!durable && renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
        unlink(tmp); /* the old state; where it stayed, the folder's removal takes it */
        return 0;
    }
    return rename(tmp, path); /* a first write, or a file system without the exchange */
}

/*
 * Temporary file in the same folder, then rename: readers never see half a
 * file. A durable file is also fsynced, and its folder after the rename.
 */
static int write_json_atomic(const char *dir, const char *name, json_t *j, bool durable)
{
    char *text = json_dumps(j, JSON_FLAGS);
    char *tmp = xasprintf("%s/.%s.XXXXXX", dir, name);
    char *path = xasprintf("%s/%s", dir, name);
    int rc = -1;
    int fd = text ? mkstemp(tmp) : -1;
    if (fd >= 0) {
        bool ok = write_all(fd, text, strlen(text)) == 0 && write_all(fd, "\n", 1) == 0 &&
                  fchmod(fd, 0644) == 0 && (!durable || fsync(fd) == 0);
        close(fd);
        rc = ok && replace(tmp, path, durable) == 0 ? 0 : -1;
        if (rc < 0)
            unlink(tmp);
        else if (durable) /* the rename itself, so a crash cannot bring the old state back */
            sync_dir(dir);
    }
    free(text);
    free(tmp);
    free(path);
    return rc;
}

static json_t *read_json(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s", dir, name);
    json_t *j = json_load_file(path, 0, NULL);
    free(path);
    return j;
}

/* ---- config.json and state.json ---------------------------------------------- */

static json_t *config_json(const struct instance *inst)
{
    const struct instance_config *c = &inst->config;
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(inst->id));
    json_object_set_new(j, "name", json_string(inst->name));
    json_object_set_new(j, "created", time_json(&inst->created));
    json_object_set_new(j, "image", json_string(c->image ? c->image : ""));
    json_object_set_new(j, "image_digest", json_string(c->image_digest ? c->image_digest : ""));
    json_object_set_new(j, "arch", json_string(c->arch ? c->arch : ""));
    json_object_set_new(j, "cmd", strv_json(c->cmd));
    json_object_set_new(j, "env", strv_json(c->env));
    json_object_set_new(j, "ports", strv_json(c->ports));
    json_object_set_new(j, "publish", strv_json(c->publish));
    json_object_set_new(j, "volumes", strv_json(c->volumes));
    json_object_set_new(j, "anonymous_volumes", strv_json(c->anonymous_volumes));
    json_object_set_new(j, "ip", c->ip ? json_string(c->ip) : json_null());
    json_object_set_new(j, "memory", json_integer((json_int_t)c->memory));
    json_object_set_new(j, "cpus", json_integer((json_int_t)c->cpus));
    json_object_set_new(j, "accel", c->accel ? json_string(c->accel) : json_null());
    json_object_set_new(j, "accel_why", c->accel_why ? json_string(c->accel_why) : json_null());
    json_object_set_new(j, "auto_remove", json_boolean(c->auto_remove));
    json_object_set_new(j, "detach", json_boolean(c->detach));
    return j;
}

static void config_from_json(json_t *j, struct instance *inst)
{
    struct instance_config *c = &inst->config;
    inst->name = json_str_or_empty(j, "name");
    inst->created = parse_time(json_string_value(json_object_get(j, "created")));
    c->image = json_str_or_empty(j, "image");
    c->image_digest = json_str_or_empty(j, "image_digest");
    c->arch = json_str_or_empty(j, "arch");
    c->cmd = json_strv(json_object_get(j, "cmd"));
    c->env = json_strv(json_object_get(j, "env"));
    c->ports = json_strv(json_object_get(j, "ports"));
    c->publish = json_strv(json_object_get(j, "publish"));
    c->volumes = json_strv(json_object_get(j, "volumes"));
    c->anonymous_volumes = json_strv(json_object_get(j, "anonymous_volumes"));
    c->ip = json_str_dup(j, "ip");
    c->memory = (uint64_t)json_int(j, "memory");
    c->cpus = (unsigned)json_int(j, "cpus");
    c->accel = json_str_dup(j, "accel");
    c->accel_why = json_str_dup(j, "accel_why");
    c->auto_remove = json_is_true(json_object_get(j, "auto_remove"));
    c->detach = json_is_true(json_object_get(j, "detach"));
}

static json_t *state_json(const struct instance_state *s)
{
    json_t *j = json_object();
    json_object_set_new(j, "status", json_string(instance_status_name(s->status)));
    json_object_set_new(j, "supervisor_pid", json_integer(s->supervisor_pid));
    json_object_set_new(j, "supervisor_start", json_integer((json_int_t)s->supervisor_start));
    json_object_set_new(j, "qemu_pid", json_integer(s->qemu_pid));
    json_object_set_new(j, "qemu_start", json_integer((json_int_t)s->qemu_start));
    json_object_set_new(j, "exit_code",
                        s->status == INSTANCE_EXITED ? json_integer(s->exit_code) : json_null());
    json_object_set_new(j, "started_at", time_json(&s->started));
    json_object_set_new(j, "finished_at", time_json(&s->finished));
    json_object_set_new(j, "error", s->error ? json_string(s->error) : json_null());
    return j;
}

static void state_from_json(json_t *j, struct instance_state *s)
{
    free(s->error);
    *s = (struct instance_state){0};
    s->status = parse_status(json_string_value(json_object_get(j, "status")));
    s->supervisor_pid = (pid_t)json_int(j, "supervisor_pid");
    s->supervisor_start = (unsigned long long)json_int(j, "supervisor_start");
    s->qemu_pid = (pid_t)json_int(j, "qemu_pid");
    s->qemu_start = (unsigned long long)json_int(j, "qemu_start");
    json_t *code = json_object_get(j, "exit_code");
    s->exit_code = json_is_integer(code) ? (int)json_integer_value(code) : INSTANCE_EXIT_UNKNOWN;
    s->started = parse_time(json_string_value(json_object_get(j, "started_at")));
    s->finished = parse_time(json_string_value(json_object_get(j, "finished_at")));
    s->error = json_str_dup(j, "error");
}

/*
 * A foreground --rm instance is deleted when its run ends, and a crash of
 * the host ends the run too: what it leaves is removed as any stale
 * instance is. Its files need to be whole for ps and a concurrent stop,
 * not to survive a crash, so they are not synced (six fsyncs a run).
 */
static bool durable(const struct instance *inst)
{
    return !inst->config.auto_remove || inst->config.detach;
}

int instance_save_state(const struct instance *inst)
{
    json_t *j = state_json(&inst->state);
    int rc = write_json_atomic(inst->dir, "state.json", j, durable(inst));
    json_decref(j);
    return rc;
}

/* Reads ID's folder; -1 when it is not (or not yet) a whole instance. */
static int instance_load(const char *idir, const char *id, struct instance *out)
{
    *out = (struct instance){0};
    if (strlen(id) != INSTANCE_ID_LEN)
        return -1;
    memcpy(out->id, id, INSTANCE_ID_LEN + 1);
    out->dir = xasprintf("%s/%s", idir, id);
    json_t *config = read_json(out->dir, "config.json");
    json_t *state = read_json(out->dir, "state.json");
    if (!config || !state) {
        json_decref(config);
        json_decref(state);
        instance_free(out);
        return -1;
    }
    config_from_json(config, out);
    state_from_json(state, &out->state);
    json_decref(config);
    json_decref(state);
    return 0;
}

/* ---- ids and names ---------------------------------------------------------- */

static int new_id(char id[INSTANCE_ID_LEN + 1])
{
    unsigned char raw[INSTANCE_ID_LEN / 2];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, raw, sizeof(raw)) : -1;
    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof(raw))
        return -1;
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* Names as docker accepts them: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters. */
static bool valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 128 ||
        !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", name[0]))
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* adjective_noun from the id's own random bytes, so no second random source. */
static char *generated_name(const char *id, unsigned attempt)
{
    static const char *const adjectives[] = {"brisk",  "calm",   "clever", "eager", "fuzzy",
                                             "gentle", "happy",  "jolly",  "keen",  "lucid",
                                             "mellow", "nimble", "plucky", "quiet", "rapid",
                                             "sunny",  "tidy",   "vivid",  "witty", "zesty"};
    static const char *const nouns[] = {"badger", "comet",  "falcon",  "gecko",  "harbor",
                                        "island", "kernel", "lantern", "meadow", "nebula",
                                        "otter",  "pebble", "quartz",  "raven",  "summit",
                                        "tundra", "vertex", "walrus",  "yak",    "zephyr"};
    unsigned long bits = 0;
    sscanf(id, "%6lx", &bits);
    bits += attempt * 7919UL;
    size_t na = sizeof(adjectives) / sizeof(adjectives[0]), nn = sizeof(nouns) / sizeof(nouns[0]);
    const char *adj = adjectives[bits % na], *noun = nouns[(bits / na) % nn];
    /* Past the easy attempts, a number keeps the search short. */
    if (attempt < 8)
        return xasprintf("%s_%s", adj, noun);
    return xasprintf("%s_%s_%u", adj, noun, attempt);
}

/* The instance using name, as a short id; NULL if none. */
static char *name_owner(struct instance *list, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (list[i].name && strcmp(list[i].name, name) == 0)
            return xasprintf("%.*s", INSTANCE_SHORT_LEN, list[i].id);
    return NULL;
}

static char *pick_name(struct instance *list, size_t count, const char *id)
{
    for (unsigned attempt = 0;; attempt++) {
        char *name = generated_name(id, attempt);
        char *owner = name_owner(list, count, name);
        if (!owner)
            return name;
        free(owner);
        free(name);
    }
}

/* ---- create, list, find --------------------------------------------------------- */

/*
 * The folder of the last instance removed, emptied and kept under a dot
 * name (list skips it) for the next one to take by rename: ext4 takes 0.1 to
 * 1 ms to give a new folder its block and to free it again, on every run.
 */
#define SPARE_FOLDER ".spare"

/* name beside the instance folder dir, in the instances folder. */
static char *beside(const char *dir, const char *name)
{
    const char *slash = strrchr(dir, '/');
    return slash ? xasprintf("%.*s/%s", (int)(slash - dir), dir, name) : xstrdup(name);
}

/* The spare folder if there is one (renames cannot take the same one twice), else a new one. */
static int make_instance_folder(const char *dir)
{
    char *spare = beside(dir, SPARE_FOLDER);
    int rc =
        renameat2(AT_FDCWD, spare, AT_FDCWD, dir, RENAME_NOREPLACE) == 0 ? 0 : mkdir(dir, 0755);
    free(spare);
    return rc;
}

/* An emptied folder becomes the spare, unless there is one already. */
static int retire_folder(const char *doomed)
{
    if (empty_tree(doomed) < 0)
        return -1;
    char *spare = beside(doomed, SPARE_FOLDER);
    int rc =
        renameat2(AT_FDCWD, doomed, AT_FDCWD, spare, RENAME_NOREPLACE) == 0 ? 0 : rmdir(doomed);
    free(spare);
    return rc;
}

/* Held while a name is checked and claimed, so two runs cannot take the same one. */
static int lock_instances(const char *idir)
{
    char *path = xasprintf("%s/.lock", idir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    free(path);
    if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int write_new(struct instance *inst, char *err, size_t errlen)
{
    if (make_instance_folder(inst->dir) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", inst->dir, strerror(errno));
        return -1;
    }
    char *log = instance_log_path(inst);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    free(log);
    if (fd >= 0)
        close(fd);
    json_t *config = config_json(inst);
    /* state.json last: an instance without it is not listed yet. */
    int rc = write_json_atomic(inst->dir, "config.json", config, durable(inst)) < 0 || fd < 0
                 ? -1
                 : instance_save_state(inst);
    json_decref(config);
    if (rc < 0) {
        snprintf(err, errlen, "cannot write the state of instance %s in %s: %s", inst->id,
                 inst->dir, strerror(errno));
        remove_tree(inst->dir);
    }
    return rc;
}

static void copy_config(struct instance_config *d, const struct instance_config *s)
{
    d->image = s->image ? xstrdup(s->image) : NULL;
    d->image_digest = s->image_digest ? xstrdup(s->image_digest) : NULL;
    d->arch = s->arch ? xstrdup(s->arch) : NULL;
    d->cmd = strv_dup(s->cmd);
    d->env = strv_dup(s->env);
    d->ports = strv_dup(s->ports);
    d->publish = strv_dup(s->publish);
    d->volumes = strv_dup(s->volumes);
    d->anonymous_volumes = strv_dup(s->anonymous_volumes);
    d->ip = s->ip ? xstrdup(s->ip) : NULL;
    d->memory = s->memory;
    d->cpus = s->cpus;
    d->accel = s->accel ? xstrdup(s->accel) : NULL;
    d->accel_why = s->accel_why ? xstrdup(s->accel_why) : NULL;
    d->auto_remove = s->auto_remove;
    d->detach = s->detach;
}

static int claim_name(const char *home, const char *name, struct instance *inst, char *err,
                      size_t errlen)
{
    struct instance *list = NULL;
    size_t count = 0;
    if (instance_list(home, &list, &count, err, errlen) < 0)
        return -1;
    char *owner = name ? name_owner(list, count, name) : NULL;
    if (owner)
        snprintf(err, errlen, "the name '%s' is already in use by instance %s", name, owner);
    else
        inst->name = name ? xstrdup(name) : pick_name(list, count, inst->id);
    free(owner);
    instance_list_free(list, count);
    return inst->name ? 0 : -1;
}

int instance_create(const char *home, const char *name, const struct instance_config *cfg,
                    struct instance *out, char *err, size_t errlen)
{
    *out = (struct instance){0};
    if (name && !valid_name(name)) {
        snprintf(err, errlen,
                 "--name '%s': use letters, digits, '_', '.' and '-', "
                 "starting with a letter or digit",
                 name);
        return -1;
    }
    char *idir = instances_dir(home);
    int lock = mkdir_p(idir, 0755) == 0 ? lock_instances(idir) : -1;
    int rc = -1;
    if (lock < 0) {
        snprintf(err, errlen, "cannot use %s: %s", idir, strerror(errno));
    } else if (new_id(out->id) < 0) {
        snprintf(err, errlen, "cannot read /dev/urandom for an instance id");
    } else if (claim_name(home, name, out, err, errlen) == 0) {
        out->dir = xasprintf("%s/%s", idir, out->id);
        clock_gettime(CLOCK_REALTIME, &out->created);
        copy_config(&out->config, cfg);
        out->state.exit_code = INSTANCE_EXIT_UNKNOWN;
        /* The creator supervises until it says otherwise; if it dies, refresh can tell. */
        out->state.supervisor_pid = getpid();
        out->state.supervisor_start = instance_proc_start(out->state.supervisor_pid);
        rc = write_new(out, err, errlen);
    }
    if (lock >= 0)
        close(lock);
    if (rc < 0)
        instance_free(out);
    free(idir);
    return rc;
}

static int newest_first(const void *a, const void *b)
{
    const struct instance *x = a, *y = b;
    if (x->created.tv_sec != y->created.tv_sec)
        return x->created.tv_sec < y->created.tv_sec ? 1 : -1;
    if (x->created.tv_nsec != y->created.tv_nsec)
        return x->created.tv_nsec < y->created.tv_nsec ? 1 : -1;
    return strcmp(x->id, y->id);
}

int instance_list(const char *home, struct instance **out, size_t *count, char *err, size_t errlen)
{
    char *idir = instances_dir(home);
    DIR *d = opendir(idir);
    *out = NULL, *count = 0;
    if (!d) {
        int e = errno;
        free(idir);
        if (e == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot read %s/instances: %s", home, strerror(e));
        return -1;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            *out = realloc(*out, cap * sizeof(**out));
            if (!*out)
                abort();
        }
        if (instance_load(idir, e->d_name, &(*out)[*count]) == 0)
            (*count)++;
    }
    closedir(d);
    free(idir);
    if (*count > 1)
        qsort(*out, *count, sizeof(**out), newest_first);
    return 0;
}

/* Exact id, then exact name, then a unique prefix of an id, as docker resolves them. */
static ssize_t match(struct instance *list, size_t count, const char *key, char *err, size_t errlen)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i].id, key) == 0)
            return (ssize_t)i;
    for (size_t i = 0; i < count; i++)
        if (list[i].name && strcmp(list[i].name, key) == 0)
            return (ssize_t)i;
    ssize_t found = -1;
    size_t n = strlen(key), matches = 0;
    for (size_t i = 0; n > 0 && i < count; i++)
        if (strncmp(list[i].id, key, n) == 0)
            found = (ssize_t)i, matches++;
    if (matches > 1) {
        snprintf(err, errlen, "'%s' matches %zu instances; give more of the id", key, matches);
        return -1;
    }
    if (found < 0)
        snprintf(err, errlen, "no such instance: '%s'", key);
    return found;
}

int instance_find(const char *home, const char *key, struct instance *out, char *err, size_t errlen)
{
    struct instance *list = NULL;
    size_t count = 0;
    *out = (struct instance){0};
    if (instance_list(home, &list, &count, err, errlen) < 0)
        return -1;
    ssize_t i = match(list, count, key, err, errlen);
    if (i >= 0) {
        *out = list[i];
        list[i] = (struct instance){0};
    }
    instance_list_free(list, count);
    return i >= 0 ? 0 : -1;
}

/* ---- liveness ----------------------------------------------------------------- */

unsigned long long instance_proc_start(pid_t pid)
{
    if (pid <= 0)
        return 0;
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields follow the last ')'. */
    char *p = strrchr(buf, ')');
    char state;
    unsigned long long start;
    if (!p || sscanf(p + 2,
                     "%c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s "
                     "%*s %*s %llu",
                     &state, &start) != 2)
        return 0;
    return state == 'Z' || state == 'X' ? 0 : start;
}

static bool same_process(pid_t pid, unsigned long long start)
{
    return pid > 0 && start != 0 && instance_proc_start(pid) == start;
}

bool instance_supervisor_alive(const struct instance *inst)
{
    return same_process(inst->state.supervisor_pid, inst->state.supervisor_start);
}

bool instance_qemu_alive(const struct instance *inst)
{
    return same_process(inst->state.qemu_pid, inst->state.qemu_start);
}

bool instance_signal_supervisor(const struct instance *inst, int sig)
{
    return instance_supervisor_alive(inst) && kill(inst->state.supervisor_pid, sig) == 0;
}

bool instance_signal_qemu(const struct instance *inst, int sig)
{
    return instance_qemu_alive(inst) && kill(inst->state.qemu_pid, sig) == 0;
}

bool instance_active(const struct instance *inst)
{
    return inst->state.status == INSTANCE_RUNNING || inst->state.status == INSTANCE_CREATED;
}

void instance_refresh(struct instance *inst)
{
    json_t *j = read_json(inst->dir, "state.json");
    if (j)
        state_from_json(j, &inst->state);
    json_decref(j);
    if (!instance_active(inst) || instance_supervisor_alive(inst))
        return;
    /* It may have recorded the exit between the two reads. */
    j = read_json(inst->dir, "state.json");
    if (j)
        state_from_json(j, &inst->state);
    json_decref(j);
    if (!instance_active(inst) || instance_supervisor_alive(inst))
        return;
    inst->state.status = INSTANCE_EXITED;
    inst->state.exit_code = INSTANCE_EXIT_UNKNOWN;
    inst->state.error = xasprintf("its supervisor (pid %d) ended without recording an exit",
                                  (int)inst->state.supervisor_pid);
}

bool instance_wait_exit(struct instance *inst, double seconds)
{
    struct timespec step = {0, 20 * 1000 * 1000};
    for (double waited = 0;; waited += 0.02) {
        if (access(inst->dir, F_OK) != 0)
            return true;
        instance_refresh(inst);
        if (!instance_active(inst))
            return true;
        if (waited >= seconds)
            return false;
        nanosleep(&step, NULL);
    }
}

/* How long kill waits for the supervisor to record the exit. */
#define KILL_WAIT_SECONDS 10.0

bool instance_kill(struct instance *inst)
{
    instance_refresh(inst);
    if (!instance_active(inst)) {
        instance_signal_qemu(inst, SIGKILL);
        return true;
    }
    /*
     * Never SIGKILL the supervisor: it would die before recording the exit
     * (137) or honouring --rm. Without a QEMU yet, its stop handler kills
     * QEMU as soon as it starts.
     */
    if (!instance_signal_qemu(inst, SIGKILL))
        instance_signal_supervisor(inst, SIGTERM);
    return instance_wait_exit(inst, KILL_WAIT_SECONDS);
}

bool instance_stop(struct instance *inst, double timeout)
{
    instance_refresh(inst);
    if (!instance_active(inst)) {
        instance_signal_qemu(inst, SIGKILL);
        return true;
    }
    if (!instance_signal_supervisor(inst, SIGTERM))
        instance_signal_qemu(inst, SIGTERM);
    if (instance_wait_exit(inst, timeout))
        return true;
    return instance_kill(inst);
}

/* ---- removal and cleanup --------------------------------------------------------- */

int instance_remove(const struct instance *inst, char *err, size_t errlen)
{
    /* A dot name is skipped by list, so the instance is gone before the slow part. */
    char *base = xasprintf(".removing-%s", inst->id);
    char *doomed = beside(inst->dir, base);
    int rc = rename(inst->dir, doomed) == 0 ? retire_folder(doomed) : -1;
    if (rc < 0 && errno == ENOENT)
        rc = 0;
    if (rc < 0)
        snprintf(err, errlen, "cannot remove %s: %s", inst->dir, strerror(errno));
    for (char **v = inst->config.anonymous_volumes; rc == 0 && v && *v; v++)
        remove_tree(*v); /* gone already, after an earlier rm stopped half-way: fine */
    free(doomed);
    free(base);
    return rc;
}

char *instance_log_path(const struct instance *inst)
{
    return xasprintf("%s/output", inst->dir);
}

void instance_free(struct instance *inst)
{
    struct instance_config *c = &inst->config;
    free(inst->name);
    free(inst->dir);
    free(c->image);
    free(c->image_digest);
    free(c->arch);
    strv_free(c->cmd);
    strv_free(c->env);
    strv_free(c->ports);
    strv_free(c->publish);
    strv_free(c->volumes);
    strv_free(c->anonymous_volumes);
    free(c->ip);
    free(c->accel);
    free(c->accel_why);
    free(inst->state.error);
    *inst = (struct instance){0};
}

void instance_list_free(struct instance *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        instance_free(&list[i]);
    free(list);
}
