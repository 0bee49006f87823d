/*
 * The process's identity: real, effective, saved and file-system user and
 * group ids, and the supplementary groups. The program starts as root, as
 * a container's does, and may drop to another user (a server that starts
 * as root and becomes nobody); the rules are Linux's for a process whose
 * privilege (CAP_SETUID, CAP_SETGID) is an effective uid of 0. Files do
 * not check ids: the ids are what the program set and reads back.
 *
 * The one process is also the leader of its session and process group,
 * as a container's first process is.
 */
#include "errno.h"
#include "lib.h"
#include "proc.h"
#include "syscalls.h"

#define PROGRAM_PID 1
#define NO_ID       0xffffffffu /* (uid_t)-1: leave this id as it is */
#define GROUPS_MAX  256

struct ids {
    uint32_t real, effective, saved, fs;
};

static struct ids uid, gid;
static uint32_t groups[GROUPS_MAX];
static size_t ngroups;

void proc_credentials(int *pid, uint32_t *u, uint32_t *g)
{
    *pid = PROGRAM_PID;
    *u = uid.effective;
    *g = gid.effective;
}

static bool privileged(void)
{
    return uid.effective == 0;
}

/* Whether an unprivileged process may take id: one of those it has. */
static bool own(const struct ids *ids, uint32_t id)
{
    return id == ids->real || id == ids->effective || id == ids->saved;
}

/* setresuid and setresgid; the fs id follows the effective one. */
static long set_res(struct ids *ids, uint32_t r, uint32_t e, uint32_t s)
{
    if (!privileged() && ((r != NO_ID && !own(ids, r)) || (e != NO_ID && !own(ids, e)) ||
                          (s != NO_ID && !own(ids, s))))
        return -EPERM;
    if (r != NO_ID)
        ids->real = r;
    if (e != NO_ID)
        ids->effective = e;
    if (s != NO_ID)
        ids->saved = s;
    ids->fs = ids->effective;
    return 0;
}

/* setuid and setgid: all three when privileged, else the effective one. */
static long set_one(struct ids *ids, uint32_t id)
{
    if (id == NO_ID)
        return -EINVAL;
    if (privileged())
        return set_res(ids, id, id, id);
    if (id != ids->real && id != ids->saved)
        return -EPERM;
    return set_res(ids, NO_ID, id, NO_ID);
}

/* setreuid and setregid: the saved id becomes the new effective one when
   the real one is set, or the effective one is set to other than the real. */
static long set_re(struct ids *ids, uint32_t r, uint32_t e)
{
    if (!privileged() &&
        ((r != NO_ID && r != ids->real && r != ids->effective) || (e != NO_ID && !own(ids, e))))
        return -EPERM;
    uint32_t old_real = ids->real;
    uint32_t s =
        (r != NO_ID || (e != NO_ID && e != old_real)) ? (e != NO_ID ? e : ids->effective) : NO_ID;
    return set_res(ids, r, e, s);
}

static long get_res(const struct ids *ids, uint32_t *r, uint32_t *e, uint32_t *s)
{
    if (!user_writable(r, sizeof(*r)) || !user_writable(e, sizeof(*e)) ||
        !user_writable(s, sizeof(*s)))
        return -EFAULT;
    *r = ids->real, *e = ids->effective, *s = ids->saved;
    return 0;
}

/* setfsuid and setfsgid answer the old id, whether or not they changed it. */
static long set_fs(struct ids *ids, uint32_t id)
{
    uint32_t old = ids->fs;
    if (id != NO_ID && (privileged() || own(ids, id) || id == ids->fs))
        ids->fs = id;
    return old;
}

SYSCALL_DEFINE0(getuid)
{
    return uid.real;
}

SYSCALL_DEFINE0(geteuid)
{
    return uid.effective;
}

SYSCALL_DEFINE0(getgid)
{
    return gid.real;
}

SYSCALL_DEFINE0(getegid)
{
    return gid.effective;
}

SYSCALL_DEFINE1(setuid, uint32_t, id)
{
    return set_one(&uid, id);
}

SYSCALL_DEFINE1(setgid, uint32_t, id)
{
    return set_one(&gid, id);
}

SYSCALL_DEFINE2(setreuid, uint32_t, r, uint32_t, e)
{
    return set_re(&uid, r, e);
}

SYSCALL_DEFINE2(setregid, uint32_t, r, uint32_t, e)
{
    return set_re(&gid, r, e);
}

SYSCALL_DEFINE3(setresuid, uint32_t, r, uint32_t, e, uint32_t, s)
{
    return set_res(&uid, r, e, s);
}

SYSCALL_DEFINE3(setresgid, uint32_t, r, uint32_t, e, uint32_t, s)
{
    return set_res(&gid, r, e, s);
}

SYSCALL_DEFINE3(getresuid, uint32_t *, r, uint32_t *, e, uint32_t *, s)
{
    return get_res(&uid, r, e, s);
}

SYSCALL_DEFINE3(getresgid, uint32_t *, r, uint32_t *, e, uint32_t *, s)
{
    return get_res(&gid, r, e, s);
}

SYSCALL_DEFINE1(setfsuid, uint32_t, id)
{
    return set_fs(&uid, id);
}

SYSCALL_DEFINE1(setfsgid, uint32_t, id)
{
    return set_fs(&gid, id);
}

SYSCALL_DEFINE2(getgroups, int, size, uint32_t *, list)
{
    if (size < 0)
        return -EINVAL;
    if (size == 0)
        return (long)ngroups;
    if ((size_t)size < ngroups)
        return -EINVAL;
    if (ngroups && !user_writable(list, ngroups * sizeof(*list)))
        return -EFAULT;
    memcpy(list, groups, ngroups * sizeof(*list));
    return (long)ngroups;
}

/* Linux takes up to 65536 groups; this kernel keeps GROUPS_MAX. */
SYSCALL_DEFINE2(setgroups, size_t, size, const uint32_t *, list)
{
    if (!privileged())
        return -EPERM;
    if (size > GROUPS_MAX)
        return -EINVAL;
    if (size && !user_readable(list, size * sizeof(*list)))
        return -EFAULT;
    memcpy(groups, list, size * sizeof(*list));
    ngroups = size;
    /* Sorted, as Linux keeps them: getgroups gives them back in order. */
    for (size_t i = 1; i < ngroups; i++)
        for (size_t j = i; j > 0 && groups[j - 1] > groups[j]; j--) {
            uint32_t t = groups[j];
            groups[j] = groups[j - 1];
            groups[j - 1] = t;
        }
    return 0;
}

/* ---- session and process group ------------------------------------------------- */

static long own_pid(int pid)
{
    return pid == 0 || pid == PROGRAM_PID ? PROGRAM_PID : -ESRCH;
}

SYSCALL_DEFINE1(getpgid, int, pid)
{
    return own_pid(pid);
}

SYSCALL_DEFINE1(getsid, int, pid)
{
    return own_pid(pid);
}

SYSCALL_DEFINE0(getpgrp)
{
    return PROGRAM_PID;
}

/* A session leader can neither start a session nor change its group. */
SYSCALL_DEFINE0(setsid)
{
    return -EPERM;
}

SYSCALL_DEFINE2(setpgid, int, pid, int, pgid)
{
    if (pgid < 0)
        return -EINVAL;
    long rc = own_pid(pid);
    return rc < 0 ? rc : -EPERM;
}
