/*
 * Writing an image: the layer, its config and manifest, the ref's image
 * index with one manifest per architecture, and the ref in index.json.
 */
#include "store_internal.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* NULL if a string is not UTF-8 (JSON cannot carry it). */
static json_t *string_array(char *const *v)
{
    json_t *array = json_array();
    for (; v && *v; v++) {
        if (json_array_append_new(array, json_string(*v)) != 0) {
            json_decref(array);
            return NULL;
        }
    }
    return array;
}

/* Docker's spelling of the ports, so other tools understand them: {"80/tcp":{}}. */
static json_t *exposed_ports(char *const *ports)
{
    json_t *object = json_object();
    for (; ports && *ports; ports++) {
        char *key = strchr(*ports, '/') ? xstrdup(*ports) : xasprintf("%s/tcp", *ports);
        int rc = json_object_set_new(object, key, json_object());
        free(key);
        if (rc != 0) {
            json_decref(object);
            return NULL;
        }
    }
    return object;
}

/* Docker's spelling of the volumes: {"/data":{}}. */
static json_t *volumes_object(char *const *volumes)
{
    json_t *object = json_object();
    for (; volumes && *volumes; volumes++) {
        if (json_object_set_new(object, *volumes, json_object()) != 0) {
            json_decref(object);
            return NULL;
        }
    }
    return object;
}

/* The volumes, in both spellings: the standard config's and unikit's own. */
static int add_volumes(json_t *doc, char *const *volumes)
{
    json_t *object = volumes_object(volumes);
    json_t *array = string_array(volumes);
    if (!object || !array) {
        json_decref(object);
        json_decref(array);
        return -1;
    }
    json_object_set_new(json_object_get(doc, "config"), "Volumes", object);
    json_object_set_new(json_object_get(doc, "unikit"), "volumes", array);
    return 0;
}

static json_t *config_json(const struct image_config *c, const char *created)
{
    json_t *cmd = string_array(c->cmd);
    json_t *env = string_array(c->env);
    json_t *ports = string_array(c->ports);
    json_t *exposed = exposed_ports(c->ports);
    if (!cmd || !env || !ports || !exposed) {
        json_decref(cmd);
        json_decref(env);
        json_decref(ports);
        json_decref(exposed);
        return NULL;
    }
    json_t *doc =
        json_pack("{s:s, s:s, s:s, s:{s:o, s:o, s:o}, s:{s:s, s:I, s:o, s:b}}", "architecture",
                  store_oci_arch(c->arch), "os", "linux", "created", created, "config", "Cmd", cmd,
                  "Env", env, "ExposedPorts", exposed, "unikit", "arch", store_unikit_arch(c->arch),
                  "memory", (json_int_t)c->memory, "ports", ports, "net", (int)c->net);
    if (doc && c->volumes && c->volumes[0] && add_volumes(doc, c->volumes) != 0) {
        json_decref(doc);
        return NULL;
    }
    json_t *spec = c->specialization ? json_loads(c->specialization, 0, NULL) : NULL;
    if (doc && spec)
        json_object_set_new(json_object_get(doc, "unikit"), "specialization", spec);
    else
        json_decref(spec);
    return doc;
}

static json_t *manifest_json(const struct blob_ref *config, const struct blob_ref *layer,
                             const char *created)
{
    return json_pack("{s:i, s:s, s:o, s:[o], s:{s:s}}", "schemaVersion", 2, "mediaType",
                     MEDIA_OCI_MANIFEST, "config", descriptor_json(UNIKIT_MEDIA_CONFIG, config),
                     "layers", descriptor_json(UNIKIT_MEDIA_IMAGE, layer), "annotations",
                     ANNOTATION_CREATED, created);
}

/* Stores the layer, the config and the manifest tying them; *out is the manifest. */
static int put_manifest(struct store *s, const struct image_config *config, const char *image_file,
                        struct blob_ref *out, char *err, size_t errlen)
{
    char created[32];
    struct blob_ref layer, cfg;
    utc_format(config->created, created, sizeof created);
    if (put_blob_file(s, image_file, &layer, err, errlen) != 0)
        return -1;
    json_t *doc = config_json(config, created);
    if (!doc)
        return errorf(err, errlen, "%s: command, environment and ports must be UTF-8 text",
                      image_file);
    int rc = put_json_blob(s, doc, &cfg, err, errlen);
    json_decref(doc);
    if (rc != 0)
        return rc;
    doc = manifest_json(&cfg, &layer, created);
    rc = put_json_blob(s, doc, out, err, errlen);
    json_decref(doc);
    return rc;
}

const char *platform_arch_of(json_t *desc)
{
    return json_string_value(json_object_get(json_object_get(desc, "platform"), "architecture"));
}

static int compare_by_arch(const void *a, const void *b)
{
    const char *x = or_empty(platform_arch_of(*(json_t *const *)a));
    const char *y = or_empty(platform_arch_of(*(json_t *const *)b));
    return strcmp(x, y);
}

static void sort_json_array(json_t *array, int (*compare)(const void *, const void *))
{
    size_t n = json_array_size(array);
    json_t **items = xcalloc(n + 1, sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(array, i));
    qsort(items, n, sizeof *items, compare);
    json_array_clear(array);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(array, items[i]);
    free(items);
}

/* The ref's image index with `manifest` as its build for arch, other builds kept. */
json_t *merged_image_index(json_t *old_manifests, const struct blob_ref *manifest, const char *arch)
{
    const char *oci = store_oci_arch(arch);
    json_t *list = json_array();
    size_t i;
    json_t *desc;
    json_array_foreach(old_manifests, i, desc)
    {
        if (!str_eq(platform_arch_of(desc), oci))
            json_array_append(list, desc);
    }
    json_t *entry = descriptor_json(MEDIA_OCI_MANIFEST, manifest);
    json_object_set_new(entry, "platform",
                        json_pack("{s:s, s:s}", "architecture", oci, "os", "linux"));
    json_array_append_new(list, entry);
    sort_json_array(list, compare_by_arch);
    return json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", MEDIA_OCI_INDEX,
                     "manifests", list);
}

json_t *ref_descriptor_json(const char *ref, const struct blob_ref *image_index)
{
    json_t *desc = descriptor_json(MEDIA_OCI_INDEX, image_index);
    json_object_set_new(desc, "annotations", json_pack("{s:s}", ANNOTATION_REF, ref));
    return desc;
}

/* The builds already under a ref (a new reference), or NULL on error. */
static json_t *existing_builds(const struct store *s, json_t *entry, char *err, size_t errlen)
{
    if (!entry)
        return json_array();
    json_t *image_index = load_image_index(s, entry, err, errlen);
    json_t *builds = json_incref(manifests_of(image_index));
    json_decref(image_index);
    return builds;
}

static int put_locked(struct store *s, const char *ref, const struct image_config *config,
                      const char *image_file, char *err, size_t errlen)
{
    json_t *index = load_index(s, err, errlen);
    if (!index)
        return -1;
    json_t *builds = existing_builds(s, find_ref(manifests_of(index), ref, NULL), err, errlen);
    struct blob_ref manifest, image_index;
    int rc = builds ? put_manifest(s, config, image_file, &manifest, err, errlen) : -1;
    if (rc == 0) {
        json_t *doc = merged_image_index(builds, &manifest, config->arch);
        rc = put_json_blob(s, doc, &image_index, err, errlen);
        json_decref(doc);
    }
    if (rc == 0) {
        set_ref_entry(index, ref, ref_descriptor_json(ref, &image_index));
        rc = save_index(s, index, err, errlen);
    }
    json_decref(builds);
    json_decref(index);
    return rc;
}

static int check_put_args(const char *ref, const struct image_config *config,
                          const char *image_file, char *err, size_t errlen)
{
    if (!config || !image_file)
        return errorf(err, errlen, "no image given for '%s'", or_empty(ref));
    if (!store_oci_arch(config->arch))
        return errorf(err, errlen, "unsupported architecture '%s'", or_empty(config->arch));
    if (config->memory > (uint64_t)INT64_MAX)
        return errorf(err, errlen, "memory size %llu is too large",
                      (unsigned long long)config->memory);
    return 0;
}

int store_put(struct store *s, const char *ref, const struct image_config *config,
              const char *image_file, char *err, size_t errlen)
{
    char *name = store_normalize_ref(ref);
    if (!name)
        return errorf(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    int rc = check_put_args(ref, config, image_file, err, errlen);
    int lock = rc == 0 ? lock_store(s, err, errlen) : -1;
    if (lock >= 0) {
        rc = put_locked(s, name, config, image_file, err, errlen);
        if (rc == 0) {
            /* The image is stored; leftover garbage is harmless, so this cannot fail the put. */
            char ignored[256];
            collect_garbage(s, ignored, sizeof ignored);
        }
        close(lock);
    }
    free(name);
    return lock >= 0 ? rc : -1;
}

int store_put_build(struct store *s, const struct image_config *config, const char *image_file,
                    struct store_export *manifest, char *err, size_t errlen)
{
    struct blob_ref b;
    if (check_put_args("(import)", config, image_file, err, errlen) != 0 ||
        put_manifest(s, config, image_file, &b, err, errlen) != 0)
        return -1;
    snprintf(manifest->media_type, sizeof manifest->media_type, "%s", MEDIA_OCI_MANIFEST);
    memcpy(manifest->digest, b.digest, DIGEST_LEN + 1);
    manifest->size = b.size;
    return 0;
}

int store_put_builds(struct store *s, const struct store_export *manifests, char *const *arches,
                     size_t n, char digest[STORE_DIGEST_SIZE], char *err, size_t errlen)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        struct blob_ref b = {.size = manifests[i].size};
        memcpy(b.digest, manifests[i].digest, DIGEST_LEN + 1);
        json_t *doc = merged_image_index(list, &b, arches[i]);
        json_decref(list);
        list = json_incref(manifests_of(doc));
        json_decref(doc);
    }
    json_t *doc = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", MEDIA_OCI_INDEX,
                            "manifests", list);
    struct blob_ref out;
    int rc = put_json_blob(s, doc, &out, err, errlen);
    json_decref(doc);
    if (rc == 0)
        memcpy(digest, out.digest, DIGEST_LEN + 1);
    return rc;
}
