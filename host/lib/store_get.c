/* Reading images back: a ref's build for an architecture, all its builds, all refs. */
#include "store_internal.h"

#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Loads the image index a ref's entry in index.json names. */
json_t *load_image_index(const struct store *s, json_t *entry, char *err, size_t errlen)
{
    char *where = index_path(s);
    struct blob_ref b;
    json_t *doc = NULL;
    if (!str_eq(json_string_value(json_object_get(entry, "mediaType")), MEDIA_OCI_INDEX))
        errorf(err, errlen, "%s: corrupted ('%s' is not an image index)", where,
               or_empty(ref_name_of(entry)));
    else if (descriptor_read(entry, where, &b, err, errlen) == 0 &&
             (doc = load_json_blob(s, &b, err, errlen)) && !json_is_array(manifests_of(doc))) {
        errorf(err, errlen, "image blob %s: corrupted (no manifests array)", b.digest);
        json_decref(doc);
        doc = NULL;
    }
    free(where);
    return doc;
}

/* A vector of the strings in array; a missing or null array is empty. */
static int string_vector(json_t *array, char ***out)
{
    *out = NULL;
    if (array && !json_is_null(array) && !json_is_array(array))
        return -1;
    size_t n = json_array_size(array);
    char **v = xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const char *str = json_string_value(json_array_get(array, i));
        if (!str) {
            strv_free(v);
            return -1;
        }
        v[i] = xstrdup(str);
    }
    *out = v;
    return 0;
}

static int parse_rfc3339(const char *text, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = text ? strptime(text, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!rest)
        return -1;
    if (*rest == '.')
        for (rest++; isdigit((unsigned char)*rest); rest++)
            ;
    if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0)
        return -1;
    *out = utc_from_tm(&tm);
    return 0;
}

int parse_image_config(json_t *doc, const char *digest, struct image_config *out, char *err,
                       size_t errlen)
{
    json_t *settings = json_object_get(doc, "config");
    json_t *unikit = json_object_get(doc, "unikit");
    const char *arch = store_unikit_arch(json_string_value(json_object_get(unikit, "arch")));
    json_t *memory = json_object_get(unikit, "memory");
    const char *created = json_string_value(json_object_get(doc, "created"));
    if (!arch || !json_is_integer(memory) || json_integer_value(memory) < 0 ||
        parse_rfc3339(created, &out->created) != 0 ||
        string_vector(json_object_get(settings, "Cmd"), &out->cmd) != 0 ||
        string_vector(json_object_get(settings, "Env"), &out->env) != 0 ||
        string_vector(json_object_get(unikit, "ports"), &out->ports) != 0 ||
        string_vector(json_object_get(unikit, "volumes"), &out->volumes) != 0)
        return errorf(err, errlen, "image blob %s: corrupted (not a unikit image config)", digest);
    out->arch = xstrdup(arch);
    out->memory = (uint64_t)json_integer_value(memory);
    /* Absent in images built before it was recorded: those get no NIC. */
    out->net = json_is_true(json_object_get(unikit, "net"));
    json_t *spec = json_object_get(unikit, "specialization");
    out->specialization = json_is_object(spec) ? json_dumps(spec, JSON_COMPACT) : NULL;
    return 0;
}

bool descriptor_has_type(json_t *desc, const char *media_type)
{
    return str_eq(json_string_value(json_object_get(desc, "mediaType")), media_type);
}

/* The config and (single) layer descriptors of a unikit manifest. */
int manifest_parts(json_t *manifest, const char *digest, struct blob_ref *config,
                   struct blob_ref *layer, char *err, size_t errlen)
{
    json_t *config_desc = json_object_get(manifest, "config");
    json_t *layers = json_object_get(manifest, "layers");
    json_t *layer_desc = json_array_get(layers, 0);
    char *where = xasprintf("image blob %s", digest);
    int rc = 0;
    if (!descriptor_has_type(manifest, MEDIA_OCI_MANIFEST) ||
        !descriptor_has_type(config_desc, UNIKIT_MEDIA_CONFIG) || json_array_size(layers) != 1 ||
        !descriptor_has_type(layer_desc, UNIKIT_MEDIA_IMAGE))
        rc = errorf(err, errlen, "%s: not a unikit image manifest", where);
    if (rc == 0)
        rc = descriptor_read(config_desc, where, config, err, errlen);
    if (rc == 0)
        rc = descriptor_read(layer_desc, where, layer, err, errlen);
    free(where);
    return rc;
}

/* The layer is too big to hash on every lookup: check it exists at its size. */
static int locate_layer(const struct store *s, const struct blob_ref *layer,
                        struct store_image *out, char *err, size_t errlen)
{
    char *path = blob_path(s, layer->digest);
    int fd = blob_open(path, layer->digest, layer->size, NULL, err, errlen);
    int rc = fd < 0 ? -1 : 0;
    if (fd >= 0)
        close(fd);
    if (rc == 0) {
        out->layer_path = path;
        out->layer_digest = xstrdup(layer->digest);
        out->layer_size = layer->size;
    } else {
        free(path);
    }
    return rc;
}

static int check_build_arch(json_t *build, const struct image_config *config, const char *digest,
                            char *err, size_t errlen)
{
    const char *listed = store_unikit_arch(platform_arch_of(build));
    if (str_eq(listed, config->arch))
        return 0;
    return errorf(err, errlen, "image blob %s: corrupted (a %s build listed as %s)", digest,
                  config->arch, or_empty(platform_arch_of(build)));
}

/* Fills out from one build (a manifest descriptor in a ref's image index). */
int load_image_build(const struct store *s, const char *ref, json_t *build, struct store_image *out,
                     char *err, size_t errlen)
{
    struct blob_ref manifest_ref, config_ref, layer_ref;
    json_t *manifest = NULL, *config = NULL;
    memset(out, 0, sizeof *out);
    int rc = descriptor_read(build, "image index", &manifest_ref, err, errlen);
    if (rc == 0 && !(manifest = load_json_blob(s, &manifest_ref, err, errlen)))
        rc = -1;
    if (rc == 0)
        rc = manifest_parts(manifest, manifest_ref.digest, &config_ref, &layer_ref, err, errlen);
    if (rc == 0 && !(config = load_json_blob(s, &config_ref, err, errlen)))
        rc = -1;
    if (rc == 0)
        rc = parse_image_config(config, config_ref.digest, &out->config, err, errlen);
    if (rc == 0)
        rc = check_build_arch(build, &out->config, config_ref.digest, err, errlen);
    if (rc == 0)
        rc = locate_layer(s, &layer_ref, out, err, errlen);
    if (rc == 0) {
        out->ref = xstrdup(ref);
        out->digest = xstrdup(manifest_ref.digest);
    } else {
        store_image_free(out);
    }
    json_decref(config);
    json_decref(manifest);
    return rc;
}

/* The image index of ref (normalized as name); user_ref is for the message. */
static json_t *resolve_ref(const struct store *s, const char *name, const char *user_ref, char *err,
                           size_t errlen)
{
    json_t *index = load_index(s, err, errlen);
    if (!index)
        return NULL;
    json_t *entry = find_ref(manifests_of(index), name, NULL);
    json_t *image_index = NULL;
    if (!entry)
        errorf(err, errlen, "no such image: %s", user_ref);
    else
        image_index = load_image_index(s, entry, err, errlen);
    json_decref(index);
    return image_index;
}

static void list_arches(json_t *builds, char *buf, size_t len)
{
    size_t i, used = 0;
    json_t *build;
    buf[0] = '\0';
    json_array_foreach(builds, i, build)
    {
        const char *oci = platform_arch_of(build);
        const char *arch = store_unikit_arch(oci) ? store_unikit_arch(oci) : or_empty(oci);
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", arch);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    if (!buf[0])
        snprintf(buf, len, "none");
}

/* The build for arch; with arch NULL, the only build, else the host's. */
static json_t *choose_build(json_t *image_index, const char *user_ref, const char *arch, char *err,
                            size_t errlen)
{
    json_t *builds = manifests_of(image_index);
    if (!arch && json_array_size(builds) == 1)
        return json_array_get(builds, 0);
    const char *want = arch ? arch : host_arch();
    const char *oci = store_oci_arch(want);
    size_t i;
    json_t *build;
    json_array_foreach(builds, i, build)
    {
        if (oci && str_eq(platform_arch_of(build), oci))
            return build;
    }
    char have[256];
    list_arches(builds, have, sizeof have);
    errorf(err, errlen, "image '%s' has no %s build (it has: %s)", user_ref,
           store_unikit_arch(want) ? store_unikit_arch(want) : want, have);
    return NULL;
}

int store_get(struct store *s, const char *ref, const char *arch, struct store_image *out,
              char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *name = store_normalize_ref(ref);
    if (!name)
        return errorf(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    json_t *image_index = resolve_ref(s, name, ref, err, errlen);
    json_t *build = image_index ? choose_build(image_index, ref, arch, err, errlen) : NULL;
    int rc = build ? load_image_build(s, name, build, out, err, errlen) : -1;
    json_decref(image_index);
    free(name);
    return rc;
}

struct image_list {
    struct store_image *items;
    size_t count;
    size_t capacity;
};

static struct store_image *list_slot(struct image_list *list)
{
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 8;
        list->items = xreallocarray(list->items, list->capacity, sizeof *list->items);
    }
    return &list->items[list->count];
}

/* Adds every build of one ref, or none of them. */
static int list_ref(const struct store *s, json_t *entry, struct image_list *list, char *err,
                    size_t errlen)
{
    json_t *image_index = load_image_index(s, entry, err, errlen);
    if (!image_index)
        return -1;
    size_t i, first = list->count;
    json_t *build;
    int rc = 0;
    json_array_foreach(manifests_of(image_index), i, build)
    {
        if ((rc = load_image_build(s, ref_name_of(entry), build, list_slot(list), err, errlen)) !=
            0)
            break;
        list->count++;
    }
    for (; rc != 0 && list->count > first; list->count--)
        store_image_free(&list->items[list->count - 1]);
    json_decref(image_index);
    return rc;
}

/* One ref could not be read: noted in *bad and skipped, or (bad NULL) the end of the list. */
static int list_ref_failed(const char *ref, const char *why, struct strvec *bad)
{
    if (!bad)
        return -1;
    strvec_pushf(bad, "%s: %s", ref, why);
    return 0;
}

int store_get_all(struct store *s, const char *ref, struct store_image **out, size_t *count,
                  char *err, size_t errlen)
{
    *out = NULL;
    *count = 0;
    char *name = store_normalize_ref(ref);
    if (!name)
        return errorf(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    json_t *index = load_index(s, err, errlen);
    json_t *entry = index ? find_ref(manifests_of(index), name, NULL) : NULL;
    struct image_list list = {0};
    int rc = !index ? -1 : !entry ? 1 : list_ref(s, entry, &list, err, errlen);
    if (rc == 1)
        errorf(err, errlen, "no such image: %s", ref);
    if (rc == 0) {
        *out = list.items;
        *count = list.count;
    } else {
        free(list.items);
    }
    json_decref(index);
    free(name);
    return rc;
}

static int compare_images(const void *a, const void *b)
{
    const struct store_image *x = a, *y = b;
    int by_ref = strcmp(x->ref, y->ref);
    return by_ref ? by_ref : strcmp(x->config.arch, y->config.arch);
}

int store_list(struct store *s, struct store_image **out, size_t *count, char ***bad, char *err,
               size_t errlen)
{
    *out = NULL;
    *count = 0;
    if (bad)
        *bad = NULL;
    json_t *index = load_index(s, err, errlen);
    if (!index)
        return -1;
    struct image_list list = {0};
    struct strvec broken = {0};
    size_t i;
    json_t *entry;
    int rc = 0;
    json_array_foreach(manifests_of(index), i, entry)
    {
        /* Entries without a name (another tool's) are not images we can list. */
        if (ref_name_of(entry) && list_ref(s, entry, &list, err, errlen) != 0 &&
            (rc = list_ref_failed(ref_name_of(entry), err, bad ? &broken : NULL)) != 0)
            break;
    }
    json_decref(index);
    if (bad)
        *bad = broken.v;
    if (rc != 0) {
        store_images_free(list.items, list.count);
        return -1;
    }
    if (list.count)
        qsort(list.items, list.count, sizeof *list.items, compare_images);
    *out = list.items;
    *count = list.count;
    return 0;
}

void store_image_free(struct store_image *img)
{
    if (!img)
        return;
    free(img->ref);
    free(img->digest);
    free(img->layer_path);
    free(img->layer_digest);
    store_config_free(&img->config);
    memset(img, 0, sizeof *img);
}

void store_images_free(struct store_image *imgs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        store_image_free(&imgs[i]);
    free(imgs);
}

int store_parse_config(struct store *s, const char *digest, struct image_config *out, char *err,
                       size_t errlen)
{
    struct blob_ref b;
    memset(out, 0, sizeof *out);
    if (blob_ref_of(s, digest, &b, err, errlen) != 0)
        return -1;
    json_t *doc = load_json_blob(s, &b, err, errlen);
    int rc = doc ? parse_image_config(doc, digest, out, err, errlen) : -1;
    json_decref(doc);
    return rc;
}

void store_config_free(struct image_config *c)
{
    free(c->arch);
    strv_free(c->cmd);
    strv_free(c->env);
    strv_free(c->ports);
    strv_free(c->volumes);
    free(c->specialization);
    memset(c, 0, sizeof *c);
}
