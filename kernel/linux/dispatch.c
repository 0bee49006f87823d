/*
 * From a system-call number to its handler, and the checks on program
 * pointers that every handler relies on.
 */
#include "fd.h"
#include "lib.h"
#include "vm.h"
#include "syscalls.h"
#include "watch.h"

#define MAX_WARNED 1024

static uint8_t warned[MAX_WARNED / 8];
/* The call being served: set under the kernel lock, read by a handler
   before it first sleeps (syscall_warn_current). */
static long serving = -1;

void syscall_warn_once(long nr, const char *name, const char *what)
{
    if (nr >= 0 && nr < MAX_WARNED) {
        if (warned[nr / 8] & (1 << (nr % 8)))
            return;
        warned[nr / 8] |= (uint8_t)(1 << (nr % 8));
    }
    kprintf("unikit: warning: %s (system call %ld) %s\n", name, nr, what);
}

void syscall_warn_current(const char *what)
{
    const char *name = syscall_name(serving);
    syscall_warn_once(serving, name ? name : "unknown", what);
}

const char *syscall_name(long nr)
{
    if (nr < 0 || (size_t)nr >= syscall_table_size || !syscall_name_at[nr])
        return NULL;
    return syscall_names + syscall_name_at[nr];
}

long syscall_dispatch(const struct syscall_args *args)
{
    long nr = args->nr;
    serving = nr;
    if (nr >= 0 && (size_t)nr < syscall_table_size && syscall_fns[nr]) {
        watch_call_enter(nr);
        long rc = syscall_fns[nr](args);
        fd_release_held(); /* may close a file: still this call */
        watch_call_leave();
        return rc;
    }
    const char *name = syscall_name(nr);
    if (name)
        syscall_warn_once(nr, name, "is not implemented; returning ENOSYS");
    else
        syscall_warn_once(nr, "unknown", "does not exist; returning ENOSYS");
    return -ENOSYS;
}

/* A buffer in a shared file mapping is mapped now (vm_user_range): past
 * the file's end it is EFAULT, as on Linux, not a fault in the kernel. */
bool user_readable(const void *p, size_t len)
{
    return vm_user_range((uintptr_t)p, len, VM_READ);
}

bool user_writable(void *p, size_t len)
{
    return vm_user_range((uintptr_t)p, len, VM_WRITE);
}

long user_path(const char *upath, char *buf, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        /* Checked byte by byte: a path may end right before an unmapped page. */
        if (((uintptr_t)(upath + i) & (PAGE_SIZE - 1)) == 0 || i == 0) {
            if (!user_readable(upath + i, 1))
                return -EFAULT;
        }
        buf[i] = upath[i];
        if (!buf[i])
            return (long)i;
    }
    return -ENAMETOOLONG;
}
