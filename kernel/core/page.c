/*
 * Physical page allocator: one bit per 4 KiB page of RAM (1 = in use).
 * The bitmap lives in the first free RAM after the kernel image; for
 * 2 MiB of RAM it is 64 bytes, for 64 GiB it is 2 MiB.
 */
#include "lib.h"
#include "mm.h"
#include "plat.h"
#include "watch.h"

static uint64_t *bitmap;
static size_t npages; /* pages covered by the bitmap */
static size_t nfree;
static size_t ntotal;
static size_t search_from; /* no free page below it */

static bool page_used(size_t pfn)
{
    return bitmap[pfn / 64] >> (pfn % 64) & 1;
}

/* Whole words where the run covers them: marking 64 GiB is 16M pages. */
static void mark(size_t pfn, size_t count, bool used)
{
    size_t end = pfn + count;
    while (pfn < end) {
        if (pfn % 64 == 0 && end - pfn >= 64) {
            bitmap[pfn / 64] = used ? ~0UL : 0;
            pfn += 64;
            continue;
        }
        if (used)
            bitmap[pfn / 64] |= 1UL << (pfn % 64);
        else
            bitmap[pfn / 64] &= ~(1UL << (pfn % 64));
        pfn++;
    }
}

/* The first free page at or after pfn (npages when none), a word at a time. */
static size_t next_free(size_t pfn)
{
    while (pfn < npages) {
        if (pfn % 64 == 0 && bitmap[pfn / 64] == ~0UL) {
            pfn += 64;
            continue;
        }
        if (!page_used(pfn))
            return pfn;
        pfn++;
    }
    return npages;
}

static size_t count_free(void)
{
    size_t n = 0;
    for (size_t pfn = next_free(0); pfn < npages; pfn = next_free(pfn + 1))
        n++;
    return n;
}

/* Finds room for the bitmap itself: the first free stretch after the kernel. */
static uintptr_t place_bitmap(const struct plat_mem_range *r, size_t n, uintptr_t after,
                              size_t bytes)
{
    for (size_t i = 0; i < n; i++) {
        uintptr_t start = ALIGN_UP(MAX(r[i].start, after), PAGE_SIZE);
        if (start + bytes <= r[i].end)
            return start;
    }
    panic("no room for the page bitmap (%zu bytes)", bytes);
}

void page_init(const struct plat_mem_range *r, size_t n, uintptr_t reserved_start,
               uintptr_t reserved_end)
{
    uintptr_t ram_end = r[n - 1].end;
    npages = ram_end / PAGE_SIZE;
    size_t bytes = ALIGN_UP((npages + 63) / 64 * 8, PAGE_SIZE);
    uintptr_t bitmap_pa = place_bitmap(r, n, reserved_end, bytes);

    bitmap = phys_to_virt(bitmap_pa);
    memset(bitmap, 0xff, bytes);
    for (size_t i = 0; i < n; i++) {
        size_t first = ALIGN_UP(r[i].start, PAGE_SIZE) / PAGE_SIZE;
        size_t last = ALIGN_DOWN(r[i].end, PAGE_SIZE) / PAGE_SIZE;
        if (first < last)
            mark(first, last - first, false);
    }
    mark(0, 1, true);
    mark(reserved_start / PAGE_SIZE, (reserved_end - reserved_start) / PAGE_SIZE, true);
    mark(bitmap_pa / PAGE_SIZE, bytes / PAGE_SIZE, true);
    nfree = ntotal = count_free();
    watch_pages(ntotal, nfree);
    search_from = next_free(0);
}

static bool run_free(size_t pfn, size_t count)
{
    for (size_t i = pfn; i < pfn + count; i++)
        if (page_used(i))
            return false;
    return true;
}

uintptr_t page_alloc(size_t count)
{
    if (count == 0 || count > nfree)
        return 0;
    for (size_t pfn = search_from; pfn + count <= npages; pfn = next_free(pfn + 1)) {
        if (!run_free(pfn, count))
            continue;
        mark(pfn, count, true);
        nfree -= count;
        watch_pages(ntotal, nfree);
        if (pfn == search_from)
            search_from = next_free(pfn + count);
        uintptr_t pa = pfn * PAGE_SIZE;
        memset(phys_to_virt(pa), 0, count * PAGE_SIZE);
        return pa;
    }
    return 0;
}

void page_free(uintptr_t pa, size_t count)
{
    size_t pfn = pa / PAGE_SIZE;
    BUG_ON(pfn + count > npages || !page_used(pfn));
    mark(pfn, count, false);
    nfree += count;
    watch_pages(ntotal, nfree);
    if (pfn < search_from)
        search_from = pfn;
}

size_t page_total(void)
{
    return ntotal;
}

size_t page_free_count(void)
{
    return nfree;
}
