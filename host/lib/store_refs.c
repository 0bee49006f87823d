/* Refs and blob trees, for push, pull, save, load and tag. */
#include "store_internal.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ref's entry in index.json (a new reference), or NULL with err. */
static json_t *ref_entry(json_t *index, const char *name, const char *user_ref, char *err,
                         size_t errlen)
{
    json_t *entry = find_ref(manifests_of(index), name, NULL);
    if (!entry)
        errorf(err, errlen, "no such image: %s", user_ref);
    return json_incref(entry);
}

int store_ref_index(struct store *s, const char *ref, char digest[STORE_DIGEST_SIZE], char *err,
                    size_t errlen)
{
    char *name = store_normalize_ref(ref);
    if (!name)
        return errorf(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    json_t *index = load_index(s, err, errlen);
    json_t *entry = index ? ref_entry(index, name, ref, err, errlen) : NULL;
    struct blob_ref b;
    int rc = entry ? descriptor_read(entry, "index.json", &b, err, errlen) : -1;
    if (rc == 0 && !descriptor_has_type(entry, MEDIA_OCI_INDEX))
        rc = errorf(err, errlen, "index.json: corrupted ('%s' is not an image index)", name);
    if (rc == 0)
        memcpy(digest, b.digest, DIGEST_LEN + 1);
    json_decref(entry);
    json_decref(index);
    free(name);
    return rc;
}

/* A lone unikit manifest becomes an image index of one build, as `build` makes them. */
static int wrap_manifest(struct store *s, json_t *manifest, struct blob_ref *b, char *err,
                         size_t errlen)
{
    struct blob_ref config_ref, layer_ref;
    struct image_config config = {0};
    json_t *config_doc = NULL;
    int rc = manifest_parts(manifest, b->digest, &config_ref, &layer_ref, err, errlen);
    if (rc == 0 && !(config_doc = load_json_blob(s, &config_ref, err, errlen)))
        rc = -1;
    if (rc == 0)
        rc = parse_image_config(config_doc, config_ref.digest, &config, err, errlen);
    if (rc == 0) {
        json_t *empty = json_array();
        json_t *doc = merged_image_index(empty, b, config.arch);
        rc = put_json_blob(s, doc, b, err, errlen);
        json_decref(doc);
        json_decref(empty);
    }
    store_config_free(&config);
    json_decref(config_doc);
    return rc;
}

/* Every build of the image index must load, or the ref would break `images`. */
static int check_builds(const struct store *s, const char *name, json_t *image_index, char *err,
                        size_t errlen)
{
    size_t i;
    json_t *build;
    if (!json_is_array(manifests_of(image_index)) ||
        json_array_size(manifests_of(image_index)) == 0)
        return errorf(err, errlen, "%s: the image index lists no builds", name);
    json_array_foreach(manifests_of(image_index), i, build)
    {
        struct store_image img;
        if (load_image_build(s, name, build, &img, err, errlen) != 0)
            return -1;
        store_image_free(&img);
    }
    return 0;
}

/* Resolves digest to a checked image index blob in *b (wrapping a manifest). */
static int image_index_blob(struct store *s, const char *name, const char *digest,
                            struct blob_ref *b, char *err, size_t errlen)
{
    if (blob_ref_of(s, digest, b, err, errlen) != 0)
        return -1;
    json_t *doc = load_json_blob(s, b, err, errlen);
    int rc = doc ? 0 : -1;
    if (rc == 0 && descriptor_has_type(doc, MEDIA_OCI_MANIFEST)) {
        rc = wrap_manifest(s, doc, b, err, errlen);
        json_decref(doc);
        doc = rc == 0 ? load_json_blob(s, b, err, errlen) : NULL;
        rc = doc ? rc : -1;
    } else if (rc == 0 && !descriptor_has_type(doc, MEDIA_OCI_INDEX)) {
        rc = errorf(err, errlen, "%s: %s is neither an OCI image index nor a manifest", name,
                    digest);
    }
    if (rc == 0)
        rc = check_builds(s, name, doc, err, errlen);
    json_decref(doc);
    return rc;
}

/* Where each name is in index.json's manifests: one pass, so n names cost n lookups. */
static json_t *ref_positions(json_t *manifests)
{
    json_t *at = json_object();
    size_t i;
    json_t *desc;
    json_array_foreach(manifests, i, desc)
    {
        if (ref_name_of(desc))
            json_object_set_new(at, ref_name_of(desc), json_integer((json_int_t)i));
    }
    return at;
}

/* Points names[i] at blobs[i] for each i, in one write of index.json. */
static int set_refs_locked(struct store *s, char **names, const struct blob_ref *blobs, size_t n,
                           char *err, size_t errlen)
{
    json_t *index = load_index(s, err, errlen);
    if (!index)
        return -1;
    json_t *manifests = manifests_of(index);
    json_t *at = ref_positions(manifests);
    for (size_t i = 0; i < n; i++) {
        json_t *entry = ref_descriptor_json(names[i], &blobs[i]);
        json_t *pos = json_object_get(at, names[i]);
        if (pos) {
            json_array_set_new(manifests, (size_t)json_integer_value(pos), entry);
        } else {
            json_object_set_new(at, names[i], json_integer((json_int_t)json_array_size(manifests)));
            json_array_append_new(manifests, entry);
        }
    }
    int rc = save_index(s, index, err, errlen);
    json_decref(at);
    json_decref(index);
    return rc;
}

int store_set_refs(struct store *s, char *const *refs, char *const *digests, size_t n, char *err,
                   size_t errlen)
{
    char **names = xcalloc(n + 1, sizeof *names);
    struct blob_ref *blobs = xcalloc(n + 1, sizeof *blobs);
    int lock = lock_store(s, err, errlen);
    int rc = lock >= 0 ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        names[i] = store_normalize_ref(refs[i]);
        if (!names[i])
            rc = errorf(err, errlen, "invalid reference format: '%s'", or_empty(refs[i]));
        else
            rc = image_index_blob(s, names[i], digests[i], &blobs[i], err, errlen);
    }
    if (rc == 0)
        rc = set_refs_locked(s, names, blobs, n, err, errlen);
    if (lock >= 0)
        close(lock);
    strv_free(names);
    free(blobs);
    return rc;
}

int store_set_ref(struct store *s, const char *ref, const char *digest, char *err, size_t errlen)
{
    char *const refs[] = {(char *)ref}, *const digests[] = {(char *)digest};
    return store_set_refs(s, refs, digests, 1, err, errlen);
}

static int tag_locked(struct store *s, const char *src_name, const char *src, const char *dst_name,
                      char *err, size_t errlen)
{
    json_t *index = load_index(s, err, errlen);
    json_t *entry = index ? ref_entry(index, src_name, src, err, errlen) : NULL;
    int rc = entry ? 0 : -1;
    if (rc == 0) {
        json_t *copy = json_deep_copy(entry);
        json_object_set_new(copy, "annotations", json_pack("{s:s}", ANNOTATION_REF, dst_name));
        set_ref_entry(index, dst_name, copy);
        rc = save_index(s, index, err, errlen);
    }
    json_decref(entry);
    json_decref(index);
    return rc;
}

int store_tag(struct store *s, const char *src, const char *dst, char *err, size_t errlen)
{
    char *src_name = store_normalize_ref(src);
    char *dst_name = store_normalize_ref(dst);
    int rc = 0;
    if (!src_name || !dst_name)
        rc = errorf(err, errlen, "invalid reference format: '%s'", or_empty(src_name ? dst : src));
    int lock = rc == 0 ? lock_store(s, err, errlen) : -1;
    if (lock >= 0) {
        rc = tag_locked(s, src_name, src, dst_name, err, errlen);
        /* Retagging an existing name can orphan its old image. */
        char ignored[256];
        if (rc == 0)
            collect_garbage(s, ignored, sizeof ignored);
        close(lock);
    } else {
        rc = -1;
    }
    free(src_name);
    free(dst_name);
    return rc;
}

static char **object_keys(json_t *object)
{
    char **v = xcalloc(json_object_size(object) + 1, sizeof *v);
    const char *key;
    json_t *value;
    size_t n = 0;
    json_object_foreach(object, key, value)
    {
        (void)value;
        v[n++] = xstrdup(key);
    }
    return v;
}

int store_refs(struct store *s, char ***out, char *err, size_t errlen)
{
    *out = NULL;
    json_t *index = load_index(s, err, errlen);
    if (!index)
        return -1;
    json_t *names = json_object();
    size_t i;
    json_t *entry;
    json_array_foreach(manifests_of(index), i, entry)
    {
        if (ref_name_of(entry))
            json_object_set_new(names, ref_name_of(entry), json_true());
    }
    *out = object_keys(names);
    json_decref(names);
    json_decref(index);
    return 0;
}

int store_ref_blobs(struct store *s, const char *ref, char ***out, char *err, size_t errlen)
{
    *out = NULL;
    char *name = store_normalize_ref(ref);
    if (!name)
        return errorf(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    json_t *index = load_index(s, err, errlen);
    json_t *entry = index ? ref_entry(index, name, ref, err, errlen) : NULL;
    json_t *live = json_object();
    int rc = entry ? mark_descriptor(s, entry, live, err, errlen) : -1;
    if (rc == 0)
        *out = object_keys(live);
    json_decref(live);
    json_decref(entry);
    json_decref(index);
    free(name);
    return rc;
}

int store_ref_blob_list(struct store *s, const char *ref, struct store_blob **out, size_t *count,
                        char *err, size_t errlen)
{
    char **digests = NULL;
    *out = NULL;
    *count = 0;
    json_t *live = json_object();
    char *name = store_normalize_ref(ref);
    json_t *index = name ? load_index(s, err, errlen) : NULL;
    json_t *entry = index ? ref_entry(index, name, ref, err, errlen) : NULL;
    int rc = entry ? mark_descriptor(s, entry, live, err, errlen) : -1;
    if (!name)
        errorf(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    if (rc == 0)
        digests = object_keys(live);
    size_t n = json_object_size(live);
    *out = rc == 0 ? xcalloc(n + 1, sizeof **out) : NULL;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        memcpy((*out)[i].digest, digests[i], DIGEST_LEN + 1);
        (*out)[i].size = (uint64_t)json_integer_value(json_object_get(live, digests[i]));
    }
    *count = rc == 0 ? n : 0;
    strv_free(digests);
    json_decref(live);
    json_decref(entry);
    json_decref(index);
    free(name);
    return rc;
}
