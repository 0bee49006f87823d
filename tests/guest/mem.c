// cpus: 1 2
// native-aarch64: no (qemu-aarch64 accepts any madvise advice and differs on mremap to size 0)
// Address space: brk mmap munmap mprotect mremap madvise, with EINVAL,
// ENOMEM, EBADF and EFAULT, and Linux's zero-fill guarantees.
#include "guest.h"
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096L

static int all_zero(const char *p, long n)
{
    for (long i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static long sys_mmap(void *addr, long len, long prot, long flags, long fd, long off)
{
    return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static void test_brk(void)
{
    /* brk(0) asks for the current break; failures return the old break too. */
    long cur = syscall(SYS_brk, 0L);
    check("brk query", cur > 0);
    long grown = syscall(SYS_brk, cur + 64 * 1024);
    check("brk grow", grown == cur + 64 * 1024);
    char *p = (char *)cur;
    check("brk memory zeroed", all_zero(p, 64 * 1024));
    memset(p, 0xab, 64 * 1024);
    check("brk memory writable", (unsigned char)p[64 * 1024 - 1] == 0xab);
    check("brk shrink", syscall(SYS_brk, cur) == cur);
    check("brk regrow", syscall(SYS_brk, cur + 8192) == cur + 8192);
    check("brk regrown is zero", all_zero(p, 8192));
    check("brk refuses kernel address", syscall(SYS_brk, BAD_KERNEL) == cur + 8192);
    check("brk refuses huge", syscall(SYS_brk, cur + (1L << 46)) == cur + 8192);
    check("brk back", syscall(SYS_brk, cur) == cur);
}

static void test_mmap(const char *work)
{
    long a = want(
        "mmap anon",
        sys_mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), 0);
    char *p = (char *)a;
    check("mmap page aligned", (a & (PAGE - 1)) == 0);
    check("mmap zero-filled", all_zero(p, 4 * PAGE));
    memset(p, 0x5a, 4 * PAGE);
    check("mmap writable", p[0] == 0x5a && p[4 * PAGE - 1] == 0x5a);

    /* Punch a hole, then fill it again with MAP_FIXED at the same place. */
    want("munmap middle", syscall(SYS_munmap, p + PAGE, 2 * PAGE), 0);
    long f = sys_mmap(p + PAGE, 2 * PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("mmap fixed into hole", f == a + PAGE);
    check("refilled hole is zero", all_zero(p + PAGE, 2 * PAGE));
    check("neighbours kept", p[0] == 0x5a && p[3 * PAGE] == 0x5a);
    /* MAP_FIXED over a live mapping replaces it. */
    f = sys_mmap(p, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    check("mmap fixed replaces", f == a && all_zero(p, PAGE));

    want("mmap length 0", sys_mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
    want("mmap fixed unaligned",
         sys_mmap(p + 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
    want("mmap neither shared nor private", sys_mmap(NULL, PAGE, PROT_READ, MAP_ANONYMOUS, -1, 0),
         EINVAL);
    want("mmap bad fd", sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 99, 0), EBADF);
    want("mmap too big", sys_mmap(NULL, 1L << 47, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
         ENOMEM);

    /* A private read-only map of a file shows its bytes, zeros after EOF. */
    char path[512];
    snprintf(path, sizeof path, "%s/mem-test.txt", work);
    long fd = sys_open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    syscall(SYS_write, fd, "mapped file\n", 12);
    want("mmap file unaligned offset", sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 100),
         EINVAL);
    long m = want("mmap file", sys_mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0), 0);
    if (m > 0) {
        check("file bytes", memcmp((char *)m, "mapped file\n", 12) == 0);
        check("zeros after eof", all_zero((char *)m + 12, PAGE - 12));
        want("munmap file", syscall(SYS_munmap, m, PAGE), 0);
    }
    syscall(SYS_close, fd);
    sys_unlink(path);

    want("munmap unaligned", syscall(SYS_munmap, p + 1, PAGE), EINVAL);
    want("munmap length 0", syscall(SYS_munmap, p, 0L), EINVAL);
    want("munmap all", syscall(SYS_munmap, p, 4 * PAGE), 0);
    /* Unmapping what is not mapped is not an error on Linux. */
    want("munmap again", syscall(SYS_munmap, p, 4 * PAGE), 0);
}

static void test_mprotect(void)
{
    char *p = (char *)sys_mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                               -1, 0);
    p[0] = 1;
    want("mprotect read-only", syscall(SYS_mprotect, p, PAGE, (long)PROT_READ), 0);
    check("read after mprotect", *(volatile char *)p == 1);
    want("mprotect none", syscall(SYS_mprotect, p, PAGE, (long)PROT_NONE), 0);
    want("mprotect read-write", syscall(SYS_mprotect, p, 2 * PAGE, (long)(PROT_READ | PROT_WRITE)),
         0);
    p[0] = 2;
    p[PAGE] = 3;
    check("write after mprotect", p[0] == 2 && p[PAGE] == 3);
    want("mprotect unaligned", syscall(SYS_mprotect, p + 1, PAGE, (long)PROT_READ), EINVAL);
    want("mprotect bad prot", syscall(SYS_mprotect, p, PAGE, 0x100L), EINVAL);
    syscall(SYS_munmap, p, 2 * PAGE);
    want("mprotect unmapped", syscall(SYS_mprotect, p, PAGE, (long)PROT_READ), ENOMEM);
}

static void test_mremap(void)
{
    char *p =
        (char *)sys_mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memcpy(p, "keep me", 8);
    long q = want("mremap grow maymove",
                  syscall(SYS_mremap, p, PAGE, 4 * PAGE, (long)MREMAP_MAYMOVE), 0);
    char *r = (char *)q;
    check("mremap keeps content", q > 0 && memcmp(r, "keep me", 8) == 0);
    check("mremap new part zero", q > 0 && all_zero(r + PAGE, 3 * PAGE));
    r[4 * PAGE - 1] = 9;
    check("mremap shrink in place", syscall(SYS_mremap, r, 4 * PAGE, 2 * PAGE, 0L) == q);
    /* The first page cannot grow in place: the second page is in the way. */
    want("mremap grow blocked", syscall(SYS_mremap, r, PAGE, 2 * PAGE, 0L), ENOMEM);
    want("mremap unaligned", syscall(SYS_mremap, r + 1, PAGE, 2 * PAGE, (long)MREMAP_MAYMOVE),
         EINVAL);
    want("mremap new size 0", syscall(SYS_mremap, r, PAGE, 0L, (long)MREMAP_MAYMOVE), EINVAL);
    want("mremap bad flags", syscall(SYS_mremap, r, PAGE, 2 * PAGE, 0x100L), EINVAL);
    want("mremap fixed without maymove", syscall(SYS_mremap, r, PAGE, PAGE, (long)MREMAP_FIXED, r),
         EINVAL);
    /* An old size reaching past the program's address space: refused at
       once (it once spun the kernel for minutes, page by page). */
    want("mremap old size past the address space",
         syscall(SYS_mremap, r, 1L << 47, 9 * PAGE, (long)MREMAP_MAYMOVE), EINVAL);
    /* Issue 16's case: inside the address space, far past the mapping. */
    want("mremap old size past the mapping",
         syscall(SYS_mremap, r, 1L << 44, 9 * PAGE, (long)MREMAP_MAYMOVE), EINVAL);
    syscall(SYS_munmap, r, 2 * PAGE);
    want("mremap unmapped", syscall(SYS_mremap, r, PAGE, 2 * PAGE, (long)MREMAP_MAYMOVE), EFAULT);
}

static void test_madvise(void)
{
    char *p = (char *)sys_mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                               -1, 0);
    memset(p, 7, 4 * PAGE);
    want("madvise normal", syscall(SYS_madvise, p, 4 * PAGE, (long)MADV_NORMAL), 0);
    want("madvise willneed", syscall(SYS_madvise, p, 4 * PAGE, (long)MADV_WILLNEED), 0);
    /* Private anonymous pages read back as zeros after MADV_DONTNEED. */
    want("madvise dontneed", syscall(SYS_madvise, p + PAGE, 2 * PAGE, (long)MADV_DONTNEED), 0);
    check("dontneed zeroes", all_zero(p + PAGE, 2 * PAGE));
    check("dontneed spares the rest", p[0] == 7 && p[3 * PAGE] == 7);
    want("madvise unaligned", syscall(SYS_madvise, p + 1, PAGE, (long)MADV_NORMAL), EINVAL);
    want("madvise bad advice", syscall(SYS_madvise, p, PAGE, 9999L), EINVAL);
    syscall(SYS_munmap, p, 4 * PAGE);
    want("madvise unmapped", syscall(SYS_madvise, p, PAGE, (long)MADV_WILLNEED), ENOMEM);
}

int main(void)
{
    const char *work = work_dir();
    test_brk();
    test_mmap(work);
    test_mprotect();
    test_mremap();
    test_madvise();
    return guest_done();
}
