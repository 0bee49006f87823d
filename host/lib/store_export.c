/*
 * images/exports.json maps a stored image index or manifest (by digest) to
 * the descriptor of its standard OCI form, which push and save send and
 * pull and load received. Those blobs stay in the store as long as the
 * image they stand for does: a second push or pull then moves nothing, and
 * push can mount them from another repository (host/lib/ociimage.c makes
 * the forms).
 */
#include "store_internal.h"

#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *exports_path(const struct store *s)
{
    return xasprintf("%s/exports.json", s->dir);
}

/* The map, empty when there is none; a damaged one is dropped (it is only a cache). */
static json_t *load_exports(const struct store *s)
{
    char *path = exports_path(s);
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    free(path);
    if (json_is_object(doc))
        return doc;
    json_decref(doc);
    return json_object();
}

static int save_exports(const struct store *s, json_t *map, char *err, size_t errlen)
{
    char *path = exports_path(s);
    int rc = save_store_json(s, path, map, err, errlen);
    free(path);
    return rc;
}

/*
 * Keeps the standard form of every live image, and forgets the forms of
 * images that are gone. A form that cannot be read is forgotten too: it is
 * made again when needed, so it never stops a collection.
 */
void mark_exports(struct store *s, json_t *live)
{
    json_t *map = load_exports(s);
    json_t *keep = json_object();
    const char *key;
    json_t *desc;
    char ignored[256];
    json_object_foreach(map, key, desc)
    {
        if (!json_object_get(live, key))
            continue;
        json_t *marked = json_deep_copy(live);
        if (mark_descriptor(s, desc, marked, ignored, sizeof ignored) == 0) {
            json_object_update(live, marked);
            json_object_set(keep, key, desc);
        }
        json_decref(marked);
    }
    if (!json_equal(keep, map))
        save_exports(s, keep, ignored, sizeof ignored);
    json_decref(keep);
    json_decref(map);
}

int store_export_get(struct store *s, const char *digest, struct store_export *out)
{
    json_t *map = load_exports(s);
    json_t *desc = json_object_get(map, digest);
    const char *media = json_string_value(json_object_get(desc, "mediaType"));
    struct blob_ref b;
    char ignored[8];
    int rc = desc && media && strlen(media) < sizeof out->media_type &&
                     descriptor_read(desc, "exports.json", &b, ignored, sizeof ignored) == 0
                 ? 0
                 : 1;
    if (rc == 0) {
        snprintf(out->media_type, sizeof out->media_type, "%s", media);
        memcpy(out->digest, b.digest, DIGEST_LEN + 1);
        out->size = b.size;
    }
    json_decref(map);
    return rc;
}

int store_export_set(struct store *s, const char *digest, const struct store_export *form,
                     char *err, size_t errlen)
{
    int lock = lock_store(s, err, errlen);
    if (lock < 0)
        return -1;
    json_t *map = load_exports(s);
    json_object_set_new(map, digest,
                        json_pack("{s:s, s:s, s:I}", "mediaType", form->media_type, "digest",
                                  form->digest, "size", (json_int_t)form->size));
    int rc = save_exports(s, map, err, errlen);
    json_decref(map);
    close(lock);
    return rc;
}

int store_blob_tree(struct store *s, const struct store_export *root, struct store_blob **out,
                    size_t *count, char *err, size_t errlen)
{
    json_t *desc = json_pack("{s:s, s:s, s:I}", "mediaType", root->media_type, "digest",
                             root->digest, "size", (json_int_t)root->size);
    json_t *live = json_object();
    int rc = mark_descriptor(s, desc, live, err, errlen);
    size_t n = rc == 0 ? json_object_size(live) : 0, i = 0;
    *out = xcalloc(n + 1, sizeof **out);
    *count = n;
    const char *digest;
    json_t *size;
    json_object_foreach(live, digest, size)
    {
        if (i < n) {
            memcpy((*out)[i].digest, digest, DIGEST_LEN + 1);
            (*out)[i++].size = (uint64_t)json_integer_value(size);
        }
    }
    json_decref(live);
    json_decref(desc);
    return rc;
}
