#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* The temporary being written, for the signal handler: Ctrl-C must not leave it behind. */
static char pending_tmp[PATH_MAX];

static void remove_pending(int sig)
{
    if (pending_tmp[0])
        unlink(pending_tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void watch_signals(const char *tmp)
{
    snprintf(pending_tmp, sizeof pending_tmp, "%s", tmp);
    signal(SIGINT, remove_pending);
    signal(SIGTERM, remove_pending);
    signal(SIGHUP, remove_pending);
}

static void unwatch_signals(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    pending_tmp[0] = '\0';
}

static int fail(char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: %s", path, what);
    return -1;
}

/* A device, a FIFO, a socket: written as it is, as `docker save -o` does. */
static int open_in_place(struct output *out, char *err, size_t errlen)
{
    out->fd = open(out->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    return out->fd < 0 ? fail(err, errlen, out->path, strerror(errno)) : 0;
}

/* A new file gets the mode open(2) would have given it: 0666 less the umask. */
static mode_t new_file_mode(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return 0666 & ~mask;
}

/* The temporary beside final, with the mode (and, for root, the owner) of the file it replaces. */
static int open_temporary(struct output *out, const struct stat *old, char *err, size_t errlen)
{
    char *dir_copy = xstrdup(out->final), *base_copy = xstrdup(out->final);
    out->tmp = xasprintf("%s/.%s.unikit-XXXXXX", dirname(dir_copy), basename(base_copy));
    free(dir_copy);
    free(base_copy);
    watch_signals(out->tmp);
    out->fd = mkostemp(out->tmp, O_CLOEXEC);
    if (out->fd < 0) {
        int e = errno;
        unwatch_signals();
        snprintf(err, errlen, "%s: cannot create a file beside it: %s", out->path, strerror(e));
        free(out->tmp);
        out->tmp = NULL;
        return -1;
    }
    fchmod(out->fd, old ? old->st_mode & 07777 : new_file_mode());
    if (old) /* only root may give a file away; anyone else keeps it as their own */
        (void)!fchown(out->fd, old->st_uid, old->st_gid);
    return 0;
}

/* A regular file, or nothing yet: written beside, renamed into place by output_commit. */
static int open_replacement(struct output *out, const struct stat *old, char *err, size_t errlen)
{
    out->replace = old != NULL;
    /* Through a symlink, the file it leads to is replaced; the link stays. */
    out->final = old ? realpath(out->path, NULL) : xstrdup(out->path);
    if (!out->final)
        return fail(err, errlen, out->path, strerror(errno));
    return open_temporary(out, old, err, errlen);
}

int output_open(struct output *out, char *err, size_t errlen)
{
    out->name = out->path ? out->path : "stdout";
    if (!out->path) {
        out->fd = STDOUT_FILENO;
        return 0;
    }
    struct stat st, lst;
    if (stat(out->path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return fail(err, errlen, out->path, "is a directory");
        if (!S_ISREG(st.st_mode))
            return open_in_place(out, err, errlen);
        return open_replacement(out, &st, err, errlen);
    }
    if (errno != ENOENT)
        return fail(err, errlen, out->path, strerror(errno));
    if (lstat(out->path, &lst) == 0)
        return fail(err, errlen, out->path, "a symbolic link to nothing; not replaced");
    return open_replacement(out, NULL, err, errlen);
}

/* Into place: over the file that was there, or where nothing is (never over something new). */
static int move_into_place(struct output *out)
{
    if (out->replace)
        return rename(out->tmp, out->final);
    if (renameat2(AT_FDCWD, out->tmp, AT_FDCWD, out->final, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* A file system without RENAME_NOREPLACE: a hard link cannot replace either. */
    if (link(out->tmp, out->final) != 0)
        return -1;
    unlink(out->tmp);
    return 0;
}

int output_commit(struct output *out, char *err, size_t errlen)
{
    int rc = 0;
    if (out->tmp && fsync(out->fd) != 0)
        rc = fail(err, errlen, out->path, strerror(errno));
    if (out->fd != STDOUT_FILENO && close(out->fd) != 0 && rc == 0)
        rc = fail(err, errlen, out->path, strerror(errno));
    out->fd = -1;
    if (rc == 0 && out->tmp && move_into_place(out) != 0)
        rc = fail(err, errlen, out->path, strerror(errno));
    if (rc == 0 && out->tmp) { /* renamed: nothing left to remove */
        unwatch_signals();
        free(out->tmp);
        out->tmp = NULL;
    }
    output_abort(out);
    return rc;
}

void output_abort(struct output *out)
{
    if (out->fd >= 0 && out->fd != STDOUT_FILENO)
        close(out->fd);
    out->fd = -1;
    if (out->tmp) {
        unlink(out->tmp);
        unwatch_signals();
    }
    free(out->tmp);
    free(out->final);
    out->tmp = out->final = NULL;
}
