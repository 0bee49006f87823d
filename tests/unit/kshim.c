/*
 * Host stand-ins for what kernel sources expect from the rest of the kernel,
 * so that core services and syscall handlers run as ordinary host code under
 * the sanitizers (tests/unit/ktest_*.c).
 *
 * User memory: every pointer is good except KSHIM_BAD_PTR ((void *)1) and
 * NULL, which stand for an unmapped address so that -EFAULT paths run.
 * panic(): prints and aborts, unless a test armed kshim_panic_jmp to catch it.
 * Console output goes to stdout, or to kshim_console when capturing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "random.h"
#include "sched.h"
#include "syscalls.h"
#include "vm.h"

/* Tests declare these themselves (extern) to reach the shim. */
#define KSHIM_BAD_PTR ((const void *)1)
jmp_buf *kshim_panic_jmp;
char kshim_panic_msg[256];
bool kshim_console_capture;
char kshim_console[4096];
size_t kshim_console_len;

/* One thread and nothing else (wait queues are kernel/core/waitq.c): a
 * sleep nobody could end is the deadlock the kernel's scheduler stops the
 * machine for. Here it is counted and the sleep ends as if interrupted,
 * so the caller unwinds cleanly and the test can look. */
static struct thread shim_thread;
static struct cpu shim_cpu = {.running = &shim_thread};
int kshim_deadlocks;

struct cpu *arch_this_cpu(void)
{
    return &shim_cpu;
}

__attribute__((weak)) void thread_wake(struct thread *t)
{
    t->woken = true;
}

__attribute__((weak)) int sched_sleep(uint64_t deadline_ns)
{
    (void)deadline_ns;
    if (current->woken) {
        current->woken = false;
        return 0;
    }
    kshim_deadlocks++;
    return -EINTR;
}

void *kmalloc(size_t size)
{
    return malloc(size ? size : 1);
}

void *kzalloc(size_t size)
{
    return calloc(1, size ? size : 1);
}

void *krealloc(void *p, size_t size)
{
    return realloc(p, size ? size : 1);
}

void kfree(void *p)
{
    free(p);
}

/* Whole pages (ramfs keeps full chunks in them), as "physical" addresses
 * that phys_to_virt turns back into the host pointer. */
uintptr_t page_alloc(size_t npages)
{
    void *p = aligned_alloc(PAGE_SIZE, npages * PAGE_SIZE);
    if (!p)
        return 0;
    memset(p, 0, npages * PAGE_SIZE);
    return virt_to_phys(p);
}

void page_free(uintptr_t pa, size_t npages)
{
    (void)npages;
    free(phys_to_virt(pa));
}

/* No program address space in a unit test: nothing maps a file. */
void vm_file_shrunk(struct inode *ip, uint64_t size)
{
    (void)ip;
    (void)size;
}

/* statfs of the in-memory files reports pages: a machine of 16 MiB, half free. */
size_t page_total(void)
{
    return 4096;
}

size_t page_free_count(void)
{
    return 2048;
}

char *kstrdup(const char *s)
{
    return strdup(s);
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t n = strlen(src);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(kshim_panic_msg, sizeof(kshim_panic_msg), fmt, ap);
    va_end(ap);
    if (kshim_panic_jmp) {
        jmp_buf *j = kshim_panic_jmp;
        kshim_panic_jmp = NULL;
        longjmp(*j, 1);
    }
    fprintf(stderr, "panic: %s\n", kshim_panic_msg);
    abort();
}

void plat_console_write(const char *buf, size_t len)
{
    if (!kshim_console_capture) {
        fwrite(buf, 1, len, stdout);
        return;
    }
    size_t room = sizeof(kshim_console) - 1 - kshim_console_len;
    len = len < room ? len : room;
    memcpy(kshim_console + kshim_console_len, buf, len);
    kshim_console_len += len;
    kshim_console[kshim_console_len] = '\0';
}

/* No console device here: descriptors 0, 1 and 2 are the console, as under a plain QEMU. */
struct file *hoststream_open(int fd)
{
    (void)fd;
    return NULL;
}

/* Signals a thread raises on itself (SIGPIPE), counted by number. */
int kshim_self_signals[65];
void proc_signal_self(int sig)
{
    if (sig > 0 && sig <= 64)
        kshim_self_signals[sig]++;
}

/* Nor a terminal: no file answers the terminal's ioctls. */
bool tty_is(struct file *f)
{
    (void)f;
    return false;
}

long tty_ioctl(unsigned cmd, unsigned long arg)
{
    (void)cmd, (void)arg;
    return -ENOTTY;
}

void random_bytes(void *buf, size_t len)
{
    unsigned char *p = buf;
    for (size_t i = 0; i < len; i++)
        p[i] = (unsigned char)rand();
}

static uint64_t host_clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t clock_monotonic_ns(void)
{
    return host_clock_ns(CLOCK_MONOTONIC);
}

uint64_t clock_realtime_ns(void)
{
    return host_clock_ns(CLOCK_REALTIME);
}

uint64_t clock_realtime_coarse_ns(void)
{
    return host_clock_ns(CLOCK_REALTIME_COARSE);
}

int clock_sleep_until(uint64_t deadline_ns)
{
    while (clock_monotonic_ns() < deadline_ns)
        ;
    return 0;
}

static bool bad_ptr(const void *p)
{
    return p == NULL || p == KSHIM_BAD_PTR;
}

bool user_readable(const void *p, size_t len)
{
    (void)len;
    return !bad_ptr(p);
}

bool user_writable(void *p, size_t len)
{
    (void)len;
    return !bad_ptr(p);
}

long user_path(const char *upath, char *buf, size_t size)
{
    if (bad_ptr(upath))
        return -EFAULT;
    size_t n = strnlen(upath, size);
    if (n == size)
        return -ENAMETOOLONG;
    memcpy(buf, upath, n + 1);
    return (long)n;
}

void syscall_warn_once(long nr, const char *name, const char *what)
{
    fprintf(stderr, "unikit: %s (%ld): %s is not supported\n", name, nr, what);
}
