/*
 * unikit push [--insecure] NAME[:TAG]
 *
 * Sends every architecture of the image as one OCI image index: for each
 * build its config and layer blobs, then its manifest (by digest), and last
 * the index under the tag, so the tag never names something incomplete.
 * What goes up is the image's standard OCI form (ociimage.h), which docker,
 * podman and containerd pull; it is made once and kept in the store, and
 * its bytes go up exactly as stored, so digests on the registry equal ours.
 * A blob the registry has is skipped; one another repository of the same
 * registry has (known from the local references to that registry) is mounted
 * instead of uploaded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "ociimage.h"
#include "registry.h"
#include "util.h"

struct push {
    struct store *s;
    struct registry *reg;
    struct registry_ref *ref;
    json_t *sources; /* repository → [blob digests] of local refs to the same registry */
    int uploaded, mounted, present;
    char err[1024];
};

static void push_usage(FILE *out)
{
    fprintf(out, "Usage: unikit push [--insecure] NAME[:TAG]\n\n"
                 "Uploads an image (all its architectures) to the registry its name names.\n\n"
                 "      --insecure   allow plain HTTP and unverified TLS for this registry\n");
}

/* The blobs of ref's standard form, when the store has it: those are what went up. */
static void add_exported(struct push *p, const char *ref, json_t *list)
{
    char digest[STORE_DIGEST_SIZE], err[256];
    struct store_export form;
    struct store_blob *blobs = NULL;
    size_t n = 0;
    if (store_ref_index(p->s, ref, digest, err, sizeof err) == 0 &&
        store_export_get(p->s, digest, &form) == 0 &&
        store_blob_tree(p->s, &form, &blobs, &n, err, sizeof err) == 0)
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, json_string(blobs[i].digest));
    free(blobs);
}

static void add_source(struct push *p, const char *ref)
{
    struct registry_ref other;
    char err[256];
    if (registry_parse_ref(ref, &other, err, sizeof err) != 0)
        return;
    char **blobs = NULL;
    if (strcmp(other.registry, p->ref->registry) == 0 && strcmp(other.repo, p->ref->repo) != 0 &&
        store_ref_blobs(p->s, ref, &blobs, err, sizeof err) == 0) {
        json_t *list = json_object_get(p->sources, other.repo);
        if (!list)
            json_object_set_new(p->sources, other.repo, list = json_array());
        for (char **b = blobs; *b; b++) /* pushed by an earlier unikit, as stored */
            json_array_append_new(list, json_string(*b));
        add_exported(p, ref, list);
    }
    store_strings_free(blobs);
    registry_ref_free(&other);
}

/* Repositories of this registry that (as far as local references tell) hold blobs. */
static void find_sources(struct push *p)
{
    char **refs = NULL;
    char err[256];
    p->sources = json_object();
    if (store_refs(p->s, &refs, err, sizeof err) != 0)
        return;
    for (char **r = refs; *r; r++)
        add_source(p, *r);
    store_strings_free(refs);
}

static bool lists(json_t *array, const char *digest)
{
    size_t i;
    json_t *v;
    json_array_foreach(array, i, v)
    {
        if (strcmp(json_string_value(v), digest) == 0)
            return true;
    }
    return false;
}

/*
 * 1 when a mount from some repository worked, 0 when none did. A mount is
 * only a shortcut: registries refuse it (401, 403, 404, 405) where the user
 * may not read the source or mounting is off, and the upload still works.
 */
static int try_mounts(struct push *p, const char *digest)
{
    const char *repo;
    json_t *blobs;
    char ignored[256];
    json_object_foreach(p->sources, repo, blobs)
    {
        if (lists(blobs, digest) &&
            registry_blob_mount(p->reg, p->ref->repo, digest, repo, ignored, sizeof ignored) == 1)
            return 1;
    }
    return 0;
}

static int push_blob(struct push *p, json_t *desc)
{
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    char *path = store_blob_path(p->s, digest);
    struct stat st;
    int rc = path && stat(path, &st) == 0 ? 0 : -1;
    if (rc != 0)
        snprintf(p->err, sizeof p->err, "%s: image blob %s is missing", p->ref->name,
                 digest ? digest : "(none)");
    if (rc == 0)
        rc = registry_blob_exists(p->reg, p->ref->repo, digest, p->err, sizeof p->err);
    if (rc == 1)
        p->present++;
    if (rc == 0 && (rc = try_mounts(p, digest)) == 1)
        p->mounted++;
    if (rc == 0 && (rc = registry_blob_upload(p->reg, p->ref->repo, digest, path,
                                              (uint64_t)st.st_size, p->err, sizeof p->err)) == 0)
        p->uploaded++;
    free(path);
    return rc < 0 ? -1 : 0;
}

/* One build: its blobs, then its manifest by digest. */
static int push_build(struct push *p, json_t *desc)
{
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    char *data = NULL;
    size_t len = 0;
    if (store_read_blob(p->s, digest, &data, &len, p->err, sizeof p->err) != 0)
        return -1;
    json_t *m = json_loadb(data, len, 0, NULL);
    int rc = push_blob(p, json_object_get(m, "config"));
    json_t *layer;
    size_t i;
    json_array_foreach(json_object_get(m, "layers"), i, layer)
    {
        if (rc == 0)
            rc = push_blob(p, layer);
    }
    if (rc == 0)
        rc = registry_manifest_put(p->reg, p->ref->repo, digest, REGISTRY_MEDIA_MANIFEST, data, len,
                                   p->err, sizeof p->err);
    json_decref(m);
    free(data);
    return rc;
}

static int push_index(struct push *p, const char *digest)
{
    char *data = NULL;
    size_t len = 0;
    if (store_read_blob(p->s, digest, &data, &len, p->err, sizeof p->err) != 0)
        return -1;
    json_t *doc = json_loadb(data, len, 0, NULL);
    int rc = 0;
    size_t i;
    json_t *desc;
    json_array_foreach(json_object_get(doc, "manifests"), i, desc)
    {
        if (rc == 0)
            rc = push_build(p, desc);
    }
    if (rc == 0)
        rc = registry_manifest_put(p->reg, p->ref->repo, p->ref->tag, REGISTRY_MEDIA_INDEX, data,
                                   len, p->err, sizeof p->err);
    json_decref(doc);
    free(data);
    return rc;
}

/* Appends to err that running push again resumes, as long as it still fits one line. */
static void add_resume_hint(char *err, size_t len)
{
    size_t used = strlen(err);
    snprintf(err + used, len - used, "; running push again resumes where it stopped");
}

/*
 * The image's standard form, made (once) under the store's lock so that no
 * collection takes its blobs before exports.json names them.
 */
static int export_image(struct push *p, const char *digest, struct store_export *form)
{
    int rc = store_lock(p->s, p->err, sizeof p->err);
    if (rc == 0)
        rc = oci_export(p->s, digest, form, p->err, sizeof p->err);
    store_unlock(p->s);
    return rc;
}

static int push(struct push *p, bool insecure)
{
    char digest[STORE_DIGEST_SIZE];
    struct store_export form;
    if (store_ref_index(p->s, p->ref->name, digest, p->err, sizeof p->err) != 0)
        return -1;
    /* The registry first: one that cannot be reached leaves the store as it was. */
    p->reg = registry_open(p->ref->registry, insecure, p->s->home, p->err, sizeof p->err);
    int rc = p->reg ? export_image(p, digest, &form) : -1;
    if (rc == 0) {
        find_sources(p);
        rc = push_index(p, form.digest);
    }
    if (rc == 0)
        printf("pushed %s %s (%d blobs uploaded, %d mounted, %d already there)\n", p->ref->name,
               form.digest, p->uploaded, p->mounted, p->present);
    if (rc != 0 && registry_interrupted(p->reg)) /* what arrived is kept: say so */
        add_resume_hint(p->err, sizeof p->err);
    registry_close(p->reg);
    json_decref(p->sources);
    return rc;
}

int cmd_push(int argc, char **argv)
{
    bool insecure = false;
    int at = cli_registry_options(argc, argv, &insecure, push_usage);
    if (at < 0)
        return EXIT_UNIKIT_ERROR;
    struct store s = {0};
    struct registry_ref ref;
    struct push p = {.s = &s, .ref = &ref};
    if (registry_parse_ref(argv[at], &ref, p.err, sizeof p.err) != 0) {
        cli_error("%s", p.err);
        return EXIT_UNIKIT_ERROR;
    }
    int rc = cli_open_store(&s) == 0 ? push(&p, insecure) : -2;
    if (rc == -1)
        cli_error("%s", p.err);
    store_close(&s);
    registry_ref_free(&ref);
    return rc == 0 ? 0 : EXIT_UNIKIT_ERROR;
}
