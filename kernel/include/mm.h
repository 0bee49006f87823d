/*
 * Physical pages and the kernel heap.
 *
 * All physical memory is mapped at PHYS_OFFSET ("the direct map"), so the
 * kernel reaches any page through phys_to_virt(). The program's half of the
 * address space (below 2^47) is managed by vm.h.
 */
#ifndef UNIKIT_MM_H
#define UNIKIT_MM_H

#include "types.h"

#define PHYS_OFFSET 0xffff800000000000UL

static inline void *phys_to_virt(uintptr_t pa)
{
    return (void *)(pa + PHYS_OFFSET);
}

static inline uintptr_t virt_to_phys(const void *va)
{
    return (uintptr_t)va - PHYS_OFFSET;
}

struct plat_mem_range;
/* Hands RAM to the page allocator, less [reserved_start, reserved_end) and page 0. */
void page_init(const struct plat_mem_range *ranges, size_t n, uintptr_t reserved_start,
               uintptr_t reserved_end);
/* Physically contiguous, zero-filled pages; 0 when memory is exhausted. */
uintptr_t page_alloc(size_t npages);
void page_free(uintptr_t pa, size_t npages);
size_t page_total(void);
size_t page_free_count(void);

/* Kernel heap. kmalloc returns 16-byte aligned memory or NULL. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void *krealloc(void *p, size_t size);
void kfree(void *p);
char *kstrdup(const char *s);

#endif
