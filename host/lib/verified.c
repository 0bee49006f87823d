/* Verified-digest records (see verified.h). */
#include "verified.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blob.h"
#include "util.h"

/* A blob modified less than this before its hash gets no record yet. */
#define SETTLE_NS 2000000000LL

static int describe(int fd, char *buf, size_t len, long long *mtime_ns)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    *mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    int n = snprintf(buf, len, "%" PRIu64 " %" PRIu64 " %lld %lld\n", (uint64_t)st.st_dev,
                     (uint64_t)st.st_ino, (long long)st.st_size, *mtime_ns);
    return n > 0 && (size_t)n < len ? n : -1;
}

char *verified_record_path(const char *home, const char *digest)
{
    return xasprintf("%s/verified/%s", home, digest + strlen(BLOB_DIGEST_PREFIX));
}

bool verified_matches(const char *path, int fd)
{
    char want[128], have[128];
    long long mtime_ns;
    int n = describe(fd, want, sizeof want, &mtime_ns);
    int rfd = n < 0 ? -1 : open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (rfd < 0)
        return false;
    ssize_t got = read(rfd, have, sizeof have);
    close(rfd);
    return got == n && memcmp(want, have, (size_t)n) == 0;
}

void verified_record(const char *path, int fd)
{
    char text[128];
    long long mtime_ns;
    struct timespec now;
    int n = describe(fd, text, sizeof text, &mtime_ns);
    clock_gettime(CLOCK_REALTIME, &now);
    if (n < 0 || (long long)now.tv_sec * 1000000000LL + now.tv_nsec - mtime_ns < SETTLE_NS)
        return;
    char *dir = xstrdup(path);
    char *tmp = xasprintf("%s.XXXXXX", path);
    mkdir(dirname(dir), 0755);
    int tfd = mkstemp(tmp);
    /* Not synced: a record lost in a crash only costs one more hash. */
    if (tfd >= 0) {
        bool ok = write(tfd, text, (size_t)n) == n;
        close(tfd);
        if (!ok || rename(tmp, path) != 0)
            unlink(tmp);
    }
    free(tmp);
    free(dir);
}
