/* Process and identity calls. There is one process, pid 1, run as root. */
#include "arch.h"
#include "lib.h"
#include "proc.h"
#include "syscalls.h"

#define PROGRAM_PID 1

static int *clear_child_tid;

SYSCALL_DEFINE1(exit, int, status)
{
    /* One thread: its exit is the program's. */
    proc_exit(status);
}

SYSCALL_DEFINE1(exit_group, int, status)
{
    proc_exit(status);
}

SYSCALL_DEFINE0(getpid)
{
    return PROGRAM_PID;
}

SYSCALL_DEFINE0(gettid)
{
    return PROGRAM_PID;
}

SYSCALL_DEFINE0(getppid)
{
    return 0;
}

SYSCALL_DEFINE0(getuid)
{
    return 0;
}

SYSCALL_DEFINE0(geteuid)
{
    return 0;
}

SYSCALL_DEFINE0(getgid)
{
    return 0;
}

SYSCALL_DEFINE0(getegid)
{
    return 0;
}

SYSCALL_DEFINE1(set_tid_address, int *, tidptr)
{
    clear_child_tid = tidptr; /* used at thread exit once there are threads */
    return PROGRAM_PID;
}

SYSCALL_DEFINE0(sched_yield)
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
    *mask = 1; /* one CPU */
    return sizeof(unsigned long);
}

SYSCALL_DEFINE2(set_robust_list, void *, head, unsigned long, len)
{
    (void)head;
    return len == 24 ? 0 : -EINVAL;
}
