/*
 * A container's state, in --root/ID/ beside what runc would keep there:
 * unikit.json (id, bundle, the container process's pid and start time,
 * annotations), exec.fifo while it waits for start, exit (the program's
 * status, written by the container process), qemu.pid, paused. The status
 * is read from the processes themselves, as runc does: a dead (or zombie)
 * container process is stopped, one waiting on exec.fifo is created.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"
#include "util.h"

bool state_valid_id(const char *id)
{
    if (!id || !*id || strlen(id) > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return false;
    for (const char *p = id; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              strchr("_+-.", *p)))
            return false;
    return true;
}

char *state_dir(const char *id)
{
    return xasprintf("%s/%s", rt.root, id);
}

bool state_exists(const char *id)
{
    if (!state_valid_id(id))
        return false;
    char *path = xasprintf("%s/%s/" STATE_FILE, rt.root, id);
    bool yes = access(path, F_OK) == 0;
    free(path);
    return yes;
}

int state_load(const char *id, struct ct_state *st)
{
    memset(st, 0, sizeof(*st));
    if (!state_valid_id(id))
        return rt_error("container %s does not exist: invalid id", id);
    st->dir = state_dir(id);
    char *file = xasprintf("%s/" STATE_FILE, st->dir);
    json_error_t jerr;
    json_t *doc = json_load_file(file, 0, &jerr);
    const char *bundle = json_string_value(json_object_get(doc, "bundle"));
    const char *created = json_string_value(json_object_get(doc, "created"));
    json_t *pid = json_object_get(doc, "pid"), *start = json_object_get(doc, "pid_start");
    int rc = 0;
    if (!doc && access(file, F_OK) != 0)
        rc = rt_error("container %s does not exist", id);
    else if (!bundle || !created || !json_is_integer(pid) || !json_is_integer(start))
        rc = rt_error("%s: damaged state (%s)", file, doc ? "missing fields" : jerr.text);
    if (rc == 0) {
        st->id = xstrdup(id);
        st->bundle = xstrdup(bundle);
        st->created = xstrdup(created);
        st->pid = (pid_t)json_integer_value(pid);
        st->start = (unsigned long long)json_integer_value(start);
        json_t *ann = json_object_get(doc, "annotations");
        st->annotations = json_is_object(ann) ? json_incref(ann) : NULL;
    }
    json_decref(doc);
    free(file);
    if (rc != 0) {
        state_free(st);
        return -1;
    }
    return 0;
}

int write_file_atomic(const char *dir, const char *name, const char *text)
{
    char *tmp = xasprintf("%s/.%s.tmp", dir, name), *path = xasprintf("%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), rc = -1;
    if (fd >= 0) {
        size_t len = strlen(text);
        rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
        if (close(fd) != 0)
            rc = -1;
        if (rc == 0)
            rc = rename(tmp, path);
        if (rc != 0)
            unlink(tmp);
    }
    free(tmp);
    free(path);
    return rc;
}

int state_save(const struct ct_state *st, char *err, size_t errlen)
{
    json_t *doc = json_pack("{s:s, s:s, s:I, s:I, s:s, s:O?}", "id", st->id, "bundle", st->bundle,
                            "pid", (json_int_t)st->pid, "pid_start", (json_int_t)st->start,
                            "created", st->created, "annotations", st->annotations);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    int rc = text ? write_file_atomic(st->dir, STATE_FILE, text) : -1;
    if (rc < 0)
        errorf(err, errlen, "cannot write %s/%s: %s", st->dir, STATE_FILE, strerror(errno));
    free(text);
    json_decref(doc);
    return rc;
}

void state_free(struct ct_state *st)
{
    free(st->id);
    free(st->dir);
    free(st->bundle);
    free(st->created);
    json_decref(st->annotations);
    memset(st, 0, sizeof(*st));
}

unsigned long long proc_start_time(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* After the command's closing parenthesis: state, then field 22 is starttime. */
    char *p = strrchr(buf, ')');
    char state;
    unsigned long long start = 0;
    if (!p || sscanf(p + 1,
                     " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
                     "%*d %llu",
                     &state, &start) != 2)
        return 0;
    return state == 'Z' || state == 'X' ? 0 : start;
}

bool state_alive(const struct ct_state *st)
{
    return st->pid > 0 && proc_start_time(st->pid) == st->start;
}

static bool state_has(const struct ct_state *st, const char *name)
{
    char *path = xasprintf("%s/%s", st->dir, name);
    bool yes = access(path, F_OK) == 0;
    free(path);
    return yes;
}

enum ct_status state_status(const struct ct_state *st)
{
    if (!state_alive(st))
        return CT_STOPPED;
    if (state_has(st, EXEC_FIFO))
        return CT_CREATED;
    return state_has(st, PAUSED_FILE) ? CT_PAUSED : CT_RUNNING;
}

const char *state_status_name(enum ct_status s)
{
    static const char *names[] = {"creating", "created", "running", "paused", "stopped"};
    return names[s];
}

pid_t state_qemu_pid(const struct ct_state *st)
{
    char *path = xasprintf("%s/" QEMU_PID_FILE, st->dir);
    FILE *f = fopen(path, "re");
    int pid = 0;
    if (f && fscanf(f, "%d", &pid) != 1)
        pid = 0;
    if (f)
        fclose(f);
    free(path);
    return pid;
}

json_t *state_json(const struct ct_state *st, enum ct_status status)
{
    json_t *doc = json_pack("{s:s, s:s, s:s}", "ociVersion", OCI_VERSION, "id", st->id, "status",
                            state_status_name(status));
    /* A stopped container has no process: runc says pid 0 too. */
    json_object_set_new(doc, "pid", json_integer(status == CT_STOPPED ? 0 : st->pid));
    json_object_set_new(doc, "bundle", json_string(st->bundle));
    json_object_set_new(doc, "created", json_string(st->created));
    json_object_set_new(doc, "annotations",
                        st->annotations ? json_incref(st->annotations) : json_object());
    return doc;
}

int state_take(const char *id, struct ct_state *st)
{
    if (!state_exists(id))
        return runc_exec();
    return state_load(id, st) < 0 ? RT_ERROR_EXIT : 0;
}
