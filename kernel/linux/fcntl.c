/* Descriptors: dup, fcntl (flags, record locks, pipe sizes), flock and ioctl. */
#include "abi.h"
#include "errno.h"
#include "fd.h"
#include "flock.h"
#include "fs.h"
#include "lib.h"
#include "mm.h"
#include "syscalls.h"
#include "tty.h"
#include "vfs.h"

#define PROGRAM_PID 1 /* the one process (process.c) */

#if defined(__aarch64__)
#define NR_FCNTL 25
#else
#define NR_FCNTL 72
#endif

static long dup_from(int oldfd, int min, bool cloexec)
{
    struct file *f = fd_get(oldfd);
    if (!f)
        return -EBADF;
    file_get(f);
    int fd = fd_alloc(f, min, cloexec);
    if (fd < 0)
        file_put(f);
    return fd;
}

SYSCALL_DEFINE1(dup, int, oldfd)
{
    return dup_from(oldfd, 0, false);
}

SYSCALL_DEFINE2(dup2, int, oldfd, int, newfd)
{
    if (oldfd == newfd)
        return fd_get(oldfd) ? newfd : -EBADF;
    return fd_dup_to(oldfd, newfd, false);
}

SYSCALL_DEFINE3(dup3, int, oldfd, int, newfd, int, flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (oldfd == newfd)
        return -EINVAL;
    return fd_dup_to(oldfd, newfd, flags & O_CLOEXEC);
}

static long getfl(struct file *f)
{
    long fl;
    if (f->flags & VFS_O_PATH)
        return O_PATH;
    if ((f->flags & VFS_O_READ) && (f->flags & VFS_O_WRITE))
        fl = O_RDWR;
    else if (f->flags & VFS_O_WRITE)
        fl = O_WRONLY;
    else
        fl = O_RDONLY;
    fl |= (f->flags & VFS_O_APPEND) ? O_APPEND : 0;
    fl |= (f->flags & VFS_O_NONBLOCK) ? O_NONBLOCK : 0;
    fl |= (f->flags & VFS_O_SYNC) ? O_SYNC : 0;
    fl |= (f->flags & VFS_O_DIRECT) ? O_DIRECT : 0;
    return fl;
}

/* As Linux's: O_APPEND, O_NONBLOCK and O_DIRECT change; the rest is ignored. */
static long setfl(struct file *f, long arg)
{
    unsigned keep = f->flags & ~(unsigned)(VFS_O_APPEND | VFS_O_NONBLOCK | VFS_O_DIRECT);
    f->flags = keep | ((arg & O_APPEND) ? VFS_O_APPEND : 0) |
               ((arg & O_NONBLOCK) ? VFS_O_NONBLOCK : 0) | ((arg & O_DIRECT) ? VFS_O_DIRECT : 0);
    return 0;
}

/* Where a struct flock's range starts counting from (l_whence). */
static long lock_base(struct file *f, int whence, int64_t *base)
{
    struct vfs_stat st;
    switch (whence) {
    case SEEK_SET:
        *base = 0;
        return 0;
    case SEEK_CUR:
        *base = f->offset;
        return 0;
    case SEEK_END:
        vfs_stat_inode(f->inode, &st); /* a volume's file may have grown on the host */
        *base = (int64_t)st.size;
        return 0;
    default:
        return -EINVAL;
    }
}

/* The bytes a struct flock names, as Linux reads them: l_len 0 reaches
   any end of file, a negative l_len ends just before l_start. */
static long lock_range_of(struct file *f, const struct linux_flock *fl, struct lock_range *r)
{
    int64_t base;
    long err = lock_base(f, fl->l_whence, &base);
    if (err)
        return err;
    if (fl->l_start > LOCK_OFFSET_MAX - base)
        return -EOVERFLOW;
    r->start = base + fl->l_start;
    if (r->start < 0)
        return -EINVAL;
    if (fl->l_len > 0) {
        if (fl->l_len - 1 > LOCK_OFFSET_MAX - r->start)
            return -EOVERFLOW;
        r->end = r->start + fl->l_len - 1;
    } else if (fl->l_len < 0) {
        if (r->start + fl->l_len < 0)
            return -EINVAL;
        r->end = r->start - 1;
        r->start += fl->l_len;
    } else {
        r->end = LOCK_OFFSET_MAX;
    }
    return 0;
}

static enum lock_type lock_type_of(int16_t l_type)
{
    return l_type == F_RDLCK ? LOCK_READ : l_type == F_WRLCK ? LOCK_WRITE : LOCK_NONE;
}

static bool is_ofd_cmd(int cmd)
{
    return cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
}

/* A struct flock read from the program and checked as Linux checks it. */
static long lock_request(struct file *f, int cmd, const struct linux_flock *fl,
                         struct lock_range *r)
{
    bool getlk = cmd == F_GETLK || cmd == F_OFD_GETLK;
    if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && (getlk || fl->l_type != F_UNLCK))
        return -EINVAL;
    long err = lock_range_of(f, fl, r);
    if (err)
        return err;
    r->type = lock_type_of(fl->l_type);
    if (!getlk && ((r->type == LOCK_READ && !(f->flags & VFS_O_READ)) ||
                   (r->type == LOCK_WRITE && !(f->flags & VFS_O_WRITE))))
        return -EBADF;
    if (is_ofd_cmd(cmd) && fl->l_pid != 0)
        return -EINVAL;
    r->ofd = is_ofd_cmd(cmd) ? f : NULL;
    return 0;
}

/* F_GETLK's answer: the lock in the way, or l_type F_UNLCK alone. */
static void lock_report(const struct lock_range *r, struct linux_flock *fl)
{
    if (r->type == LOCK_NONE) {
        fl->l_type = F_UNLCK;
        return;
    }
    fl->l_type = r->type == LOCK_READ ? F_RDLCK : F_WRLCK;
    fl->l_whence = SEEK_SET;
    fl->l_start = r->start;
    fl->l_len = r->end == LOCK_OFFSET_MAX ? 0 : r->end - r->start + 1;
    fl->l_pid = r->ofd ? -1 : PROGRAM_PID;
}

/* Record locks (flock.h): POSIX ones owned by the process, OFD ones by f. */
/*
 * F_SETLK(W): the file is held across a wait, which another thread's close
 * must not free; a POSIX lock won after that close is dropped again and
 * the answer is EBADF, as Linux does, since the close could not drop it.
 */
static long lock_set_held(int fd, struct file *f, const struct lock_range *r, bool wait)
{
    file_get(f);
    long err = lock_set(f->inode, r, wait);
    if (err == 0 && !r->ofd && r->type != LOCK_NONE && fd_get(fd) != f) {
        struct lock_range undo = *r;
        undo.type = LOCK_NONE;
        lock_set(f->inode, &undo, false);
        err = -EBADF;
    }
    file_put(f);
    return err == -ENOMEM ? -ENOLCK : err;
}

static long lock_cmd(int fd, struct file *f, int cmd, struct linux_flock *ufl)
{
    if (f->flags & VFS_O_PATH)
        return -EBADF;
    if (!user_readable(ufl, sizeof(*ufl)))
        return -EFAULT;
    struct linux_flock fl;
    memcpy(&fl, ufl, sizeof(fl));
    struct lock_range r;
    long err = lock_request(f, cmd, &fl, &r);
    if (err)
        return err;
    if (cmd == F_SETLK || cmd == F_OFD_SETLK || cmd == F_SETLKW || cmd == F_OFD_SETLKW)
        return lock_set_held(fd, f, &r, cmd == F_SETLKW || cmd == F_OFD_SETLKW);
    if (!user_writable(ufl, sizeof(*ufl)))
        return -EFAULT;
    lock_test(f->inode, &r);
    lock_report(&r, &fl);
    memcpy(ufl, &fl, sizeof(fl));
    return 0;
}

/* Linux's commands left out here (owners, signals, leases, notify, seals), by name. */
static const char *fcntl_unimplemented(int cmd)
{
    switch (cmd) {
    case 8:
        return "F_SETOWN";
    case 9:
        return "F_GETOWN";
    case 10:
        return "F_SETSIG";
    case 11:
        return "F_GETSIG";
    case 15:
        return "F_SETOWN_EX";
    case 16:
        return "F_GETOWN_EX";
    case 1024:
        return "F_SETLEASE";
    case 1025:
        return "F_GETLEASE";
    case 1026:
        return "F_NOTIFY";
    case 1029:
        return "F_CANCELLK";
    case 1033:
        return "F_ADD_SEALS";
    case 1034:
        return "F_GET_SEALS";
    default:
        return NULL;
    }
}

/* Once per command, naming it: a program may try several. */
static void fcntl_warn(int cmd, const char *name)
{
    static uint32_t warned;
    unsigned bit = cmd >= 1024 ? (unsigned)(cmd - 1024 + 16) : (unsigned)cmd;
    if (bit < 32 && (warned & (1u << bit)))
        return;
    if (bit < 32)
        warned |= 1u << bit;
    kprintf("unikit: warning: fcntl (system call %d) command %s (%d) is not implemented; "
            "returning EINVAL\n",
            NR_FCNTL, name, cmd);
}

/* F_SETPIPE_SZ: a power of two of at least a page, as Linux rounds it. */
static long set_pipe_size(struct file *f, unsigned long arg)
{
    if (!vfs_is_pipe(f))
        return -EBADF;   /* as Linux */
    arg = (unsigned)arg; /* Linux reads an unsigned int */
    if (arg > PIPE_MAX_SIZE)
        return -EPERM; /* beyond pipe-max-size, which a guest cannot raise */
    size_t size = PAGE_SIZE;
    while (size < arg)
        size *= 2;
    return vfs_pipe_set_size(f, size);
}

SYSCALL_DEFINE3(fcntl, int, fd, int, cmd, unsigned long, arg)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg >= (unsigned long)fd_limit())
            return -EINVAL;
        return dup_from(fd, (int)arg, cmd == F_DUPFD_CLOEXEC);
    case F_GETFD:
        return fd_get_cloexec(fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
        return fd_set_cloexec(fd, arg & FD_CLOEXEC);
    case F_GETFL:
        return getfl(f);
    case F_SETFL:
        return setfl(f, (long)arg);
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        return lock_cmd(fd, f, cmd, (struct linux_flock *)arg);
    case F_GETPIPE_SZ:
        return vfs_is_pipe(f) ? (long)vfs_pipe_size(f) : -EBADF; /* as Linux */
    case F_SETPIPE_SZ:
        return set_pipe_size(f, arg);
    default: {
        const char *name = fcntl_unimplemented(cmd);
        if (name)
            fcntl_warn(cmd, name);
        return -EINVAL; /* what Linux says to a command it does not know */
    }
    }
}

/* flock(2) operations */
#define LOCK_SH   1
#define LOCK_EX   2
#define LOCK_NB   4
#define LOCK_UN   8
#define LOCK_MAND 32

/* flock(2): a whole-file lock owned by the open file (flock.h). */
SYSCALL_DEFINE2(flock, int, fd, unsigned, op)
{
    if (op & LOCK_MAND)
        return 0; /* Linux ignores these broken "mandatory" locks */
    unsigned what = op & ~(unsigned)LOCK_NB;
    if (what != LOCK_SH && what != LOCK_EX && what != LOCK_UN)
        return -EINVAL;
    struct file *f = fd_get(fd);
    if (!f || (f->flags & VFS_O_PATH))
        return -EBADF;
    enum lock_type type = what == LOCK_SH ? LOCK_READ : what == LOCK_EX ? LOCK_WRITE : LOCK_NONE;
    file_get(f); /* a close by another thread during the wait must not free it */
    long err = flock_set(f, type, !(op & LOCK_NB));
    file_put(f);
    return err;
}

SYSCALL_DEFINE3(ioctl, int, fd, unsigned int, cmd, unsigned long, arg)
{
    struct file *f = fd_get(fd);
    if (!f || (f->flags & VFS_O_PATH))
        return -EBADF;
    int *iarg = (int *)arg;
    switch (cmd) {
    case FIONBIO:
        if (!user_readable(iarg, sizeof(int)))
            return -EFAULT;
        f->flags = *iarg ? f->flags | VFS_O_NONBLOCK : f->flags & ~(unsigned)VFS_O_NONBLOCK;
        return 0;
    case FIOCLEX:
    case FIONCLEX:
        return fd_set_cloexec(fd, cmd == FIOCLEX);
    case FIONREAD: {
        ssize_t n = vfs_nread(f);
        if (n < 0)
            return n;
        if (!user_writable(iarg, sizeof(int)))
            return -EFAULT;
        *iarg = (int)MIN(n, (ssize_t)0x7fffffff);
        return 0;
    }
    default:
        /*
         * Only the terminal of run -t answers TCGETS, TIOCGWINSZ...: the
         * streams are plain byte streams, as a docker container's without -t.
         */
        return tty_is(f) ? tty_ioctl(cmd, arg) : -ENOTTY;
    }
}
