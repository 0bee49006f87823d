/* Blob files and digests (see blob.h). */
#include "blob.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Nettle's SHA-256, not OpenSSL's: EVP's provider set-up and config file
   cost 5.9 million instructions (about two thirds of `unikit run`'s own)
   to hash a few hundred bytes, and libcrypto's loading 2.5 million more. */
#include <nettle/sha2.h>

#include "unikfile.h"
#include "util.h"

static void digest_from_md(const unsigned char *md, char out[BLOB_DIGEST_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    char *p = out + strlen(BLOB_DIGEST_PREFIX);
    memcpy(out, BLOB_DIGEST_PREFIX, strlen(BLOB_DIGEST_PREFIX));
    for (int i = 0; i < 32; i++) {
        *p++ = hex[md[i] >> 4];
        *p++ = hex[md[i] & 15];
    }
    *p = '\0';
}

bool blob_digest_valid(const char *d)
{
    size_t prefix = strlen(BLOB_DIGEST_PREFIX);
    if (!d || strncmp(d, BLOB_DIGEST_PREFIX, prefix) != 0 || strlen(d) != BLOB_DIGEST_LEN)
        return false;
    for (const char *p = d + prefix; *p; p++)
        if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
            return false;
    return true;
}

void blob_digest_bytes(const void *data, size_t len, char out[BLOB_DIGEST_LEN + 1])
{
    struct sha256_ctx ctx;
    unsigned char md[SHA256_DIGEST_SIZE];
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    sha256_digest(&ctx, sizeof(md), md);
    digest_from_md(md, out);
}

int blob_hash_fd(int fd, char out[BLOB_DIGEST_LEN + 1])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    unsigned char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        sha256_update(&ctx, (size_t)n, buf);
    }
    unsigned char md[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, sizeof(md), md);
    digest_from_md(md, out);
    return 0;
}

static const char *file_kind(mode_t mode)
{
    return S_ISFIFO(mode)   ? "a FIFO"
           : S_ISDIR(mode)  ? "a directory"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a file";
}

/* Why open failed, for one line naming the blob. */
static int open_failed(const char *path, const char *digest, int e, char *err, size_t errlen)
{
    if (e == ENOENT)
        return errorf(err, errlen, "image blob %s is missing", digest);
    if (e == ELOOP)
        return errorf(err, errlen, "image blob %s is a symbolic link, not a regular file (%s)",
                      digest, path);
    return errorf(err, errlen, "image blob %s: %s: %s", digest, path, strerror(e));
}

int blob_open(const char *path, const char *digest, uint64_t size, uint64_t *actual, char *err,
              size_t errlen)
{
    /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer that never comes. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return open_failed(path, digest, errno, err, errlen);
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0)
        rc = errorf(err, errlen, "image blob %s: %s: %s", digest, path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = errorf(err, errlen, "image blob %s is not a regular file (it is %s: %s)", digest,
                    file_kind(st.st_mode), path);
    else if (size != BLOB_ANY_SIZE && (uint64_t)st.st_size != size)
        rc = errorf(err, errlen, "image blob %s is corrupted (%lld bytes, expected %llu)", digest,
                    (long long)st.st_size, (unsigned long long)size);
    if (rc != 0) {
        close(fd);
        return -1;
    }
    if (actual)
        *actual = (uint64_t)st.st_size;
    return fd;
}

int blob_check_fd(int fd, const char *path, const char *digest, char *err, size_t errlen)
{
    char actual[BLOB_DIGEST_LEN + 1];
    if (lseek(fd, 0, SEEK_SET) != 0 || blob_hash_fd(fd, actual) != 0)
        return errorf(err, errlen, "image blob %s: %s: %s", digest, path, strerror(errno));
    if (strcmp(actual, digest) != 0)
        return errorf(err, errlen, "image blob %s is corrupted (content hash %s)", digest, actual);
    return 0;
}

int blob_max_size(uint64_t *out, char *err, size_t errlen)
{
    const char *env = getenv("UNIKIT_LOAD_MAX_BLOB");
    int64_t n = env && *env ? unikfile_parse_size(env) : (int64_t)(512ull << 20);
    if (n <= 0)
        return errorf(err, errlen, "UNIKIT_LOAD_MAX_BLOB: '%s' is not a size (such as 512M or 2G)",
                      env);
    *out = (uint64_t)n;
    return 0;
}
