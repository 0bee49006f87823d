/* arch_prctl: x86_64 only. musl and Go set the thread pointer (FS base) here. */
#include "arch.h"
#include "syscalls.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

SYSCALL_DEFINE2(arch_prctl, int, code, unsigned long, addr)
{
    switch (code) {
    case ARCH_SET_FS:
        arch_set_tls(addr);
        return 0;
    case ARCH_GET_FS:
        if (!user_writable((void *)addr, sizeof(unsigned long)))
            return -EFAULT;
        *(unsigned long *)addr = arch_get_tls();
        return 0;
    case ARCH_SET_GS:
    case ARCH_GET_GS:
        /* The kernel keeps its per-CPU data in GS. */
        syscall_warn_once(158, "arch_prctl", "ARCH_SET_GS/ARCH_GET_GS is not supported");
        return -EINVAL;
    default:
        return -EINVAL;
    }
}
