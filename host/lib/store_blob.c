/*
 * The store's blobs: descriptors, writing a blob under its digest, and
 * reading one back only if its content still hashes to its name.
 */
#include "store_internal.h"

#include "util.h"
#include "verified.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Index, manifest and config blobs are small; a huge one is damage, not data. */
#define MAX_JSON_BLOB (16u << 20)

json_t *descriptor_json(const char *media_type, const struct blob_ref *b)
{
    return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", b->digest, "size",
                     (json_int_t)b->size);
}

/* Reads a descriptor found in `where` (a file's name, for the error). */
int descriptor_read(json_t *desc, const char *where, struct blob_ref *out, char *err, size_t errlen)
{
    const char *digest = json_string_value(json_object_get(desc, "digest"));
    json_t *size = json_object_get(desc, "size");
    if (!blob_digest_valid(digest) || !json_is_integer(size) || json_integer_value(size) < 0)
        return errorf(err, errlen, "%s: corrupted (bad descriptor)", where);
    memcpy(out->digest, digest, DIGEST_LEN + 1);
    out->size = (uint64_t)json_integer_value(size);
    return 0;
}

int store_verify_blob(struct store *s, const char *digest, char *err, size_t errlen)
{
    if (!blob_digest_valid(digest))
        return errorf(err, errlen, "invalid digest '%s'", or_empty(digest));
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
    int rc = write_store_file(dir, path, data, len, true, err, errlen);
    free(path);
    free(dir);
    return rc;
}

int put_json_blob(struct store *s, json_t *doc, struct blob_ref *out, char *err, size_t errlen)
{
    char *text = json_text(doc);
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
            return errorf(err, errlen, "%s: %s", src, strerror(errno));
        if (write_all(out_fd, buf, (size_t)n) != 0)
            return write_failed(tmp, err, errlen);
        total += (uint64_t)n;
    }
    if (lseek(out_fd, 0, SEEK_SET) != 0 || blob_hash_fd(out_fd, out->digest) != 0)
        return errorf(err, errlen, "%s: %s", tmp, strerror(errno));
    out->size = total;
    return 0;
}

static int open_regular(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return errorf(err, errlen, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return errorf(err, errlen, "%s: not a regular file", path);
    }
    return fd;
}

/* Copies src into the store, hashing as it goes (the name is known only at the end). */
int put_blob_file(struct store *s, const char *src, struct blob_ref *out, char *err, size_t errlen)
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
        errorf(err, errlen, "image blob %s is corrupted (%llu bytes, more than metadata can be)",
               digest, (unsigned long long)actual);
    else if (fd >= 0 && read_exactly(fd, data = xmalloc(actual + 1), actual) != 0) {
        errorf(err, errlen, "image blob %s: %s: cannot read it whole", digest, path);
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
        errorf(err, errlen, "image blob %s is corrupted (content hash %s)", digest, hash);
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
json_t *load_json_blob(const struct store *s, const struct blob_ref *b, char *err, size_t errlen)
{
    size_t len = 0;
    char *data = read_blob(s, b->digest, b->size, &len, err, errlen);
    if (!data)
        return NULL;
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        errorf(err, errlen, "image blob %s: corrupted (%s)", b->digest, jerr.text);
    free(data);
    return doc;
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
        rc = errorf(err, errlen, "invalid digest '%s'", or_empty(digest));
    else if (lseek(fd, 0, SEEK_SET) != 0 || blob_hash_fd(fd, actual) != 0)
        rc = errorf(err, errlen, "%s: %s", tmp, strerror(errno));
    else if (strcmp(actual, digest) != 0)
        rc = errorf(err, errlen, "blob %s does not match its digest (content hash %s)", digest,
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
        return errorf(err, errlen, "invalid digest '%s'", or_empty(digest));
    *data = read_blob(s, digest, BLOB_ANY_SIZE, len, err, errlen);
    return *data ? 0 : -1;
}

/* A blob's descriptor from its file: the size is what is on disk. */
int blob_ref_of(const struct store *s, const char *digest, struct blob_ref *out, char *err,
                size_t errlen)
{
    if (!blob_digest_valid(digest))
        return errorf(err, errlen, "invalid digest '%s'", or_empty(digest));
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

int store_open_blob(struct store *s, const char *digest, uint64_t size, char *err, size_t errlen)
{
    if (!blob_digest_valid(digest))
        return errorf(err, errlen, "invalid digest '%s'", or_empty(digest));
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
