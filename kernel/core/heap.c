/*
 * The kernel heap: power-of-two size classes carved from pages, and whole
 * pages for anything larger. Every block starts with a 16-byte header
 * holding its size class (or page count), so kfree needs no size.
 */
#include "lib.h"
#include "mm.h"

#define HEADER      16
#define MIN_SHIFT   4  /* 16 bytes */
#define MAX_SHIFT   11 /* 2048 bytes */
#define NCLASSES    (MAX_SHIFT - MIN_SHIFT + 1)
#define LARGE_CLASS 0xff

struct block_header {
    uint32_t class; /* size class, or LARGE_CLASS */
    uint32_t pages; /* for large blocks */
    uint64_t pad;
};

struct free_block {
    struct free_block *next;
};

static struct free_block *free_lists[NCLASSES];

static int class_of(size_t total)
{
    for (int c = 0; c < NCLASSES; c++)
        if (total <= (1UL << (c + MIN_SHIFT)))
            return c;
    return -1;
}

static bool refill(int c)
{
    uintptr_t pa = page_alloc(1);
    if (!pa)
        return false;
    size_t size = 1UL << (c + MIN_SHIFT);
    char *page = phys_to_virt(pa);
    for (size_t off = 0; off + size <= PAGE_SIZE; off += size) {
        struct free_block *b = (struct free_block *)(page + off);
        b->next = free_lists[c];
        free_lists[c] = b;
    }
    return true;
}

static void *alloc_large(size_t total)
{
    size_t pages = ALIGN_UP(total, PAGE_SIZE) / PAGE_SIZE;
    uintptr_t pa = page_alloc(pages);
    if (!pa)
        return NULL;
    struct block_header *h = phys_to_virt(pa);
    h->class = LARGE_CLASS;
    h->pages = (uint32_t)pages;
    return (char *)h + HEADER;
}

void *kmalloc(size_t size)
{
    if (size > (1UL << 40))
        return NULL;
    size_t total = size + HEADER;
    int c = class_of(total);
    if (c < 0)
        return alloc_large(total);
    if (!free_lists[c] && !refill(c))
        return NULL;
    struct free_block *b = free_lists[c];
    free_lists[c] = b->next;
    struct block_header *h = (struct block_header *)b;
    h->class = (uint32_t)c;
    return (char *)h + HEADER;
}

void *kzalloc(size_t size)
{
    void *p = kmalloc(size);
    if (p)
        memset(p, 0, size);
    return p;
}

static size_t usable_size(const struct block_header *h)
{
    if (h->class == LARGE_CLASS)
        return h->pages * PAGE_SIZE - HEADER;
    return (1UL << (h->class + MIN_SHIFT)) - HEADER;
}

void kfree(void *p)
{
    if (!p)
        return;
    struct block_header *h = (struct block_header *)((char *)p - HEADER);
    if (h->class == LARGE_CLASS) {
        page_free(virt_to_phys(h), h->pages);
        return;
    }
    BUG_ON(h->class >= NCLASSES);
    struct free_block *b = (struct free_block *)h;
    b->next = free_lists[h->class];
    free_lists[h->class] = b;
}

void *krealloc(void *p, size_t size)
{
    if (!p)
        return kmalloc(size);
    struct block_header *h = (struct block_header *)((char *)p - HEADER);
    size_t old = usable_size(h);
    if (size <= old)
        return p;
    void *n = kmalloc(size);
    if (!n)
        return NULL;
    memcpy(n, p, old);
    kfree(p);
    return n;
}

char *kstrdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *d = kmalloc(len);
    if (d)
        memcpy(d, s, len);
    return d;
}
