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
/* `unikit run --trace-syscalls`: each call's first use, on the console. */
static bool tracing;
static uint8_t traced[MAX_WARNED / 8];

void syscall_trace_init(const char *cmdline)
{
    tracing = strstr(cmdline, "unikit.trace") != NULL;
}

/* Whether nr's bit in seen was set already (it is now); false out of range. */
static bool seen_before(uint8_t *seen, long nr)
{
    if (nr < 0 || nr >= MAX_WARNED)
        return false;
    bool was = seen[nr / 8] & (1 << (nr % 8));
    seen[nr / 8] |= (uint8_t)(1 << (nr % 8));
    return was;
}

static void trace(long nr, bool in_image)
{
    if (nr < 0 || nr >= MAX_WARNED || seen_before(traced, nr))
        return;
    const char *name = syscall_name(nr);
    kprintf("unikit: trace: %s (system call %ld)%s\n", name ? name : "unknown", nr,
            in_image ? "" : ": not in this image's kernel");
}

void syscall_warn_once(long nr, const char *name, const char *what)
{
    if (seen_before(warned, nr))
        return;
    kprintf("unikit: warning: %s (system call %ld) %s\n", name, nr, what);
}

void syscall_warn_current(const char *what)
{
    const char *name = syscall_name(serving);
    syscall_warn_once(serving, name ? name : "unknown", what);
}

const char *syscall_name(long nr)
{
    if (nr < 0 || (size_t)nr >= syscall_table_size)
        return NULL;
    const char *name = syscall_names;
    for (long i = 0; i < nr; i++)
        name += strlen(name) + 1;
    return *name ? name : NULL;
}

static bool left_out(long nr)
{
    return nr >= 0 && (size_t)nr < syscall_table_size && syscall_left_out[nr / 8] >> (nr % 8) & 1;
}

long syscall_dispatch(const struct syscall_args *args)
{
    long nr = args->nr;
    serving = nr;
    syscall_fn fn =
        nr >= 0 && (size_t)nr < syscall_table_size ? syscall_fns[syscall_index[nr]] : NULL;
    if (tracing)
        trace(nr, fn != NULL);
    if (fn) {
        watch_call_enter(nr);
        long rc = fn(args);
        fd_release_held(); /* may close a file: still this call */
        watch_call_leave();
        return rc;
    }
    const char *name = syscall_name(nr);
    if (name && left_out(nr))
        syscall_warn_once(nr, name,
                          "is left out of this image's kernel (its program was not seen to make "
                          "it: `unikit inspect --explain`; the Unikfile's syscalls: adds it); "
                          "returning ENOSYS");
    else if (name)
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
