/*
 * The image store: an OCI image layout (see store.h), opened, locked and
 * indexed here; store_internal.h lists the files that do the rest.
 *
 *   images/oci-layout              {"imageLayoutVersion":"1.0.0"}
 *   images/index.json              one image-index descriptor per reference
 *   images/blobs/sha256/HEX        content-addressed blobs
 *
 * Every blob is written under a temporary name and renamed into place, and
 * index.json is replaced the same way, so a reader sees the old store or the
 * new one, never half of either. Writers (put, remove, gc) serialize on a lock
 * of the images directory. Blobs are trusted only after their content hashes
 * to their name.
 */
#include "store_internal.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAYOUT_JSON "{\"imageLayoutVersion\":\"1.0.0\"}"
/* The same bytes json_dumps(JSON_FLAGS) gives for an empty index. */
#define EMPTY_INDEX_JSON                                                                           \
    "{\"manifests\":[],\"mediaType\":\"" MEDIA_OCI_INDEX "\",\"schemaVersion\":2}"

/* ---- architectures ------------------------------------------------------- */

/* unikit speaks the kernel's names; OCI platforms use Go's. */
static const struct {
    const char *unikit;
    const char *oci;
} arch_names[] = {
    {"x86_64", "amd64"},
    {"aarch64", "arm64"},
};

const char *store_oci_arch(const char *arch)
{
    for (size_t i = 0; arch && i < sizeof arch_names / sizeof arch_names[0]; i++)
        if (str_eq(arch, arch_names[i].unikit) || str_eq(arch, arch_names[i].oci))
            return arch_names[i].oci;
    return NULL;
}

const char *store_unikit_arch(const char *arch)
{
    for (size_t i = 0; arch && i < sizeof arch_names / sizeof arch_names[0]; i++)
        if (str_eq(arch, arch_names[i].unikit) || str_eq(arch, arch_names[i].oci))
            return arch_names[i].unikit;
    return NULL;
}

/* ---- paths and files ----------------------------------------------------- */

char *blobs_dir(const struct store *s)
{
    return xasprintf("%s/blobs/sha256", s->dir);
}

char *blob_path(const struct store *s, const char *digest)
{
    return xasprintf("%s/blobs/sha256/%s", s->dir, digest + strlen(DIGEST_PREFIX));
}

char *index_path(const struct store *s)
{
    return xasprintf("%s/index.json", s->dir);
}

/* Allocation failure in a short-lived command has no useful recovery. */
char *json_text(json_t *doc)
{
    char *text = json_dumps(doc, JSON_FLAGS);
    if (!text) {
        fputs("unikit: out of memory\n", stderr);
        abort();
    }
    return text;
}

int store_write_failed(const char *path, int e, char *err, size_t errlen)
{
    if (e == ENOSPC || e == EDQUOT)
        return errorf(err, errlen, "no space left on device for the image store (writing %s)",
                      path);
    return errorf(err, errlen, "%s: %s", path, strerror(e));
}

int write_failed(const char *path, char *err, size_t errlen)
{
    return store_write_failed(path, errno, err, errlen);
}

static int make_dirs(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0; /* the store's directories, on every run but the first */
    if (mkdir_p(path, 0755) != 0)
        return write_failed(path, err, errlen);
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return errorf(err, errlen, "%s: not a directory", path);
    return 0;
}

/* Opens a new temporary file in dir (same file system, so rename is atomic). */
int temp_file(const char *dir, char **tmp_path, char *err, size_t errlen)
{
    *tmp_path = xasprintf("%s/.tmp-XXXXXX", dir);
    int fd = mkstemp(*tmp_path);
    if (fd < 0)
        return write_failed(dir, err, errlen);
    /* mkstemp makes 0600; blobs are as readable as any other file of the user's. */
    fchmod(fd, 0644);
    return fd;
}

/* Best effort: the rename has happened; this only makes it survive a crash. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/*
 * Moves a fully written temporary file to path. replace=false never clobbers
 * an existing file (link fails instead), for files created on first use.
 * Closes fd, and removes tmp whatever happens.
 */
int commit_temp(int fd, const char *tmp, const char *dir, const char *path, bool replace, char *err,
                size_t errlen)
{
    int rc = 0;
    if (fsync(fd) != 0)
        rc = write_failed(tmp, err, errlen);
    if (close(fd) != 0 && rc == 0)
        rc = write_failed(tmp, err, errlen);
    if (rc == 0 && replace && rename(tmp, path) != 0)
        rc = errorf(err, errlen, "%s: %s", path, strerror(errno));
    if (rc == 0 && !replace && link(tmp, path) != 0 && errno != EEXIST)
        rc = errorf(err, errlen, "%s: %s", path, strerror(errno));
    if (rc != 0 || !replace)
        unlink(tmp);
    if (rc == 0)
        sync_dir(dir);
    return rc;
}

int write_store_file(const char *dir, const char *path, const void *data, size_t len, bool replace,
                     char *err, size_t errlen)
{
    char *tmp = NULL;
    int fd = temp_file(dir, &tmp, err, errlen);
    int rc = fd < 0 ? -1 : 0;
    if (rc == 0 && write_all(fd, data, len) != 0) {
        rc = write_failed(tmp, err, errlen);
        close(fd);
        unlink(tmp);
    }
    if (rc == 0)
        rc = commit_temp(fd, tmp, dir, path, replace, err, errlen);
    free(tmp);
    return rc;
}

/* Creates dir/name with content unless it exists; never overwrites. */
static int ensure_file(const char *dir, const char *name, const char *content, char *err,
                       size_t errlen)
{
    char *path = xasprintf("%s/%s", dir, name);
    struct stat st;
    int rc = 0;
    if (stat(path, &st) != 0)
        rc = write_store_file(dir, path, content, strlen(content), false, err, errlen);
    free(path);
    return rc;
}

/* ---- opening and locking ------------------------------------------------ */

static char *absolute_path(const char *path)
{
    if (path[0] == '/')
        return xstrdup(path);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return NULL;
    char *abs = xasprintf("%s/%s", cwd, path);
    free(cwd);
    return abs;
}

static int check_layout_version(const struct store *s, char *err, size_t errlen)
{
    char *path = xasprintf("%s/oci-layout", s->dir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    const char *version = json_string_value(json_object_get(doc, "imageLayoutVersion"));
    int rc = 0;
    if (!doc)
        rc = errorf(err, errlen, "%s: corrupted (%s)", path, jerr.text);
    else if (!version || strncmp(version, "1.", 2) != 0)
        rc = errorf(err, errlen, "%s: unsupported image layout version '%s'", path,
                    or_empty(version));
    json_decref(doc);
    free(path);
    return rc;
}

static int create_layout(const struct store *s, char *err, size_t errlen)
{
    char *blobs = blobs_dir(s);
    int rc = make_dirs(blobs, err, errlen);
    free(blobs);
    if (rc == 0)
        rc = ensure_file(s->dir, "oci-layout", LAYOUT_JSON, err, errlen);
    if (rc == 0)
        rc = ensure_file(s->dir, "index.json", EMPTY_INDEX_JSON, err, errlen);
    if (rc == 0)
        rc = check_layout_version(s, err, errlen);
    return rc;
}

int store_open(struct store *s, const char *home, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    if (!home || !*home)
        return errorf(err, errlen, "no store directory given");
    s->home = absolute_path(home);
    if (!s->home)
        return errorf(err, errlen, "%s: %s", home, strerror(errno));
    s->dir = xasprintf("%s/images", s->home);
    if (create_layout(s, err, errlen) != 0) {
        store_close(s);
        return -1;
    }
    return 0;
}

void store_close(struct store *s)
{
    store_unlock(s);
    free(s->home);
    free(s->dir);
    s->home = s->dir = NULL;
}

/* Writers hold this lock, so concurrent puts cannot lose each other's updates. */
int lock_store(const struct store *s, char *err, size_t errlen)
{
    /* Under store_lock: a duplicate shares the held lock, and closing it keeps the lock. */
    if (s->locked) {
        int dup_fd = fcntl(s->lock_fd, F_DUPFD_CLOEXEC, 0);
        return dup_fd >= 0 ? dup_fd : errorf(err, errlen, "%s: %s", s->dir, strerror(errno));
    }
    int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errorf(err, errlen, "%s: %s", s->dir, strerror(errno));
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return errorf(err, errlen, "%s: cannot lock: %s", s->dir, strerror(e));
        }
    }
    return fd;
}

int store_lock(struct store *s, char *err, size_t errlen)
{
    if (s->locked)
        return 0;
    int fd = lock_store(s, err, errlen);
    if (fd < 0)
        return -1;
    s->lock_fd = fd;
    s->locked = true;
    return 0;
}

void store_unlock(struct store *s)
{
    if (!s->locked)
        return;
    close(s->lock_fd);
    s->locked = false;
}

/* ---- index.json ---------------------------------------------------------- */

json_t *manifests_of(json_t *doc)
{
    return json_object_get(doc, "manifests");
}

json_t *load_index(const struct store *s, char *err, size_t errlen)
{
    char *path = index_path(s);
    json_error_t jerr;
    json_t *index = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        errorf(err, errlen, "%s: %s", path, strerror(errno));
    else if (!(index = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)))
        errorf(err, errlen, "%s: corrupted (%s)", path, jerr.text);
    else if (!json_is_array(manifests_of(index))) {
        errorf(err, errlen, "%s: corrupted (no manifests array)", path);
        json_decref(index);
        index = NULL;
    }
    free(path);
    return index;
}

int save_store_json(const struct store *s, const char *path, json_t *doc, char *err, size_t errlen)
{
    char *text = json_text(doc);
    int rc = write_store_file(s->dir, path, text, strlen(text), true, err, errlen);
    free(text);
    return rc;
}

int save_index(const struct store *s, json_t *index, char *err, size_t errlen)
{
    char *path = index_path(s);
    int rc = save_store_json(s, path, index, err, errlen);
    free(path);
    return rc;
}

const char *ref_name_of(json_t *desc)
{
    return json_string_value(json_object_get(json_object_get(desc, "annotations"), ANNOTATION_REF));
}

json_t *find_ref(json_t *manifests, const char *ref, size_t *at)
{
    size_t i;
    json_t *desc;
    json_array_foreach(manifests, i, desc)
    {
        if (str_eq(ref_name_of(desc), ref)) {
            if (at)
                *at = i;
            return desc;
        }
    }
    return NULL;
}

void set_ref_entry(json_t *index, const char *ref, json_t *entry)
{
    size_t at;
    if (find_ref(manifests_of(index), ref, &at))
        json_array_set_new(manifests_of(index), at, entry);
    else
        json_array_append_new(manifests_of(index), entry);
}

void store_strings_free(char **v)
{
    strv_free(v);
}
