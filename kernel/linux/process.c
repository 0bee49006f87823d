/* Process calls. There is one process, pid 1; its threads are in
 * thread.c, its identity in cred.c. */
#include "arch.h"
#include "lib.h"
#include "proc.h"
#include "sched.h"
#include "smp.h"
#include "syscalls.h"

#define PROGRAM_PID 1

SYSCALL_DEFINE1(exit_group, int, status)
{
    proc_exit(status);
}

SYSCALL_DEFINE0(getpid)
{
    return PROGRAM_PID;
}

SYSCALL_DEFINE0(getppid)
{
    return 0;
}

SYSCALL_DEFINE3(sched_getaffinity, int, pid, unsigned long, size, unsigned long *, mask)
{
    if (pid != 0 && pid != PROGRAM_PID)
        return -ESRCH;
    if (size < sizeof(unsigned long) || (size & (sizeof(unsigned long) - 1)))
        return -EINVAL;
    if (!user_writable(mask, sizeof(unsigned long)))
        return -EFAULT;
    *mask = (1UL << cpu_count) - 1; /* cpu_count <= MAX_CPUS < 64 */
    return sizeof(unsigned long);
}

#define PR_SET_PDEATHSIG    1
#define PR_GET_PDEATHSIG    2
#define PR_GET_DUMPABLE     3
#define PR_SET_DUMPABLE     4
#define PR_GET_KEEPCAPS     7
#define PR_SET_KEEPCAPS     8
#define PR_SET_NAME         15
#define PR_GET_NAME         16
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#define PRCTL_NSIG          64

static bool no_new_privs, keep_caps;

/* PR_SET_NAME: up to 15 bytes of the string, which may end at an unmapped page. */
static long set_thread_name(const char *uname)
{
    char name[sizeof(current->comm)];
    size_t i = 0;
    for (; i < sizeof(name) - 1; i++) {
        if (!user_readable(uname + i, 1))
            return -EFAULT;
        if (!(name[i] = uname[i]))
            break;
    }
    name[i] = '\0';
    memcpy(current->comm, name, sizeof(name));
    return 0;
}

static long put_int(int *uptr, int value)
{
    if (!user_writable(uptr, sizeof(*uptr)))
        return -EFAULT;
    *uptr = value;
    return 0;
}

/* The options programs set at start-up; the others are EINVAL, with a
 * warning naming the option, as for a call the kernel does not implement. */
SYSCALL_DEFINE5(prctl, int, option, unsigned long, arg2, unsigned long, arg3, unsigned long, arg4,
                unsigned long, arg5)
{
    (void)arg3, (void)arg4, (void)arg5;
    switch (option) {
    case PR_SET_NAME:
        return set_thread_name((const char *)arg2);
    case PR_GET_NAME:
        if (!user_writable((void *)arg2, sizeof(current->comm)))
            return -EFAULT;
        memcpy((void *)arg2, current->comm, sizeof(current->comm));
        return 0;
    case PR_SET_PDEATHSIG:
        if (arg2 > PRCTL_NSIG)
            return -EINVAL;
        current->pdeathsig = (int)arg2; /* the program has no parent that could die */
        return 0;
    case PR_GET_PDEATHSIG:
        return put_int((int *)arg2, current->pdeathsig);
    case PR_GET_DUMPABLE:
        return 1;
    case PR_SET_DUMPABLE:
        return arg2 > 1 ? -EINVAL : 0;
    case PR_GET_KEEPCAPS:
        return keep_caps;
    case PR_SET_KEEPCAPS:
        if (arg2 > 1)
            return -EINVAL;
        keep_caps = arg2;
        return 0;
    case PR_SET_NO_NEW_PRIVS:
        if (arg2 != 1)
            return -EINVAL;
        no_new_privs = true;
        return 0;
    case PR_GET_NO_NEW_PRIVS:
        return no_new_privs;
    default: {
        static bool warned;
        if (!warned) {
            warned = true;
            kprintf("unikit: warning: prctl option %d is not implemented; returning EINVAL\n",
                    option);
        }
        return -EINVAL;
    }
    }
}
