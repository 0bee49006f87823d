/*
 * The program's address space: a list of areas (like Linux's VMAs) backed
 * by pages that are allocated on first touch. The kernel checks every
 * pointer a program passes against these areas, so a bad pointer becomes
 * EFAULT instead of a kernel fault.
 */
#ifndef UNIKIT_VM_H
#define UNIKIT_VM_H

#include "types.h"

#define VM_READ  0x1
#define VM_WRITE 0x2
#define VM_EXEC  0x4
#define VM_STACK 0x10 /* grows down; reported as [stack] */
#define VM_HEAP  0x20 /* the brk area */

#define VM_USER_TOP   0x00007ffffffff000UL /* first address above the program's half */
#define VM_STACK_SIZE (8UL << 20)          /* reserved; pages are touched on demand */
#define VM_MMAP_TOP   (VM_USER_TOP - VM_STACK_SIZE - (1UL << 30))

void vm_init(void);
/* Maps [addr, addr+len) with prot; MAP_FIXED semantics: replaces what was there. */
int vm_map_fixed(uintptr_t addr, size_t len, int prot);
/* Finds a free range of len bytes below VM_MMAP_TOP, maps it, returns it in *addr. */
int vm_map_anywhere(size_t len, int prot, uintptr_t *addr);
int vm_unmap(uintptr_t addr, size_t len);
int vm_protect(uintptr_t addr, size_t len, int prot);
/* Grows or shrinks an area that starts at addr; -ENOMEM if it cannot move in place. */
int vm_resize(uintptr_t addr, size_t old_len, size_t new_len);
/* Moves the pages of [from, from+len) to [to, to+len), an area without pages yet. */
void vm_move_pages(uintptr_t from, uintptr_t to, size_t len);
/* Frees the pages in a range but keeps the areas: the next touch sees zeros. */
void vm_discard(uintptr_t addr, size_t len);
/* True when [addr, addr+len) lies in mapped areas allowing access (VM_READ/VM_WRITE). */
bool vm_range_ok(uintptr_t addr, size_t len, int access);
/* Resolves a page fault; true when handled (demand page), false for a real fault. */
bool vm_handle_fault(uintptr_t addr, int access);
/* Maps every page of [addr, addr+len) now, for code that must not take a
 * page fault while it writes there (an x86_64 exception handler, whose
 * stack a nested fault would reuse); false where the range is not mapped
 * with access. */
bool vm_prefault(uintptr_t addr, size_t len, int access);
/*
 * Shared file mappings. vm_attach_file makes the area [addr, addr+len), just
 * mapped, show the file's pages from page pgoff (ip->iops->map_page) instead
 * of pages of its own; the area keeps a reference to ip. vm_file_of names
 * the file and page shown at addr (NULL for anonymous memory).
 * vm_file_shrunk unmaps the pages of ip wholly past size, before the file
 * system frees them: a later touch there faults.
 */
struct inode;
int vm_attach_file(uintptr_t addr, size_t len, struct inode *ip, uint64_t pgoff);
struct inode *vm_file_of(uintptr_t addr, uint64_t *pgoff);
/* Names the areas in [addr, addr+len), just mapped from file ip at page
 * pgoff, path (shared or a private copy), for /proc/self/maps;
 * vm_copy_name gives the area at to the name of the one at from (mremap). */
int vm_name_file(uintptr_t addr, size_t len, const char *path, struct inode *ip, uint64_t pgoff);
void vm_copy_name(uintptr_t from, uintptr_t to);
void vm_file_shrunk(struct inode *ip, uint64_t size);
/* Maps the pages of ip's shared mappings read-only again, on every CPU: its
 * file system is about to write back their stores, and the next store must
 * fault to mark its page again (inode_ops.page_dirty). */
void vm_file_write_protect(struct inode *ip);
/* vm_range_ok for a system call's buffer, in the same walk mapping the file
 * pages of [addr, addr+len) not mapped yet; false when one is past its
 * file's end. The kernel must not take a fault on a file page while it
 * serves a call (a volume's page needs a 9P request). */
bool vm_user_range(uintptr_t addr, size_t len, int access);
/* True when addr is in a shared file mapping, past the file's end: a touch
 * there is SIGBUS, as on Linux. */
bool vm_past_file_end(uintptr_t addr);
/* Writes back the files mapped in [addr, addr+len) (msync), or in the
 * whole address space (the program's end); see inode_ops.writeback. */
int vm_writeback(uintptr_t addr, size_t len, bool durable);
void vm_writeback_all(void);
/* Finds the area holding addr; returns its bounds and prot. */
bool vm_area_of(uintptr_t addr, uintptr_t *start, uintptr_t *end, int *prot);

/* What /proc/self/maps shows of an area. */
struct vm_area_info {
    uintptr_t start, end;
    int prot;         /* an area of the brk heap has VM_HEAP added */
    bool shared;      /* a shared file mapping */
    const char *path; /* the file mapped (shared or a private copy); NULL: none */
    bool deleted;     /* the file has no name left */
    uint64_t dev, ino, offset;
};

/*
 * Calls fn for each area in address order, until it returns nonzero. Areas
 * are not merged: one mapping may come as several adjacent areas with the
 * same prot.
 */
void vm_for_each_area(int (*fn)(void *ctx, const struct vm_area_info *info), void *ctx);

/* brk: the heap area starts right after the program's last segment. */
void vm_brk_init(uintptr_t start);
uintptr_t vm_brk(uintptr_t new_end);

#endif
