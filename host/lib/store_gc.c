/* Removing refs, and deleting the blobs nothing references any more. */
#include "store_internal.h"

#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool has_children(json_t *desc)
{
    return descriptor_has_type(desc, MEDIA_OCI_INDEX) ||
           descriptor_has_type(desc, MEDIA_OCI_MANIFEST) ||
           descriptor_has_type(desc, MEDIA_DOCKER_LIST) ||
           descriptor_has_type(desc, MEDIA_DOCKER_MANIFEST);
}

static int mark_descriptors(struct store *s, json_t *descs, json_t *live, char *err, size_t errlen)
{
    size_t i;
    json_t *desc;
    json_array_foreach(descs, i, desc)
    {
        if (mark_descriptor(s, desc, live, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/*
 * Marks desc's blob and everything it references. A blob that cannot be read
 * stops the collection: its children are unknown, and deleting them could
 * lose data that is still wanted.
 */
int mark_descriptor(struct store *s, json_t *desc, json_t *live, char *err, size_t errlen)
{
    struct blob_ref b;
    if (descriptor_read(desc, "descriptor", &b, err, errlen) != 0)
        return -1;
    if (json_object_get(live, b.digest))
        return 0;
    json_object_set_new(live, b.digest, json_integer((json_int_t)b.size));
    if (!has_children(desc))
        return 0;
    json_t *doc = load_json_blob(s, &b, err, errlen);
    if (!doc)
        return -1;
    int rc = 0;
    if (json_object_get(doc, "config"))
        rc = mark_descriptor(s, json_object_get(doc, "config"), live, err, errlen);
    if (rc == 0)
        rc = mark_descriptors(s, json_object_get(doc, "layers"), live, err, errlen);
    if (rc == 0)
        rc = mark_descriptors(s, manifests_of(doc), live, err, errlen);
    json_decref(doc);
    return rc;
}

/* A blob nothing references, or a temporary file a crashed writer left (we hold the lock). */
static bool is_garbage(const char *name, json_t *live)
{
    if (strncmp(name, ".tmp-", 5) == 0)
        return true;
    char digest[DIGEST_LEN + 1];
    if (strlen(name) != DIGEST_LEN - strlen(DIGEST_PREFIX))
        return false;
    snprintf(digest, sizeof digest, "%s%s", DIGEST_PREFIX, name);
    return blob_digest_valid(digest) && !json_object_get(live, digest);
}

static int sweep_blobs(struct store *s, json_t *live, char *err, size_t errlen)
{
    char *dir = blobs_dir(s);
    DIR *d = opendir(dir);
    int rc = d ? 0 : errorf(err, errlen, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!is_garbage(e->d_name, live))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) != 0 && rc == 0)
            rc = errorf(err, errlen, "%s/%s: %s", dir, e->d_name, strerror(errno));
        char *record = xasprintf("%s/verified/%s", s->home, e->d_name);
        unlink(record);
        free(record);
    }
    if (d)
        closedir(d);
    free(dir);
    return rc;
}

/* Deletes every blob not reachable from index.json (or from the standard
   form of a reachable image, see mark_exports); the caller holds the lock. */
int collect_garbage(struct store *s, char *err, size_t errlen)
{
    json_t *index = load_index(s, err, errlen);
    if (!index)
        return -1;
    json_t *live = json_object();
    int rc = mark_descriptors(s, manifests_of(index), live, err, errlen);
    if (rc == 0)
        mark_exports(s, live);
    if (rc == 0)
        rc = sweep_blobs(s, live, err, errlen);
    json_decref(live);
    json_decref(index);
    return rc;
}

int store_gc(struct store *s, char *err, size_t errlen)
{
    int lock = lock_store(s, err, errlen);
    if (lock < 0)
        return -1;
    int rc = collect_garbage(s, err, errlen);
    close(lock);
    return rc;
}

static int remove_locked(struct store *s, const char *name, const char *user_ref, char *err,
                         size_t errlen)
{
    json_t *index = load_index(s, err, errlen);
    if (!index)
        return -1;
    size_t at;
    int rc = 0;
    if (!find_ref(manifests_of(index), name, &at))
        rc = errorf(err, errlen, "no such image: %s", user_ref);
    else {
        json_array_remove(manifests_of(index), at);
        rc = save_index(s, index, err, errlen);
    }
    json_decref(index);
    return rc;
}

int store_remove(struct store *s, const char *ref, char *err, size_t errlen)
{
    char *name = store_normalize_ref(ref);
    if (!name)
        return errorf(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    int lock = lock_store(s, err, errlen);
    int rc = lock >= 0 ? remove_locked(s, name, ref, err, errlen) : -1;
    if (rc == 0) {
        /* The image is gone from the index; garbage left behind is harmless. */
        char ignored[256];
        collect_garbage(s, ignored, sizeof ignored);
    }
    if (lock >= 0)
        close(lock);
    free(name);
    return rc;
}
