/*
 * Blob files and digests, for the image store (store.c) and nothing else.
 *
 * A store file is data we did not necessarily write: anything may have been
 * put in its place. A FIFO would block an open or a read forever, a symlink
 * to /dev/zero would never end, and a file of the wrong size would be hashed
 * in full before the digest says so. So every blob is opened here: without
 * following links, without blocking, as a regular file only, and with its
 * size checked against what its descriptor says before a byte is read.
 */
#ifndef UNIKIT_BLOB_H
#define UNIKIT_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOB_DIGEST_PREFIX "sha256:"
#define BLOB_DIGEST_LEN    71 /* "sha256:" and 64 hex digits */
#define BLOB_ANY_SIZE      UINT64_MAX

/* "sha256:" and 64 lowercase hex digits: digests name paths, so check them first. */
bool blob_digest_valid(const char *digest);
void blob_digest_bytes(const void *data, size_t len, char out[BLOB_DIGEST_LEN + 1]);
/* Hashes fd from where it is to its end; -1 with errno on a read error. */
int blob_hash_fd(int fd, char out[BLOB_DIGEST_LEN + 1]);

/*
 * Opens the blob digest at path for reading: a regular file of `size` bytes
 * (BLOB_ANY_SIZE: any), its actual size in *actual (may be NULL). The fd,
 * or -1 with err naming the blob: missing, a symbolic link, not a regular
 * file, or of the wrong size. Never blocks and never reads.
 */
int blob_open(const char *path, const char *digest, uint64_t size, uint64_t *actual, char *err,
              size_t errlen);
/* Hashes fd from its start; 0 when it hashes to digest, else -1 with err naming the blob. */
int blob_check_fd(int fd, const char *path, const char *digest, char *err, size_t errlen);

/*
 * The most one blob taken from outside (load, and what pull unpacks) may
 * expand to: UNIKIT_LOAD_MAX_BLOB (such as 2G), else 512 MiB. A compressed
 * archive can promise far more than it holds, so a larger member is refused
 * by its header, before anything is written. -1 with err for a bad value.
 */
int blob_max_size(uint64_t *out, char *err, size_t errlen);

#endif
