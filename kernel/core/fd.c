/*
 * The descriptor table. It starts with room for a few descriptors and
 * doubles on demand up to FD_LIMIT, so a program that opens three files
 * does not pay for a thousand slots.
 */
#include "errno.h"
#include "fd.h"
#include "flock.h"
#include "hoststream.h"
#include "lib.h"
#include "mm.h"
#include "sched.h"
#include "vfs.h"

#define FD_INITIAL 16

struct fd_slot {
    struct file *file;
    bool cloexec;
};

static struct fd_slot *slots;
static int nslots;
static int limit = FD_SOFT_LIMIT; /* the soft RLIMIT_NOFILE */

static bool valid(int fd)
{
    return fd >= 0 && fd < nslots && slots[fd].file;
}

static int grow_to(int want)
{
    if (want <= nslots)
        return 0;
    int n = nslots ? nslots : FD_INITIAL;
    while (n < want)
        n *= 2;
    n = MIN(n, FD_LIMIT);
    struct fd_slot *s = krealloc(slots, (size_t)n * sizeof(*s));
    if (!s)
        return -ENOMEM;
    memset(s + nslots, 0, (size_t)(n - nslots) * sizeof(*s));
    slots = s;
    nslots = n;
    return 0;
}

int fd_limit(void)
{
    return limit;
}

int fd_set_limit(int n)
{
    if (n < 0 || n > FD_LIMIT)
        return -EINVAL;
    limit = n; /* descriptors already above it stay open, as in Linux */
    return 0;
}

/* The lowest free descriptor >= min, with the table grown to hold it. */
static int lowest_free(int min)
{
    /* A soft limit of 0 lets nothing open: EMFILE, as Linux, not EINVAL. */
    if (min < 0 || (min >= limit && min > 0))
        return -EINVAL;
    for (int fd = min; fd < limit; fd++) {
        if (fd >= nslots) {
            int err = grow_to(fd + 1);
            return err ? err : fd;
        }
        if (!slots[fd].file)
            return fd;
    }
    return -EMFILE;
}

int fd_alloc(struct file *f, int min, bool cloexec)
{
    int fd = lowest_free(min);
    if (fd < 0)
        return fd;
    slots[fd].file = f;
    slots[fd].cloexec = cloexec;
    return fd;
}

static void hold(struct file *f)
{
    struct thread *t = current;
    for (int i = 0; i < t->nheld; i++)
        if (t->held[i] == f)
            return;
    if (t->nheld < THREAD_HELD_FILES) {
        file_get(f);
        t->held[t->nheld++] = f;
    }
}

struct file *fd_get(int fd)
{
    struct file *f = valid(fd) ? slots[fd].file : NULL;
    if (f)
        hold(f);
    return f;
}

void fd_release_held(void)
{
    struct thread *t = current;
    while (t->nheld > 0)
        file_put(t->held[--t->nheld]);
}

int fd_close(int fd)
{
    if (!valid(fd))
        return -EBADF;
    struct file *f = slots[fd].file;
    slots[fd].file = NULL;
    slots[fd].cloexec = false;
    lock_close_fd(f); /* closing any descriptor of a file ends the process's locks on it */
    file_put(f);
    return 0;
}

int fd_dup_to(int oldfd, int newfd, bool cloexec)
{
    if (!valid(oldfd) || newfd < 0 || newfd >= limit)
        return -EBADF;
    int err = grow_to(newfd + 1);
    if (err)
        return err;
    struct file *f = slots[oldfd].file;
    struct file *old = slots[newfd].file;
    file_get(f);
    slots[newfd].file = f;
    slots[newfd].cloexec = cloexec;
    /* Released last, so that dup2(fd, fd)-like aliasing never frees f early. */
    if (old) {
        lock_close_fd(old);
        file_put(old);
    }
    return newfd;
}

int fd_get_cloexec(int fd)
{
    return valid(fd) ? slots[fd].cloexec : -EBADF;
}

int fd_set_cloexec(int fd, bool cloexec)
{
    if (!valid(fd))
        return -EBADF;
    slots[fd].cloexec = cloexec;
    return 0;
}

void fd_close_range(unsigned first, unsigned last, bool cloexec_only)
{
    for (unsigned fd = first; fd <= last && fd < (unsigned)nslots; fd++) {
        if (!slots[fd].file)
            continue;
        if (cloexec_only)
            slots[fd].cloexec = true;
        else
            fd_close((int)fd);
    }
}

void fd_close_on_exec(void)
{
    for (int fd = 0; fd < nslots; fd++) {
        if (slots[fd].file && slots[fd].cloexec)
            fd_close(fd);
    }
}

/* Each of 0, 1 and 2 on the terminal, or the host's stream for it, or the console. */
void fd_init_stdio(struct file *terminal)
{
    for (int fd = 0; fd < 3; fd++) {
        struct file *f = terminal ? terminal : hoststream_open(fd);
        if (terminal && fd)
            file_get(terminal);
        if (!f && vfs_openat(NULL, "/dev/console", VFS_O_READ | VFS_O_WRITE, 0, &f) < 0)
            panic("fd: cannot open /dev/console");
        if (fd_alloc(f, fd, false) != fd)
            panic("fd: descriptor %d is taken", fd);
    }
}
