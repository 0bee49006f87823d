// arch: x86_64
// arch_prctl, which exists only on x86_64: its codes for the FS base, and
// EINVAL and EFAULT. proc.c checks the thread pointer on every architecture.
#include "guest.h"
#include <stdint.h>

int main(void)
{
#ifdef SYS_arch_prctl
    /* musl keeps a pointer to the thread block at %fs:0 (its self pointer). */
    uintptr_t self;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(self));
    unsigned long fs = 0;
    want("arch_prctl ARCH_GET_FS", syscall(SYS_arch_prctl, 0x1003L, &fs), 0);
    check("fs base is the thread pointer", fs == self);
    want("arch_prctl ARCH_SET_FS", syscall(SYS_arch_prctl, 0x1002L, fs), 0);
    unsigned long again = 0;
    syscall(SYS_arch_prctl, 0x1003L, &again);
    check("fs base kept", again == fs);
    /* GS is left out: a unikernel may keep it for itself (per-CPU data). */
    want("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999L, &fs), EINVAL);
    want("arch_prctl bad pointer", syscall(SYS_arch_prctl, 0x1003L, BAD_LOW), EFAULT);
#else
    /* run.sh runs this on x86_64 only: reaching here is a mistake. */
    check("arch_prctl exists", 0);
#endif
    return guest_done();
}
