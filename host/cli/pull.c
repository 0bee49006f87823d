/*
 * unikit pull [--insecure] NAME[:TAG]
 *
 * Fetches the image index under the tag, every manifest it lists, and each
 * manifest's config and layer. Blobs already in the store (and intact) are
 * not fetched again, so a pull that failed half-way resumes. A downloaded
 * blob becomes part of the store only after its bytes hash to its digest;
 * the reference is set last, once every build it names is in place.
 *
 * An image in the standard OCI form (ociimage.h: what unikit pushes now) is
 * converted into the store's own format once its blobs are in; an image in
 * the store's format (pushed by an earlier unikit) is stored as it came. A
 * container image that is not a unikit image is refused, by its config,
 * before its layers are downloaded.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "ociimage.h"
#include "registry.h"
#include "util.h"

struct pull {
    struct store *s;
    struct registry *reg;
    struct registry_ref *ref;
    json_t *manifests; /* digest → bytes of each manifest, stored at the end */
    int fetched, present;
    bool refused; /* not a unikit image: what was downloaded for it goes */
    char err[1024];
};

static void pull_usage(FILE *out)
{
    fprintf(out, "Usage: unikit pull [--insecure] NAME[:TAG]\n\n"
                 "Downloads an image (all its architectures) from a registry.\n\n"
                 "      --insecure   allow plain HTTP and unverified TLS for this registry\n");
}

/* Options shared with push: --insecure, --help, one image name. */
int cli_registry_options(int argc, char **argv, bool *insecure, void (*usage)(FILE *))
{
    static const struct option opts[] = {
        {"insecure", no_argument, NULL, 'k'}, {"help", no_argument, NULL, 'h'}, {0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'k') {
            *insecure = true;
        } else if (c == 'h') {
            usage(stdout);
            exit(0);
        } else {
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return -1;
    }
    return optind;
}

static const char *type_of(json_t *doc)
{
    const char *t = json_string_value(json_object_get(doc, "mediaType"));
    return t ? t : "";
}

/* A config or layer blob: from the store if it is there intact, else downloaded. */
static int fetch_blob(struct pull *p, json_t *desc)
{
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    json_int_t size = json_integer_value(json_object_get(desc, "size"));
    char *path = store_blob_path(p->s, digest);
    if (!path || size < 0) {
        snprintf(p->err, sizeof p->err, "%s: a manifest has a bad descriptor", p->ref->name);
        free(path);
        return -1;
    }
    free(path);
    if (store_has_blob(p->s, digest, (uint64_t)size)) {
        p->present++;
        return 0;
    }
    char *tmp = NULL;
    int fd = store_blob_temp(p->s, &tmp, p->err, sizeof p->err);
    if (fd < 0)
        return -1;
    int rc = registry_blob_download(p->reg, p->ref->repo, digest, (uint64_t)size, fd, p->err,
                                    sizeof p->err);
    if (rc == 0)
        rc = store_commit_blob(p->s, fd, tmp, digest, p->err, sizeof p->err);
    else {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    p->fetched += rc == 0;
    return rc;
}

/*
 * Only unikit images: a container image's layers are not something unikit
 * can boot. One layer, and a config unikit knows; its labels are read next.
 */
static int check_unikit_manifest(struct pull *p, json_t *m)
{
    json_t *layers = json_object_get(m, "layers");
    const char *config_type = type_of(json_object_get(m, "config"));
    if ((strcmp(type_of(m), REGISTRY_MEDIA_MANIFEST) == 0 ||
         strcmp(type_of(m), REGISTRY_MEDIA_DOCKER_MANIFEST) == 0) &&
        oci_known_config_type(config_type) && json_array_size(layers) == 1)
        return 0;
    p->refused = true;
    snprintf(p->err, sizeof p->err, "%s is not a unikit image (manifest %s, config %s, %zu layers)",
             p->ref->name, *type_of(m) ? type_of(m) : "without a media type",
             *config_type ? config_type : "missing", json_array_size(layers));
    return -1;
}

/* A standard image's config says whether it is a unikit image: before its layer comes. */
static int check_config(struct pull *p, json_t *config)
{
    if (strcmp(type_of(config), UNIKIT_MEDIA_CONFIG) == 0)
        return 0;
    const char *digest = json_string_value(json_object_get(config, "digest"));
    int rc = oci_check_config(p->s, p->ref->name, digest, p->err, sizeof p->err);
    p->refused = rc != 0;
    return rc;
}

static int fetch_build(struct pull *p, const char *digest, const char *data, size_t len)
{
    json_t *m = json_loadb(data, len, 0, NULL);
    int rc = m ? check_unikit_manifest(p, m) : -1;
    if (!m)
        snprintf(p->err, sizeof p->err, "%s: manifest %s is not JSON", p->ref->name, digest);
    if (rc == 0)
        rc = fetch_blob(p, json_object_get(m, "config"));
    if (rc == 0)
        rc = check_config(p, json_object_get(m, "config"));
    if (rc == 0)
        rc = fetch_blob(p, json_array_get(json_object_get(m, "layers"), 0));
    if (rc == 0)
        json_object_set_new(p->manifests, digest, json_stringn(data, len));
    json_decref(m);
    return rc;
}

/* A manifest the index lists, by digest: the store's copy when it has one. */
static int fetch_listed_build(struct pull *p, json_t *desc)
{
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    char *path = store_blob_path(p->s, digest);
    if (!path) {
        snprintf(p->err, sizeof p->err, "%s: the image index has a bad descriptor", p->ref->name);
        return -1;
    }
    free(path);
    char *data = NULL, *type = NULL;
    size_t len = 0;
    int rc = 0;
    if (store_read_blob(p->s, digest, &data, &len, p->err, sizeof p->err) == 0)
        p->present++;
    else if ((rc = registry_manifest_get(p->reg, p->ref->repo, digest, &data, &len, &type, p->err,
                                         sizeof p->err)) == 0)
        p->fetched++;
    if (rc == 0)
        rc = fetch_build(p, digest, data, len);
    free(data);
    free(type);
    return rc;
}

static int fetch_index(struct pull *p, const char *data, size_t len)
{
    json_t *doc = json_loadb(data, len, 0, NULL);
    json_t *list = json_object_get(doc, "manifests");
    int rc = json_array_size(list) ? 0 : -1;
    if (rc != 0)
        snprintf(p->err, sizeof p->err, "%s: the image index lists no manifests", p->ref->name);
    size_t i;
    json_t *desc;
    json_array_foreach(list, i, desc)
    {
        const char *arch =
            json_string_value(json_object_get(json_object_get(desc, "platform"), "architecture"));
        if (rc == 0 && !(arch && strcmp(arch, "unknown") == 0)) /* attestations are not images */
            rc = fetch_listed_build(p, desc);
    }
    json_decref(doc);
    return rc;
}

/* Manifests go in after their blobs, so the store never names a blob it lacks. */
static int store_manifests(struct pull *p)
{
    const char *digest;
    json_t *text;
    json_object_foreach(p->manifests, digest, text)
    {
        char got[STORE_DIGEST_SIZE];
        if (store_put_blob(p->s, json_string_value(text), json_string_length(text), got, p->err,
                           sizeof p->err) != 0)
            return -1;
    }
    return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int pull_top(struct pull *p, char digest[STORE_DIGEST_SIZE], char stored[STORE_DIGEST_SIZE])
{
    char *data = NULL, *type = NULL;
    size_t len = 0;
    int rc = registry_manifest_get(p->reg, p->ref->repo, p->ref->tag, &data, &len, &type, p->err,
                                   sizeof p->err);
    json_t *doc = rc == 0 ? json_loadb(data, len, 0, NULL) : NULL;
    const char *kind = doc && *type_of(doc) ? type_of(doc) : type ? type : "";
    if (rc == 0 && (starts_with(kind, REGISTRY_MEDIA_INDEX) ||
                    starts_with(kind, "application/vnd.docker.distribution.manifest.list.v2")))
        rc = fetch_index(p, data, len);
    else if (rc == 0 && (starts_with(kind, REGISTRY_MEDIA_MANIFEST) ||
                         starts_with(kind, REGISTRY_MEDIA_DOCKER_MANIFEST)))
        rc = fetch_build(p, "", data, len);
    else if (rc == 0) {
        snprintf(p->err, sizeof p->err, "%s is not a unikit image (%s)", p->ref->name,
                 *kind ? kind : "no media type");
        rc = -1;
    }
    json_object_del(p->manifests, "");
    if (rc == 0)
        rc = store_manifests(p);
    if (rc == 0)
        rc = store_put_blob(p->s, data, len, digest, p->err, sizeof p->err);
    if (rc == 0 && (rc = oci_import(p->s, p->ref->name, digest, stored, p->err, sizeof p->err)))
        p->refused = true;
    json_decref(doc);
    free(data);
    free(type);
    return rc;
}

/* Appends to err that running pull again resumes, as long as it still fits one line. */
static void add_resume_hint(char *err, size_t len)
{
    size_t used = strlen(err);
    snprintf(err + used, len - used, "; running pull again resumes where it stopped");
}

static int pull(struct pull *p, bool insecure)
{
    char digest[STORE_DIGEST_SIZE], stored[STORE_DIGEST_SIZE];
    if (store_lock(p->s, p->err, sizeof p->err) != 0)
        return -1;
    p->reg = registry_open(p->ref->registry, insecure, p->s->home, p->err, sizeof p->err);
    int rc = p->reg ? pull_top(p, digest, stored) : -1;
    if (rc == 0)
        rc = store_set_ref(p->s, p->ref->name, stored, p->err, sizeof p->err);
    if (rc != 0 && p->refused) { /* nothing to resume: take back what came for it */
        char ignored[256];
        store_gc(p->s, ignored, sizeof ignored);
    }
    if (rc == 0) {
        char ignored[256];
        store_gc(p->s, ignored, sizeof ignored); /* an image the tag named before */
        printf("pulled %s %s (%d blobs downloaded, %d already present)\n", p->ref->name, digest,
               p->fetched, p->present);
    }
    if (rc != 0 && registry_interrupted(p->reg)) /* what arrived is kept: say so */
        add_resume_hint(p->err, sizeof p->err);
    registry_close(p->reg);
    return rc;
}

int cmd_pull(int argc, char **argv)
{
    bool insecure = false;
    int at = cli_registry_options(argc, argv, &insecure, pull_usage);
    if (at < 0)
        return EXIT_UNIKIT_ERROR;
    struct store s = {0};
    struct registry_ref ref;
    struct pull p = {.s = &s, .ref = &ref};
    if (registry_parse_ref(argv[at], &ref, p.err, sizeof p.err) != 0) {
        cli_error("%s", p.err);
        return EXIT_UNIKIT_ERROR;
    }
    if (cli_open_store(&s) < 0) {
        registry_ref_free(&ref);
        return EXIT_UNIKIT_ERROR;
    }
    p.manifests = json_object();
    int rc = pull(&p, insecure);
    if (rc != 0)
        cli_error("%s", p.err);
    json_decref(p.manifests);
    store_close(&s);
    registry_ref_free(&ref);
    return rc == 0 ? 0 : EXIT_UNIKIT_ERROR;
}
