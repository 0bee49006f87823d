/* unikit inspect NAME|ID|IMAGE...: a JSON array, one object per argument. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "instance.h"
#include "spec.h"
#include "util.h"
#include "volume.h"
#include "watchdog.h"

static json_t *strv_array(char **v)
{
    json_t *a = json_array();
    for (size_t i = 0; v && v[i]; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *time_value(const struct timespec *t)
{
    char buf[64];
    instance_format_time(t, buf, sizeof(buf));
    return *buf ? json_string(buf) : json_null();
}

/* The guest's memory as its supervisor last read it (watchdog.h), or null:
   not booted that far, or an image without the kernel's record. */
static json_t *guest_memory(const struct instance *inst)
{
    char *path = xasprintf("%s/%s", inst->dir, WATCHDOG_MEMORY_FILE);
    json_t *m = json_load_file(path, 0, NULL);
    free(path);
    if (json_is_object(m) && json_is_integer(json_object_get(m, "Total")) &&
        json_is_integer(json_object_get(m, "Used")) && json_is_integer(json_object_get(m, "Free")))
        return m;
    json_decref(m);
    return json_null();
}

static json_t *instance_state_json(const struct instance *inst)
{
    const struct instance_state *st = &inst->state;
    bool running = st->status == INSTANCE_RUNNING;
    bool exited = st->status == INSTANCE_EXITED;
    json_t *j = json_object();
    json_object_set_new(j, "Status", json_string(instance_status_name(st->status)));
    json_object_set_new(j, "Running", json_boolean(running));
    json_object_set_new(j, "Pid", json_integer(running ? st->qemu_pid : 0));
    json_object_set_new(j, "SupervisorPid", json_integer(running ? st->supervisor_pid : 0));
    json_object_set_new(j, "ExitCode", exited ? json_integer(st->exit_code) : json_null());
    json_object_set_new(j, "StartedAt", time_value(&st->started));
    json_object_set_new(j, "FinishedAt", time_value(&st->finished));
    json_object_set_new(j, "Error", json_string(st->error ? st->error : ""));
    json_object_set_new(j, "GuestMemory", guest_memory(inst));
    return j;
}

static json_t *instance_json(const struct instance *inst)
{
    const struct instance_config *c = &inst->config;
    json_t *config = json_object();
    json_object_set_new(config, "Cmd", strv_array(c->cmd));
    json_object_set_new(config, "Env", strv_array(c->env));
    json_object_set_new(config, "Memory", json_integer((json_int_t)c->memory));
    json_object_set_new(config, "Cpus", json_integer((json_int_t)c->cpus));
    json_object_set_new(config, "Ports", strv_array(c->ports));
    json_object_set_new(config, "Publish", strv_array(c->publish));
    json_object_set_new(config, "IP", c->ip ? json_string(c->ip) : json_null());
    json_object_set_new(config, "Accel", c->accel ? json_string(c->accel) : json_null());
    json_object_set_new(config, "AccelReason",
                        c->accel_why ? json_string(c->accel_why) : json_null());
    json_object_set_new(config, "AutoRemove", json_boolean(c->auto_remove));
    json_object_set_new(config, "Detach", json_boolean(c->detach));
    char *log = instance_log_path(inst);
    json_t *j = json_object();
    json_object_set_new(j, "Type", json_string("instance"));
    json_object_set_new(j, "Id", json_string(inst->id));
    json_object_set_new(j, "Name", json_string(inst->name));
    json_object_set_new(j, "Created", time_value(&inst->created));
    json_object_set_new(j, "Image", json_string(c->image));
    json_object_set_new(j, "ImageDigest", json_string(c->image_digest));
    json_object_set_new(j, "Arch", json_string(c->arch));
    json_object_set_new(j, "Config", config);
    json_object_set_new(j, "State", instance_state_json(inst));
    char *home = unikit_home();
    json_object_set_new(j, "Mounts", volume_mounts_json(home, c->volumes));
    free(home);
    json_object_set_new(j, "LogPath", json_string(log));
    json_object_set_new(j, "StateDir", json_string(inst->dir));
    free(log);
    return j;
}

static json_t *manifest_json(const struct store_image *img)
{
    char created[64];
    struct timespec t = {.tv_sec = img->config.created};
    instance_format_time(&t, created, sizeof(created));
    json_t *config = json_object();
    json_object_set_new(config, "Cmd", strv_array(img->config.cmd));
    json_object_set_new(config, "Env", strv_array(img->config.env));
    json_object_set_new(config, "Memory", json_integer((json_int_t)img->config.memory));
    json_object_set_new(config, "Ports", strv_array(img->config.ports));
    json_object_set_new(config, "Volumes", strv_array(img->config.volumes));
    json_object_set_new(config, "Network", json_boolean(img->config.net));
    json_t *j = json_object();
    json_object_set_new(j, "Arch", json_string(img->config.arch));
    json_object_set_new(j, "Digest", json_string(img->digest));
    json_object_set_new(j, "LayerDigest", json_string(img->layer_digest));
    json_object_set_new(j, "Size", json_integer((json_int_t)img->layer_size));
    json_object_set_new(j, "Created", *created ? json_string(created) : json_null());
    json_object_set_new(j, "Config", config);
    return j;
}

/*
 * Every architecture stored under the reference. NULL with *found false if
 * there is none; NULL with *found true and err if it cannot be read.
 */
static json_t *image_json(struct store *s, const char *name, bool *found, char *err, size_t errlen)
{
    struct store_image *imgs = NULL;
    size_t count = 0;
    char *ref = store_normalize_ref(name); /* not an image name: only an instance's */
    int rc = ref ? store_get_all(s, ref, &imgs, &count, err, errlen) : 1;
    free(ref);
    *found = rc == -1;
    if (rc != 0 || count == 0) {
        store_images_free(imgs, count);
        return NULL;
    }
    json_t *archs = json_array(), *manifests = json_array();
    for (size_t i = 0; i < count; i++) {
        json_array_append_new(archs, json_string(imgs[i].config.arch));
        json_array_append_new(manifests, manifest_json(&imgs[i]));
    }
    json_t *j = json_pack("{s:s, s:s, s:o, s:o}", "Type", "image", "Ref", imgs[0].ref,
                          "Architectures", archs, "Manifests", manifests);
    store_images_free(imgs, count);
    return j;
}

/* An instance (by name or id) first, as docker looks at containers first. */
static json_t *lookup(const char *home, struct store *s, const char *key)
{
    struct instance inst;
    char err[1024];
    if (instance_find(home, key, &inst, err, sizeof(err)) == 0) {
        instance_refresh(&inst);
        json_t *j = instance_json(&inst);
        instance_free(&inst);
        return j;
    }
    char image_err[1024];
    bool found = false;
    json_t *j = s ? image_json(s, key, &found, image_err, sizeof(image_err)) : NULL;
    if (!j && strstr(err, "matches"))
        cli_error("%s", err);
    else if (!j && found)
        cli_error("image '%s': %s", key, image_err);
    else if (!j)
        cli_error("no such instance or image: '%s'", key);
    return j;
}

/* --explain IMAGE: per architecture, what specialisation linked and why. */
static int explain_image(const char *name)
{
    struct store s = {0};
    struct store_image *imgs = NULL;
    size_t count = 0;
    char err[1024];
    char *ref = store_normalize_ref(name);
    int rc = EXIT_UNIKIT_ERROR;
    if (!ref)
        cli_error("'%s' is not a valid image name", name);
    else if (cli_open_store(&s) == 0) {
        int found = store_get_all(&s, ref, &imgs, &count, err, sizeof(err));
        if (found == -1)
            cli_error("image '%s': %s", name, err);
        else if (found != 0 || count == 0)
            cli_error("no such image: '%s'", name);
        else
            rc = 0;
        for (size_t i = 0; rc == 0 && i < count; i++)
            spec_print_explain(stdout, imgs[i].config.arch, imgs[i].config.specialization);
        store_images_free(imgs, count);
        store_close(&s);
    }
    free(ref);
    return rc;
}

int cmd_inspect(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: unikit inspect NAME|ID|IMAGE...\n"
               "       unikit inspect --explain IMAGE\n\n"
               "Prints a JSON array describing each instance or image; with --explain,\n"
               "what the image's kernel links and leaves out, per architecture.\n");
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--explain") == 0) {
        if (argc != 3) {
            cli_error("inspect --explain needs one image");
            return EXIT_UNIKIT_ERROR;
        }
        return explain_image(argv[2]);
    }
    if (argc < 2) {
        cli_error("inspect needs at least one instance or image");
        return EXIT_UNIKIT_ERROR;
    }
    struct store s = {0};
    bool have_store = cli_open_store(&s) == 0;
    char *home = unikit_home();
    json_t *all = json_array();
    int code = 0;
    for (int i = 1; i < argc; i++) {
        json_t *j = lookup(home, have_store ? &s : NULL, argv[i]);
        if (j)
            json_array_append_new(all, j);
        else
            code = EXIT_UNIKIT_ERROR;
    }
    char *text = json_dumps(all, JSON_INDENT(4));
    printf("%s\n", text ? text : "[]");
    free(text);
    json_decref(all);
    free(home);
    store_close(&s);
    return code;
}
