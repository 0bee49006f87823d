/*
 * Verified-digest records: hashing an image's blob on every run costs as
 * much as a small guest's boot, so once a blob has hashed to its digest the
 * store notes which file that was, and a later open of the same unchanged
 * file skips the hash.
 *
 * A record is $UNIKIT_HOME/verified/HEX (the digest's hex), holding the
 * file's device, inode, size and modification time in nanoseconds. Writing
 * to the blob changes its modification time; replacing it changes its
 * inode; either makes the record stale and the blob is hashed again. (Not
 * its change time: every run's hard link to the blob changes that.) As for
 * make, rsync or git, a blob rewritten with its modification time set back
 * on purpose is not noticed. A record is written only for a blob last
 * modified a while before the hash, so a write within the same timestamp
 * tick as the hash cannot hide behind it.
 */
#ifndef UNIKIT_VERIFIED_H
#define UNIKIT_VERIFIED_H

#include <stdbool.h>

/* The record's path for digest ("sha256:HEX") in the store under home. */
char *verified_record_path(const char *home, const char *digest);
/* Whether the record at path describes the file open on fd, as it is now. */
bool verified_matches(const char *path, int fd);
/* Records that the file open on fd hashed to its digest; best effort. */
void verified_record(const char *path, int fd);

#endif
