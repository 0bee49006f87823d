// MAP_SHARED, PROT_READ|PROT_WRITE mappings of a file in memory: stores
// through the mapping are what read() returns and write() shows in the
// mapping; two mappings see each other; msync validates its flags as Linux
// does; a page past the end of the file is SIGBUS (si_code BUS_ADRERR,
// si_addr the byte touched, as Linux gives) until
// ftruncate grows the file over it; shrinking drops the page again; mremap
// and munmap keep the mapping on the same file; the file outlives its name.
// A buffer past the end handed to write() is EFAULT.
#include "guest.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#define PG 4096

static sigjmp_buf on_fault;
static siginfo_t fault_info;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    fault_info = *si;
    siglongjmp(on_fault, sig);
}

/* True when reading *p is SIGBUS, as past the end of a mapped file. */
static int read_faults(volatile char *p)
{
    int sig = sigsetjmp(on_fault, 1);
    if (sig)
        return sig == SIGBUS;
    (void)*p;
    return 0;
}

static int file_has(int fd, off_t off, const char *want_text)
{
    char buf[64] = {0};
    size_t n = strlen(want_text);
    return pread(fd, buf, n, off) == (ssize_t)n && memcmp(buf, want_text, n) == 0;
}

static void msync_flags(char *p)
{
    want("msync MS_SYNC", msync(p, PG, MS_SYNC), 0);
    want("msync MS_ASYNC", msync(p, PG, MS_ASYNC), 0);
    want("msync MS_INVALIDATE", msync(p, PG, MS_INVALIDATE), 0);
    want("msync MS_SYNC|MS_INVALIDATE", msync(p, PG, MS_SYNC | MS_INVALIDATE), 0);
    want("msync length 0", msync(p, 0, MS_SYNC), 0);
    want("msync MS_SYNC|MS_ASYNC", msync(p, PG, MS_SYNC | MS_ASYNC), EINVAL);
    want("msync unknown flag", msync(p, PG, 8), EINVAL);
    want("msync unaligned", msync(p + 1, PG, MS_SYNC), EINVAL);
    char *hole = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole, PG);
    want("msync unmapped", msync(hole, PG, MS_SYNC), ENOMEM);
}

static void past_the_end(int fd, char *p)
{
    check("touch past EOF is SIGBUS", read_faults(p + PG + 7));
    check("its si_code is BUS_ADRERR", fault_info.si_code == BUS_ADRERR);
    check("its si_addr is the byte touched", fault_info.si_addr == p + PG + 7);
    want("write() from past EOF", pwrite(fd, p + PG, 10, 0), EFAULT);
    want("ftruncate to 2 pages", ftruncate(fd, 2 * PG), 0);
    check("touch after growing works", !read_faults(p + PG));
    memcpy(p + PG + 5, "grown", 5);
    check("read() sees the grown page", file_has(fd, PG + 5, "grown"));
    want("ftruncate to 1 page", ftruncate(fd, PG), 0);
    check("touch after shrinking is SIGBUS", read_faults(p + PG));
    want("ftruncate to 2 pages again", ftruncate(fd, 2 * PG), 0);
    check("the dropped page reads zeros", p[PG + 5] == 0);
}

int main(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/mmap-shared-file", work_dir());
    struct sigaction sa = {.sa_sigaction = fault_handler, .sa_flags = SA_SIGINFO};
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);

    int fd = (int)want("open", sys_open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), 0);
    want("ftruncate to 1 page", ftruncate(fd, PG), 0);
    char *p = want_ptr("mmap shared 2 pages",
                       mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), 0);
    memcpy(p, "mapped", 6);
    check("read() sees a store", file_has(fd, 0, "mapped"));
    check("write() ok", pwrite(fd, "written", 7, 100) == 7);
    check("the mapping sees write()", memcmp(p + 100, "written", 7) == 0);

    char *q =
        want_ptr("mmap shared again", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), 0);
    q[10] = 'X';
    check("one mapping sees the other", p[10] == 'X');

    msync_flags(p);
    past_the_end(fd, p);

    char *r = want_ptr("mremap to 3 pages", mremap(p, 2 * PG, 3 * PG, MREMAP_MAYMOVE), 0);
    check("mremap keeps the contents", memcmp(r + 100, "written", 7) == 0);
    r[11] = 'Y';
    check("mremap keeps the sharing", q[11] == 'Y');
    want("munmap", munmap(r, 3 * PG), 0);
    check("the file keeps stores after munmap", file_has(fd, 10, "XY"));

    int ro = (int)sys_open(path, O_RDONLY, 0);
    want_ptr("mmap shared writable of a read-only fd",
             mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
    close(ro);

    want("unlink while mapped", sys_unlink(path), 0);
    close(fd);
    q[0] = 'Z';
    check("the mapping outlives name and descriptor", q[0] == 'Z');
    want("munmap the last", munmap(q, PG), 0);
    return guest_done();
}
