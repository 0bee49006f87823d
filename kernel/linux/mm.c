/* Memory system calls: brk, mmap and friends, on top of vm.h. */
#include "fd.h"
#include "lib.h"
#include "vfs.h"
#include "vm.h"
#include "syscalls.h"

#define PROT_READ           0x1
#define PROT_WRITE          0x2
#define PROT_EXEC           0x4
#define PROT_SEM            0x8
#define PROT_GROWSDOWN      0x01000000
#define PROT_GROWSUP        0x02000000
#define MAP_SHARED          0x01
#define MAP_PRIVATE         0x02
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MS_ASYNC            1
#define MS_INVALIDATE       2
#define MS_SYNC             4
#define MREMAP_MAYMOVE      1
#define MREMAP_FIXED        2
#define MADV_DONTNEED       4
#define MADV_FREE           8
/* Advice values Linux knows (0-25 and the hwpoison pair); others are EINVAL. */
#define MADV_KNOWN_MAX    25
#define MADV_HWPOISON     100
#define MADV_SOFT_OFFLINE 101

static int vm_prot(unsigned long prot)
{
    return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
           (prot & PROT_EXEC ? VM_EXEC : 0);
}

SYSCALL_DEFINE1(brk, unsigned long, addr)
{
    return (long)vm_brk(addr);
}

/* A private file mapping is a copy: there is one process and no page cache. */
static long fill_from_file(uintptr_t addr, size_t len, int fd, off_t off)
{
    struct file *f = fd_get(fd);
    if (!f)
        return -EBADF;
    ssize_t n = vfs_pread(f, (void *)addr, len, off);
    return n < 0 ? n : 0;
}

/*
 * MAP_SHARED of a file whose file system hands out its pages (map_page):
 * the area shows the file's own pages, so the mapping, read() and write()
 * are coherent. A volume's file system keeps those pages in the guest and
 * writes them back (msync, munmap, exit). Files without map_page get a
 * private copy, which is right for PROT_READ alone.
 */
static bool shares_pages(unsigned long flags, struct file *f)
{
    return (flags & MAP_SHARED) && f->inode && f->inode->type == VFS_REG && f->inode->iops &&
           f->inode->iops->map_page;
}

static long map_shared_file(uintptr_t where, size_t len, unsigned long prot, struct file *f,
                            long off)
{
    if (!(f->flags & VFS_O_READ) || ((prot & PROT_WRITE) && !(f->flags & VFS_O_WRITE)))
        return -EACCES;
    /* Protected first: the area was made writable to be made, not by the program. */
    int err = vm_protect(where, len, vm_prot(prot));
    return err ? err : vm_attach_file(where, len, f->inode, (uint64_t)off / PAGE_SIZE);
}

static bool range_mapped(uintptr_t addr, size_t len)
{
    for (uintptr_t p = addr; p < addr + len; p += PAGE_SIZE) {
        uintptr_t s, e;
        int prot;
        if (vm_area_of(p, &s, &e, &prot))
            return true;
    }
    return false;
}

SYSCALL_DEFINE6(mmap, unsigned long, addr, unsigned long, len, unsigned long, prot, unsigned long,
                flags, int, fd, long, off)
{
    bool anonymous = flags & MAP_ANONYMOUS;
    uintptr_t where = addr;
    int err;

    if (!len || (addr & (PAGE_SIZE - 1)) || (off & (PAGE_SIZE - 1)))
        return -EINVAL;
    if (!(flags & (MAP_SHARED | MAP_PRIVATE)))
        return -EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    struct file *f = anonymous ? NULL : fd_get(fd);
    if (!anonymous && !f)
        return -EBADF;
    bool shared_file = f && shares_pages(flags, f);
    if (f && !shared_file && (flags & MAP_SHARED) && (prot & PROT_WRITE)) {
        syscall_warn_current("of a file with MAP_SHARED and PROT_WRITE is not supported");
        return -ENODEV;
    }
    /* Mapped writable first so file bytes can be copied in, then protected. */
    int first = anonymous ? vm_prot(prot) : VM_READ | VM_WRITE;
    if (flags & MAP_FIXED_NOREPLACE && range_mapped(addr, len))
        return -EEXIST;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE))
        err = vm_map_fixed(addr, len, first);
    else
        err = vm_map_anywhere(len, first, &where);
    if (err)
        return err;
    if (shared_file) {
        err = (int)map_shared_file(where, len, prot, f, off);
        if (err) {
            vm_unmap(where, len);
            return err;
        }
    } else if (!anonymous) {
        err = (int)fill_from_file(where, len, fd, off);
        if (!err)
            err = vm_protect(where, len, vm_prot(prot));
        if (err) {
            vm_unmap(where, len);
            return err;
        }
    }
    if (f && f->path) /* for /proc/self/maps; a mapping without a name is no worse */
        vm_name_file(where, len, f->path, f->inode, (uint64_t)off / PAGE_SIZE);
    return (long)where;
}

SYSCALL_DEFINE2(munmap, unsigned long, addr, unsigned long, len)
{
    return vm_unmap(addr, len);
}

SYSCALL_DEFINE3(mprotect, unsigned long, addr, unsigned long, len, unsigned long, prot)
{
    if ((addr & (PAGE_SIZE - 1)) ||
        (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP)))
        return -EINVAL;
    if (!len)
        return 0;
    return vm_protect(addr, len, vm_prot(prot));
}

SYSCALL_DEFINE5(mremap, unsigned long, addr, unsigned long, old_len, unsigned long, new_len,
                unsigned long, flags, unsigned long, new_addr)
{
    uintptr_t s, e, dest;
    int prot;

    (void)new_addr;
    if ((addr & (PAGE_SIZE - 1)) || !new_len || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
        ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
        return -EINVAL;
    if (flags & MREMAP_FIXED) {
        syscall_warn_current("with MREMAP_FIXED is not supported");
        return -EINVAL;
    }
    /* As Linux's munmap of the tail would: past the user half is EINVAL. */
    if (addr >= VM_USER_TOP || old_len > VM_USER_TOP - addr)
        return -EINVAL;
    if (!vm_area_of(addr, &s, &e, &prot))
        return -EFAULT;
    old_len = ALIGN_UP(old_len, PAGE_SIZE);
    new_len = ALIGN_UP(new_len, PAGE_SIZE);
    if (vm_resize(addr, old_len, new_len) == 0)
        return (long)addr;
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    if (vm_map_anywhere(new_len, prot, &dest) < 0)
        return -ENOMEM;
    uint64_t pgoff;
    struct inode *file = vm_file_of(addr, &pgoff);
    if (file && vm_attach_file(dest, new_len, file, pgoff) < 0) {
        vm_unmap(dest, new_len);
        return -ENOMEM;
    }
    vm_copy_name(addr, dest);
    vm_move_pages(addr, dest, old_len);
    vm_unmap(addr, old_len);
    return (long)dest;
}

SYSCALL_DEFINE3(madvise, unsigned long, addr, unsigned long, len, int, advice)
{
    if ((addr & (PAGE_SIZE - 1)) ||
        (advice > MADV_KNOWN_MAX && advice != MADV_HWPOISON && advice != MADV_SOFT_OFFLINE) ||
        advice < 0)
        return -EINVAL;
    if (len && !vm_range_ok(addr, ALIGN_UP(len, PAGE_SIZE), 0))
        return -ENOMEM;
    /* Dropping the pages makes the next touch see zeros, as on Linux. */
    if (advice == MADV_DONTNEED || advice == MADV_FREE)
        vm_discard(addr, len);
    return 0;
}

/* Linux's checks, in its order. A shared mapping shows the file's own pages
 * (map_shared_file): an in-memory file has nothing to write back; a volume's
 * file writes its mapped pages to the host (MS_SYNC: and fsyncs it). */
SYSCALL_DEFINE3(msync, unsigned long, addr, unsigned long, len, int, flags)
{
    if ((addr & (PAGE_SIZE - 1)) || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (addr + len < addr)
        return -ENOMEM;
    if (len && !vm_range_ok(addr, len, 0))
        return -ENOMEM;
    if (!(flags & (MS_SYNC | MS_ASYNC)) || !len)
        return 0;
    return vm_writeback(addr, len, flags & MS_SYNC) ? -EIO : 0;
}
