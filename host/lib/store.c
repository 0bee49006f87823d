/*
 * The image store: an OCI image layout (see store.h).
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
#include "store.h"

#include "blob.h"
#include "util.h"
#include "verified.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#define MEDIA_OCI_INDEX       "application/vnd.oci.image.index.v1+json"
#define MEDIA_OCI_MANIFEST    "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_DOCKER_LIST     "application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define ANNOTATION_REF        "org.opencontainers.image.ref.name"
#define ANNOTATION_CREATED    "org.opencontainers.image.created"

#define LAYOUT_JSON "{\"imageLayoutVersion\":\"1.0.0\"}"
/* The same bytes json_dumps(JSON_FLAGS) gives for an empty index. */
#define EMPTY_INDEX_JSON                                                                           \
    "{\"manifests\":[],\"mediaType\":\"" MEDIA_OCI_INDEX "\",\"schemaVersion\":2}"

/* Sorted keys and no whitespace: the same image always hashes the same. */
#define JSON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)

#define DIGEST_PREFIX BLOB_DIGEST_PREFIX
#define DIGEST_LEN    BLOB_DIGEST_LEN
/* Index, manifest and config blobs are small; a huge one is damage, not data. */
#define MAX_JSON_BLOB (16u << 20)
#define MAX_REF_LEN   255
#define MAX_TAG_LEN   128

struct blob_ref {
    char digest[DIGEST_LEN + 1];
    uint64_t size;
};

/* ---- small helpers ------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Allocation failure in a short-lived command has no useful recovery. */
static void *check_alloc(void *p)
{
    if (!p) {
        fputs("unikit: out of memory\n", stderr);
        abort();
    }
    return p;
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static void free_vector(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

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

/* The host's architecture in unikit's naming, into buf. */

/* ---- paths and files ----------------------------------------------------- */

static char *blobs_dir(const struct store *s)
{
    return xasprintf("%s/blobs/sha256", s->dir);
}

static char *blob_path(const struct store *s, const char *digest)
{
    return xasprintf("%s/blobs/sha256/%s", s->dir, digest + strlen(DIGEST_PREFIX));
}

static char *index_path(const struct store *s)
{
    return xasprintf("%s/index.json", s->dir);
}

int store_write_failed(const char *path, int e, char *err, size_t errlen)
{
    if (e == ENOSPC || e == EDQUOT)
        return fail(err, errlen, "no space left on device for the image store (writing %s)", path);
    return fail(err, errlen, "%s: %s", path, strerror(e));
}

static int write_failed(const char *path, char *err, size_t errlen)
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
        return fail(err, errlen, "%s: not a directory", path);
    return 0;
}

/* Opens a new temporary file in dir (same file system, so rename is atomic). */
static int temp_file(const char *dir, char **tmp_path, char *err, size_t errlen)
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
static int commit_temp(int fd, const char *tmp, const char *dir, const char *path, bool replace,
                       char *err, size_t errlen)
{
    int rc = 0;
    if (fsync(fd) != 0)
        rc = write_failed(tmp, err, errlen);
    if (close(fd) != 0 && rc == 0)
        rc = write_failed(tmp, err, errlen);
    if (rc == 0 && replace && rename(tmp, path) != 0)
        rc = fail(err, errlen, "%s: %s", path, strerror(errno));
    if (rc == 0 && !replace && link(tmp, path) != 0 && errno != EEXIST)
        rc = fail(err, errlen, "%s: %s", path, strerror(errno));
    if (rc != 0 || !replace)
        unlink(tmp);
    if (rc == 0)
        sync_dir(dir);
    return rc;
}

static int write_file_atomic(const char *dir, const char *path, const void *data, size_t len,
                             bool replace, char *err, size_t errlen)
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
        rc = write_file_atomic(dir, path, content, strlen(content), false, err, errlen);
    free(path);
    return rc;
}

/* ---- opening ------------------------------------------------------------- */

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
        rc = fail(err, errlen, "%s: corrupted (%s)", path, jerr.text);
    else if (!version || strncmp(version, "1.", 2) != 0)
        rc =
            fail(err, errlen, "%s: unsupported image layout version '%s'", path, or_empty(version));
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
        return fail(err, errlen, "no store directory given");
    s->home = absolute_path(home);
    if (!s->home)
        return fail(err, errlen, "%s: %s", home, strerror(errno));
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
static int lock_store(const struct store *s, char *err, size_t errlen)
{
    /* Under store_lock: a duplicate shares the held lock, and closing it keeps the lock. */
    if (s->locked) {
        int dup_fd = fcntl(s->lock_fd, F_DUPFD_CLOEXEC, 0);
        return dup_fd >= 0 ? dup_fd : fail(err, errlen, "%s: %s", s->dir, strerror(errno));
    }
    int fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, "%s: %s", s->dir, strerror(errno));
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return fail(err, errlen, "%s: cannot lock: %s", s->dir, strerror(e));
        }
    }
    return fd;
}

/* ---- references ---------------------------------------------------------- */

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A repository path component: [a-z0-9] with . _ - inside. */
static bool path_component_valid(const char *s, size_t len)
{
    if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* A host name: [a-z0-9] with . - inside. */
static bool hostname_valid(const char *s, size_t len)
{
    if (len == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '.' && s[i] != '-')
            return false;
    return true;
}

/* An IPv6 literal in brackets, "[::1]", as docker's reference grammar has it. */
static bool ipv6_literal_valid(const char *s, size_t len)
{
    if (len < 3 || s[0] != '[' || s[len - 1] != ']')
        return false;
    for (size_t i = 1; i + 1 < len; i++)
        if (!isxdigit((unsigned char)s[i]) && s[i] != ':')
            return false;
    return true;
}

static bool port_valid(const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

/* A registry: a host name or a bracketed IPv6 address, optionally ":PORT". */
static bool registry_valid(const char *s, size_t len)
{
    /* An IPv6 address has colons of its own: the port's comes after the ']'. */
    const char *close = s[0] == '[' ? memchr(s, ']', len) : NULL;
    const char *host_end = close ? close + 1 : s;
    const char *colon = memchr(host_end, ':', len - (size_t)(host_end - s));
    size_t host_len = colon ? (size_t)(colon - s) : len;
    bool host_ok = s[0] == '[' ? ipv6_literal_valid(s, host_len) : hostname_valid(s, host_len);
    return host_ok && (!colon || port_valid(colon + 1, len - host_len - 1));
}

static bool name_valid(const char *name, size_t len)
{
    const char *end = name + len;
    bool first = true;
    for (const char *p = name; p <= end; first = false) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        const char *stop = slash ? slash : end;
        /* Only a leading component followed by more path can be a registry. */
        bool ok = first && slash ? registry_valid(p, (size_t)(stop - p))
                                 : path_component_valid(p, (size_t)(stop - p));
        if (!ok)
            return false;
        p = stop + 1;
    }
    return true;
}

static bool tag_valid(const char *tag)
{
    size_t len = strlen(tag);
    if (len == 0 || len > MAX_TAG_LEN || tag[0] == '.' || tag[0] == '-')
        return false;
    for (const char *p = tag; *p; p++)
        if (!is_lower_alnum(*p) && *p != '_' && *p != '.' && *p != '-')
            return false;
    return true;
}

char *store_normalize_ref(const char *ref)
{
    if (!ref || !*ref || strlen(ref) > MAX_REF_LEN)
        return NULL;
    /* A tag's colon comes after the last '/'; one before it is a registry port. */
    const char *last_slash = strrchr(ref, '/');
    const char *colon = strchr(last_slash ? last_slash + 1 : ref, ':');
    size_t name_len = colon ? (size_t)(colon - ref) : strlen(ref);
    const char *tag = colon ? colon + 1 : "latest";
    if (!name_valid(ref, name_len) || !tag_valid(tag))
        return NULL;
    return xasprintf("%.*s:%s", (int)name_len, ref, tag);
}

/* ---- index.json ---------------------------------------------------------- */

static json_t *manifests_of(json_t *doc)
{
    return json_object_get(doc, "manifests");
}

static json_t *load_index(const struct store *s, char *err, size_t errlen)
{
    char *path = index_path(s);
    json_error_t jerr;
    json_t *index = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        fail(err, errlen, "%s: %s", path, strerror(errno));
    else if (!(index = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)))
        fail(err, errlen, "%s: corrupted (%s)", path, jerr.text);
    else if (!json_is_array(manifests_of(index))) {
        fail(err, errlen, "%s: corrupted (no manifests array)", path);
        json_decref(index);
        index = NULL;
    }
    free(path);
    return index;
}

static int save_index(const struct store *s, json_t *index, char *err, size_t errlen)
{
    char *text = check_alloc(json_dumps(index, JSON_FLAGS));
    char *path = index_path(s);
    int rc = write_file_atomic(s->dir, path, text, strlen(text), true, err, errlen);
    free(path);
    free(text);
    return rc;
}

static const char *ref_name_of(json_t *desc)
{
    return json_string_value(json_object_get(json_object_get(desc, "annotations"), ANNOTATION_REF));
}

static json_t *find_ref(json_t *manifests, const char *ref, size_t *at)
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

/* ---- blobs --------------------------------------------------------------- */

static json_t *descriptor_json(const char *media_type, const struct blob_ref *b)
{
    return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", b->digest, "size",
                     (json_int_t)b->size);
}

/* Reads a descriptor found in `where` (a file's name, for the error). */
static int descriptor_read(json_t *desc, const char *where, struct blob_ref *out, char *err,
                           size_t errlen)
{
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    json_t *size = json_object_get(desc, "size");
    if (!blob_digest_valid(digest) || !json_is_integer(size) || json_integer_value(size) < 0)
        return fail(err, errlen, "%s: corrupted (bad descriptor)", where);
    memcpy(out->digest, digest, DIGEST_LEN + 1);
    out->size = (uint64_t)json_integer_value(size);
    return 0;
}

int store_verify_blob(struct store *s, const char *digest, char *err, size_t errlen)
{
    if (!blob_digest_valid(digest))
        return fail(err, errlen, "invalid digest '%s'", or_empty(digest));
    char *path = blob_path(s, digest);
    int fd = blob_open(path, digest, BLOB_ANY_SIZE, NULL, err, errlen);
    int rc = fd < 0 ? -1 : blob_check_fd(fd, path, digest, err, errlen);
    if (fd >= 0)
        close(fd);
    free(path);
    return rc;
}

/* The blob is there, of that size (checked before it is hashed), and hashes to its name. */
static bool blob_intact(struct store *s, const char *digest, uint64_t size)
{
    char ignored[8];
    int fd = store_open_blob(s, digest, size, ignored, sizeof ignored);
    if (fd >= 0)
        close(fd);
    return fd >= 0;
}

/* An intact blob of the same digest already holds these bytes; a damaged one is replaced. */
static int put_blob_bytes(struct store *s, const void *data, size_t len, struct blob_ref *out,
                          char *err, size_t errlen)
{
    blob_digest_bytes(data, len, out->digest);
    out->size = len;
    if (blob_intact(s, out->digest, len))
        return 0;
    char *dir = blobs_dir(s);
    char *path = blob_path(s, out->digest);
    int rc = write_file_atomic(dir, path, data, len, true, err, errlen);
    free(path);
    free(dir);
    return rc;
}

static int put_json_blob(struct store *s, json_t *doc, struct blob_ref *out, char *err,
                         size_t errlen)
{
    char *text = check_alloc(json_dumps(doc, JSON_FLAGS));
    int rc = put_blob_bytes(s, text, strlen(text), out, err, errlen);
    free(text);
    return rc;
}

/* Copies in to out_fd, then names what was written by hashing it back. */
static int copy_hashing(int in, const char *src, int out_fd, const char *tmp, struct blob_ref *out,
                        char *err, size_t errlen)
{
    unsigned char buf[65536];
    uint64_t total = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            break;
        if (n < 0)
            return fail(err, errlen, "%s: %s", src, strerror(errno));
        if (write_all(out_fd, buf, (size_t)n) != 0)
            return write_failed(tmp, err, errlen);
        total += (uint64_t)n;
    }
    if (lseek(out_fd, 0, SEEK_SET) != 0 || blob_hash_fd(out_fd, out->digest) != 0)
        return fail(err, errlen, "%s: %s", tmp, strerror(errno));
    out->size = total;
    return 0;
}

static int open_regular(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "%s: not a regular file", path);
    }
    return fd;
}

/* Copies src into the store, hashing as it goes (the name is known only at the end). */
static int put_blob_file(struct store *s, const char *src, struct blob_ref *out, char *err,
                         size_t errlen)
{
    int in = open_regular(src, err, errlen);
    if (in < 0)
        return -1;
    char *dir = blobs_dir(s);
    char *tmp = NULL;
    int fd = temp_file(dir, &tmp, err, errlen);
    int rc = fd < 0 ? -1 : copy_hashing(in, src, fd, tmp, out, err, errlen);
    close(in);
    if (rc == 0 && blob_intact(s, out->digest, out->size)) {
        close(fd);
        unlink(tmp);
    } else if (rc == 0) {
        char *path = blob_path(s, out->digest);
        rc = commit_temp(fd, tmp, dir, path, true, err, errlen);
        free(path);
    } else if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    free(dir);
    return rc;
}

static int read_exactly(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

/*
 * Reads a small blob whole, trusting it only if its content hashes to its
 * name: of `size` bytes (BLOB_ANY_SIZE: what is on disk), checked before a
 * byte is read. NUL-terminated; its length in *len.
 */
static char *read_blob(const struct store *s, const char *digest, uint64_t size, size_t *len,
                       char *err, size_t errlen)
{
    char *path = blob_path(s, digest);
    char *data = NULL;
    uint64_t actual = 0;
    int fd = blob_open(path, digest, size, &actual, err, errlen);
    if (fd >= 0 && actual > MAX_JSON_BLOB)
        fail(err, errlen, "image blob %s is corrupted (%llu bytes, more than metadata can be)",
             digest, (unsigned long long)actual);
    else if (fd >= 0 && read_exactly(fd, data = check_alloc(malloc(actual + 1)), actual) != 0) {
        fail(err, errlen, "image blob %s: %s: cannot read it whole", digest, path);
        free(data);
        data = NULL;
    }
    if (fd >= 0)
        close(fd);
    free(path);
    char hash[DIGEST_LEN + 1];
    if (data)
        blob_digest_bytes(data, actual, hash);
    if (data && strcmp(hash, digest) != 0) {
        fail(err, errlen, "image blob %s is corrupted (content hash %s)", digest, hash);
        free(data);
        return NULL;
    }
    if (data) {
        data[actual] = '\0';
        *len = actual;
    }
    return data;
}

/* Loads a JSON blob its descriptor b names. */
static json_t *load_json_blob(const struct store *s, const struct blob_ref *b, char *err,
                              size_t errlen)
{
    size_t len = 0;
    char *data = read_blob(s, b->digest, b->size, &len, err, errlen);
    if (!data)
        return NULL;
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        fail(err, errlen, "image blob %s: corrupted (%s)", b->digest, jerr.text);
    free(data);
    return doc;
}

/* ---- writing an image ---------------------------------------------------- */

static void format_rfc3339(time_t t, char out[32])
{
    struct tm tm;
    utc_to_tm(t, &tm);
    if (!strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, 32, "1970-01-01T00:00:00Z");
}

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
    format_rfc3339(config->created, created);
    if (put_blob_file(s, image_file, &layer, err, errlen) != 0)
        return -1;
    json_t *doc = config_json(config, created);
    if (!doc)
        return fail(err, errlen, "%s: command, environment and ports must be UTF-8 text",
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

static const char *platform_arch_of(json_t *desc)
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
    json_t **items = check_alloc(calloc(n + 1, sizeof *items));
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(array, i));
    qsort(items, n, sizeof *items, compare);
    json_array_clear(array);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(array, items[i]);
    free(items);
}

/* The ref's image index with `manifest` as its build for arch, other builds kept. */
static json_t *merged_image_index(json_t *old_manifests, const struct blob_ref *manifest,
                                  const char *arch)
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

static json_t *ref_descriptor_json(const char *ref, const struct blob_ref *image_index)
{
    json_t *desc = descriptor_json(MEDIA_OCI_INDEX, image_index);
    json_object_set_new(desc, "annotations", json_pack("{s:s}", ANNOTATION_REF, ref));
    return desc;
}

/* Loads the image index a ref's entry in index.json names. */
static json_t *load_image_index(const struct store *s, json_t *entry, char *err, size_t errlen)
{
    char *where = index_path(s);
    struct blob_ref b;
    json_t *doc = NULL;
    if (!str_eq(json_string_value(json_object_get(entry, "mediaType")), MEDIA_OCI_INDEX))
        fail(err, errlen, "%s: corrupted ('%s' is not an image index)", where,
             or_empty(ref_name_of(entry)));
    else if (descriptor_read(entry, where, &b, err, errlen) == 0 &&
             (doc = load_json_blob(s, &b, err, errlen)) && !json_is_array(manifests_of(doc))) {
        fail(err, errlen, "image blob %s: corrupted (no manifests array)", b.digest);
        json_decref(doc);
        doc = NULL;
    }
    free(where);
    return doc;
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

static void set_ref_entry(json_t *index, const char *ref, json_t *entry)
{
    size_t at;
    if (find_ref(manifests_of(index), ref, &at))
        json_array_set_new(manifests_of(index), at, entry);
    else
        json_array_append_new(manifests_of(index), entry);
}

static int collect_garbage(struct store *s, char *err, size_t errlen);

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
        return fail(err, errlen, "no image given for '%s'", or_empty(ref));
    if (!store_oci_arch(config->arch))
        return fail(err, errlen, "unsupported architecture '%s'", or_empty(config->arch));
    if (config->memory > (uint64_t)INT64_MAX)
        return fail(err, errlen, "memory size %llu is too large",
                    (unsigned long long)config->memory);
    return 0;
}

int store_put(struct store *s, const char *ref, const struct image_config *config,
              const char *image_file, char *err, size_t errlen)
{
    char *name = store_normalize_ref(ref);
    if (!name)
        return fail(err, errlen, "invalid reference format: '%s'", or_empty(ref));
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

/* ---- reading an image ---------------------------------------------------- */

/* A vector of the strings in array; a missing or null array is empty. */
static int string_vector(json_t *array, char ***out)
{
    *out = NULL;
    if (array && !json_is_null(array) && !json_is_array(array))
        return -1;
    size_t n = json_array_size(array);
    char **v = check_alloc(calloc(n + 1, sizeof *v));
    for (size_t i = 0; i < n; i++) {
        const char *str = json_string_value(json_array_get(array, i));
        if (!str) {
            free_vector(v);
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

static int parse_config(json_t *doc, const char *digest, struct image_config *out, char *err,
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
        return fail(err, errlen, "image blob %s: corrupted (not a unikit image config)", digest);
    out->arch = xstrdup(arch);
    out->memory = (uint64_t)json_integer_value(memory);
    /* Absent in images built before it was recorded: those get no NIC. */
    out->net = json_is_true(json_object_get(unikit, "net"));
    json_t *spec = json_object_get(unikit, "specialization");
    out->specialization = json_is_object(spec) ? json_dumps(spec, JSON_COMPACT) : NULL;
    return 0;
}

static bool descriptor_has_type(json_t *desc, const char *media_type)
{
    return str_eq(json_string_value(json_object_get(desc, "mediaType")), media_type);
}

/* The config and (single) layer descriptors of a unikit manifest. */
static int manifest_parts(json_t *manifest, const char *digest, struct blob_ref *config,
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
        rc = fail(err, errlen, "%s: not a unikit image manifest", where);
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
    return fail(err, errlen, "image blob %s: corrupted (a %s build listed as %s)", digest,
                config->arch, or_empty(platform_arch_of(build)));
}

/* Fills out from one build (a manifest descriptor in a ref's image index). */
static int load_build(const struct store *s, const char *ref, json_t *build,
                      struct store_image *out, char *err, size_t errlen)
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
        rc = parse_config(config, config_ref.digest, &out->config, err, errlen);
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
        fail(err, errlen, "no such image: %s", user_ref);
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
    fail(err, errlen, "image '%s' has no %s build (it has: %s)", user_ref,
         store_unikit_arch(want) ? store_unikit_arch(want) : want, have);
    return NULL;
}

int store_get(struct store *s, const char *ref, const char *arch, struct store_image *out,
              char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *name = store_normalize_ref(ref);
    if (!name)
        return fail(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    json_t *image_index = resolve_ref(s, name, ref, err, errlen);
    json_t *build = image_index ? choose_build(image_index, ref, arch, err, errlen) : NULL;
    int rc = build ? load_build(s, name, build, out, err, errlen) : -1;
    json_decref(image_index);
    free(name);
    return rc;
}

/* ---- listing ------------------------------------------------------------- */

struct strv {
    char **v;
    size_t n, cap;
};

struct image_list {
    struct store_image *items;
    size_t count;
    size_t capacity;
};

static struct store_image *list_slot(struct image_list *list)
{
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 8;
        list->items = check_alloc(reallocarray(list->items, list->capacity, sizeof *list->items));
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
        if ((rc = load_build(s, ref_name_of(entry), build, list_slot(list), err, errlen)) != 0)
            break;
        list->count++;
    }
    for (; rc != 0 && list->count > first; list->count--)
        store_image_free(&list->items[list->count - 1]);
    json_decref(image_index);
    return rc;
}

/* One ref could not be read: noted in *bad and skipped, or (bad NULL) the end of the list. */
static int list_ref_failed(const char *ref, const char *why, struct strv *bad)
{
    if (!bad)
        return -1;
    if (bad->n + 2 > bad->cap) {
        bad->cap = bad->cap ? bad->cap * 2 : 4;
        bad->v = check_alloc(reallocarray(bad->v, bad->cap, sizeof *bad->v));
    }
    bad->v[bad->n++] = xasprintf("%s: %s", ref, why);
    bad->v[bad->n] = NULL;
    return 0;
}

int store_get_all(struct store *s, const char *ref, struct store_image **out, size_t *count,
                  char *err, size_t errlen)
{
    *out = NULL;
    *count = 0;
    char *name = store_normalize_ref(ref);
    if (!name)
        return fail(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    json_t *index = load_index(s, err, errlen);
    json_t *entry = index ? find_ref(manifests_of(index), name, NULL) : NULL;
    struct image_list list = {0};
    int rc = !index ? -1 : !entry ? 1 : list_ref(s, entry, &list, err, errlen);
    if (rc == 1)
        fail(err, errlen, "no such image: %s", ref);
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
    struct strv broken = {0};
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

/* ---- removing and garbage collection ------------------------------------- */

static bool has_children(json_t *desc)
{
    return descriptor_has_type(desc, MEDIA_OCI_INDEX) ||
           descriptor_has_type(desc, MEDIA_OCI_MANIFEST) ||
           descriptor_has_type(desc, MEDIA_DOCKER_LIST) ||
           descriptor_has_type(desc, MEDIA_DOCKER_MANIFEST);
}

static int mark_descriptor(struct store *s, json_t *desc, json_t *live, char *err, size_t errlen);

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
static int mark_descriptor(struct store *s, json_t *desc, json_t *live, char *err, size_t errlen)
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
    int rc = d ? 0 : fail(err, errlen, "%s: %s", dir, strerror(errno));
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!is_garbage(e->d_name, live))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) != 0 && rc == 0)
            rc = fail(err, errlen, "%s/%s: %s", dir, e->d_name, strerror(errno));
        char *record = xasprintf("%s/verified/%s", s->home, e->d_name);
        unlink(record);
        free(record);
    }
    if (d)
        closedir(d);
    free(dir);
    return rc;
}

static void mark_exports(struct store *s, json_t *live);

/* Deletes every blob not reachable from index.json (or from the standard
   form of a reachable image, see mark_exports); the caller holds the lock. */
static int collect_garbage(struct store *s, char *err, size_t errlen)
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
        rc = fail(err, errlen, "no such image: %s", user_ref);
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
        return fail(err, errlen, "invalid reference format: '%s'", or_empty(ref));
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

/* ---- freeing ------------------------------------------------------------- */

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

/* ---- locking, raw blobs and references (registries, save, load) ---------- */

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

char *store_blob_path(const struct store *s, const char *digest)
{
    return blob_digest_valid(digest) ? blob_path(s, digest) : NULL;
}

bool store_has_blob(struct store *s, const char *digest, uint64_t size)
{
    return blob_digest_valid(digest) && blob_intact(s, digest, size);
}

int store_blob_temp(struct store *s, char **tmp_path, char *err, size_t errlen)
{
    char *dir = blobs_dir(s);
    int fd = temp_file(dir, tmp_path, err, errlen);
    free(dir);
    if (fd < 0) {
        free(*tmp_path);
        *tmp_path = NULL;
    }
    return fd;
}

int store_commit_blob(struct store *s, int fd, const char *tmp, const char *digest, char *err,
                      size_t errlen)
{
    char actual[DIGEST_LEN + 1];
    int rc = 0;
    if (!blob_digest_valid(digest))
        rc = fail(err, errlen, "invalid digest '%s'", or_empty(digest));
    else if (lseek(fd, 0, SEEK_SET) != 0 || blob_hash_fd(fd, actual) != 0)
        rc = fail(err, errlen, "%s: %s", tmp, strerror(errno));
    else if (strcmp(actual, digest) != 0)
        rc = fail(err, errlen, "blob %s does not match its digest (content hash %s)", digest,
                  actual);
    if (rc != 0) {
        close(fd);
        unlink(tmp);
        return rc;
    }
    char *dir = blobs_dir(s);
    char *path = blob_path(s, digest);
    rc = commit_temp(fd, tmp, dir, path, true, err, errlen);
    free(path);
    free(dir);
    return rc;
}

int store_put_blob(struct store *s, const void *data, size_t len, char digest[STORE_DIGEST_SIZE],
                   char *err, size_t errlen)
{
    struct blob_ref b;
    int rc = put_blob_bytes(s, data, len, &b, err, errlen);
    if (rc == 0)
        memcpy(digest, b.digest, DIGEST_LEN + 1);
    return rc;
}

int store_read_blob(struct store *s, const char *digest, char **data, size_t *len, char *err,
                    size_t errlen)
{
    *data = NULL;
    *len = 0;
    if (!blob_digest_valid(digest))
        return fail(err, errlen, "invalid digest '%s'", or_empty(digest));
    *data = read_blob(s, digest, BLOB_ANY_SIZE, len, err, errlen);
    return *data ? 0 : -1;
}

/* ref's entry in index.json (a new reference), or NULL with err. */
static json_t *ref_entry(json_t *index, const char *name, const char *user_ref, char *err,
                         size_t errlen)
{
    json_t *entry = find_ref(manifests_of(index), name, NULL);
    if (!entry)
        fail(err, errlen, "no such image: %s", user_ref);
    return json_incref(entry);
}

int store_ref_index(struct store *s, const char *ref, char digest[STORE_DIGEST_SIZE], char *err,
                    size_t errlen)
{
    char *name = store_normalize_ref(ref);
    if (!name)
        return fail(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    json_t *index = load_index(s, err, errlen);
    json_t *entry = index ? ref_entry(index, name, ref, err, errlen) : NULL;
    struct blob_ref b;
    int rc = entry ? descriptor_read(entry, "index.json", &b, err, errlen) : -1;
    if (rc == 0 && !descriptor_has_type(entry, MEDIA_OCI_INDEX))
        rc = fail(err, errlen, "index.json: corrupted ('%s' is not an image index)", name);
    if (rc == 0)
        memcpy(digest, b.digest, DIGEST_LEN + 1);
    json_decref(entry);
    json_decref(index);
    free(name);
    return rc;
}

/* A blob's descriptor from its file: the size is what is on disk. */
static int blob_ref_of(const struct store *s, const char *digest, struct blob_ref *out, char *err,
                       size_t errlen)
{
    if (!blob_digest_valid(digest))
        return fail(err, errlen, "invalid digest '%s'", or_empty(digest));
    char *path = blob_path(s, digest);
    out->size = 0;
    int fd = blob_open(path, digest, BLOB_ANY_SIZE, &out->size, err, errlen);
    free(path);
    memcpy(out->digest, digest, DIGEST_LEN + 1);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
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
        rc = parse_config(config_doc, config_ref.digest, &config, err, errlen);
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
        return fail(err, errlen, "%s: the image index lists no builds", name);
    json_array_foreach(manifests_of(image_index), i, build)
    {
        struct store_image img;
        if (load_build(s, name, build, &img, err, errlen) != 0)
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
        rc = fail(err, errlen, "%s: %s is neither an OCI image index nor a manifest", name, digest);
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
    char **names = check_alloc(calloc(n + 1, sizeof *names));
    struct blob_ref *blobs = check_alloc(calloc(n + 1, sizeof *blobs));
    int lock = lock_store(s, err, errlen);
    int rc = lock >= 0 ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        names[i] = store_normalize_ref(refs[i]);
        if (!names[i])
            rc = fail(err, errlen, "invalid reference format: '%s'", or_empty(refs[i]));
        else
            rc = image_index_blob(s, names[i], digests[i], &blobs[i], err, errlen);
    }
    if (rc == 0)
        rc = set_refs_locked(s, names, blobs, n, err, errlen);
    if (lock >= 0)
        close(lock);
    free_vector(names);
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
        rc = fail(err, errlen, "invalid reference format: '%s'", or_empty(src_name ? dst : src));
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
    char **v = check_alloc(calloc(json_object_size(object) + 1, sizeof *v));
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
        return fail(err, errlen, "invalid reference format: '%s'", or_empty(ref));
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
        fail(err, errlen, "invalid reference format: '%s'", or_empty(ref));
    if (rc == 0)
        digests = object_keys(live);
    size_t n = json_object_size(live);
    *out = rc == 0 ? check_alloc(calloc(n + 1, sizeof **out)) : NULL;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        memcpy((*out)[i].digest, digests[i], DIGEST_LEN + 1);
        (*out)[i].size = (uint64_t)json_integer_value(json_object_get(live, digests[i]));
    }
    *count = rc == 0 ? n : 0;
    free_vector(digests);
    json_decref(live);
    json_decref(entry);
    json_decref(index);
    free(name);
    return rc;
}

int store_open_blob(struct store *s, const char *digest, uint64_t size, char *err, size_t errlen)
{
    if (!blob_digest_valid(digest))
        return fail(err, errlen, "invalid digest '%s'", or_empty(digest));
    char *path = blob_path(s, digest);
    char *record = verified_record_path(s->home, digest);
    int fd = blob_open(path, digest, size, NULL, err, errlen);
    if (fd >= 0 && !verified_matches(record, fd)) {
        if (blob_check_fd(fd, path, digest, err, errlen) == 0 && lseek(fd, 0, SEEK_SET) == 0) {
            verified_record(record, fd);
        } else {
            close(fd);
            fd = -1;
        }
    }
    free(record);
    free(path);
    return fd;
}

void store_strings_free(char **v)
{
    free_vector(v);
}

/* ---- exported forms (ociimage.c) ------------------------------------------ */

/*
 * images/exports.json maps a stored image index or manifest (by digest) to
 * the descriptor of its standard OCI form, which push and save send and
 * pull and load received. Those blobs stay in the store as long as the
 * image they stand for does: a second push or pull then moves nothing, and
 * push can mount them from another repository.
 */
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
    char *text = check_alloc(json_dumps(map, JSON_FLAGS));
    char *path = exports_path(s);
    int rc = write_file_atomic(s->dir, path, text, strlen(text), true, err, errlen);
    free(path);
    free(text);
    return rc;
}

/*
 * Keeps the standard form of every live image, and forgets the forms of
 * images that are gone. A form that cannot be read is forgotten too: it is
 * made again when needed, so it never stops a collection.
 */
static void mark_exports(struct store *s, json_t *live)
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
    *out = check_alloc(calloc(n + 1, sizeof **out));
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

int store_parse_config(struct store *s, const char *digest, struct image_config *out, char *err,
                       size_t errlen)
{
    struct blob_ref b;
    memset(out, 0, sizeof *out);
    if (blob_ref_of(s, digest, &b, err, errlen) != 0)
        return -1;
    json_t *doc = load_json_blob(s, &b, err, errlen);
    int rc = doc ? parse_config(doc, digest, out, err, errlen) : -1;
    json_decref(doc);
    return rc;
}

void store_config_free(struct image_config *c)
{
    free(c->arch);
    free_vector(c->cmd);
    free_vector(c->env);
    free_vector(c->ports);
    free_vector(c->volumes);
    free(c->specialization);
    memset(c, 0, sizeof *c);
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
