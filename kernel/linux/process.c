/* Process calls. There is one process, pid 1; its threads are in
 * thread.c, its identity in cred.c. */
#include "arch.h"
#include "lib.h"
#include "proc.h"
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
