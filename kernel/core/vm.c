/*
 * The program's address space: a sorted list of areas. Pages are
 * allocated when first touched (vm_handle_fault), so reserving a large
 * stack or a PROT_NONE region costs nothing until it is used.
 */
#include "arch.h"
#include "errno.h"
#include "lib.h"
#include "mm.h"
#include "vfs.h"
#include "vm.h"

/*
 * An area is anonymous (file NULL: its pages are its own, freed with it) or
 * a shared file mapping: its pages belong to the file (inode_ops.map_page)
 * and are only unmapped, never freed, when the area goes. A file that
 * writes its pages back (a volume's) tracks which ones the program stored
 * to (inode_ops.page_dirty): a page without stores is mapped read-only
 * even in a writable area, so the first store faults and marks it.
 */
struct area {
    uintptr_t start, end; /* [start, end), page-aligned */
    int prot;
    struct inode *file; /* holds a reference */
    uint64_t pgoff;     /* the file page at start (of file, or of name's file) */
    bool stored;        /* was ever writable: its file may have stores to write back */
    struct vm_name *name;
    struct area *next;
};

/* The file an area was mapped from (shared or a private copy), for
 * /proc/self/maps; shared by the areas of one mmap. */
struct vm_name {
    uint32_t refs;
    struct inode *ip; /* holds a reference */
    uint64_t dev;
    char path[];
};

static struct vm_name *name_get(struct vm_name *n)
{
    if (n)
        n->refs++;
    return n;
}

static void name_put(struct vm_name *n)
{
    if (n && --n->refs == 0) {
        inode_put(n->ip);
        kfree(n);
    }
}

static struct area *areas;
static uintptr_t brk_start, brk_end;

static bool tracks_stores(const struct area *a)
{
    return a->file && (a->prot & VM_WRITE) && a->file->iops->page_dirty;
}

static uint64_t file_page_at(const struct area *a, uintptr_t va)
{
    return a->pgoff + (ALIGN_DOWN(va, PAGE_SIZE) - a->start) / PAGE_SIZE;
}

/* The page table's prot for the page at va of area a; store: the program
 * stores to it now. */
static int page_prot(const struct area *a, uintptr_t va, bool store)
{
    if (!tracks_stores(a))
        return a->prot;
    return a->file->iops->page_dirty(a->file, file_page_at(a, va), store) ? a->prot
                                                                          : a->prot & ~VM_WRITE;
}

void vm_init(void)
{
    areas = NULL;
}

static struct area *area_new(uintptr_t start, uintptr_t end, int prot)
{
    struct area *a = kmalloc(sizeof(*a));
    if (a)
        *a = (struct area){start, end, prot, NULL, 0, false, NULL, NULL};
    return a;
}

/* Unmaps in batches: a page is free for reuse only once no CPU can
 * reach it through a stale TLB entry (arch_tlb_sync). A file's pages (free
 * false) stay the file's, but no CPU may reach them either: the file may
 * free them next. */
static void release_pages(uintptr_t start, uintptr_t end, bool free)
{
    uintptr_t batch[64];
    size_t n = 0;
    bool unmapped = false;
    uintptr_t va = arch_next_mapped(start, end);
    while (va < end) {
        uintptr_t pa = arch_unmap_page(va);
        va = arch_next_mapped(va + PAGE_SIZE, end);
        unmapped |= pa != 0;
        if (pa && free)
            batch[n++] = pa;
        if (n == ARRAY_SIZE(batch) || (n && va >= end)) {
            arch_tlb_sync();
            while (n)
                page_free(batch[--n], 1);
        }
    }
    if (unmapped && !free)
        arch_tlb_sync();
}

/* Splits the area containing addr so that an area boundary falls at addr. */
static int split_at(uintptr_t addr)
{
    for (struct area *a = areas; a; a = a->next) {
        if (addr <= a->start || addr >= a->end)
            continue;
        struct area *tail = area_new(addr, a->end, a->prot);
        if (!tail)
            return -ENOMEM;
        tail->next = a->next;
        tail->file = a->file;
        tail->stored = a->stored;
        tail->name = name_get(a->name);
        tail->pgoff = a->pgoff + (addr - a->start) / PAGE_SIZE;
        if (tail->file)
            inode_get(tail->file);
        a->end = addr;
        a->next = tail;
        return 0;
    }
    return 0;
}

static bool valid_range(uintptr_t addr, size_t len)
{
    return len && !(addr & (PAGE_SIZE - 1)) && addr < VM_USER_TOP && len <= VM_USER_TOP - addr;
}

static bool file_mapped(struct inode *ip)
{
    for (struct area *a = areas; a; a = a->next)
        if (a->file == ip)
            return true;
    return false;
}

/* An area of a file is gone (already off the list): its stores reach the file. */
static void file_unmapped(struct area *a)
{
    struct inode *ip = a->file;
    if (!ip)
        return;
    unsigned how = (a->stored ? 0 : VFS_WB_CLEAN) | (file_mapped(ip) ? 0 : VFS_WB_DROP);
    if (ip->iops->writeback && how != VFS_WB_CLEAN)
        ip->iops->writeback(ip, how);
    inode_put(ip);
}

int vm_writeback(uintptr_t addr, size_t len, bool durable)
{
    int err = 0;
    for (struct area *a = areas; a; a = a->next) {
        if (a->start >= addr + len || addr >= a->end || !a->file || !a->stored ||
            !a->file->iops->writeback)
            continue;
        int e = a->file->iops->writeback(a->file, durable ? VFS_WB_DURABLE : 0);
        err = err ? err : e;
    }
    return err;
}

void vm_writeback_all(void)
{
    vm_writeback(0, VM_USER_TOP, false);
}

int vm_unmap(uintptr_t addr, size_t len)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!valid_range(addr, len))
        return -EINVAL;
    uintptr_t end = addr + len;
    if (split_at(addr) || split_at(end))
        return -ENOMEM;
    struct area **link = &areas;
    while (*link) {
        struct area *a = *link;
        if (a->start >= addr && a->end <= end) {
            release_pages(a->start, a->end, !a->file);
            *link = a->next;
            file_unmapped(a);
            name_put(a->name);
            kfree(a);
        } else {
            link = &a->next;
        }
    }
    return 0;
}

static void insert_area(struct area *n)
{
    struct area **link = &areas;
    while (*link && (*link)->start < n->start)
        link = &(*link)->next;
    n->next = *link;
    *link = n;
}

int vm_map_fixed(uintptr_t addr, size_t len, int prot)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!valid_range(addr, len))
        return -EINVAL;
    int err = vm_unmap(addr, len);
    if (err)
        return err;
    struct area *a = area_new(addr, addr + len, prot);
    if (!a)
        return -ENOMEM;
    insert_area(a);
    return 0;
}

static bool range_free(uintptr_t start, uintptr_t end)
{
    for (struct area *a = areas; a; a = a->next)
        if (a->start < end && start < a->end)
            return false;
    return true;
}

/* Top-down first fit below VM_MMAP_TOP, as Linux places mmap regions. */
int vm_map_anywhere(size_t len, int prot, uintptr_t *addr)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!len || len > VM_MMAP_TOP)
        return -ENOMEM;
    uintptr_t candidate = VM_MMAP_TOP - len;
    for (;;) {
        struct area *blocker = NULL;
        for (struct area *a = areas; a; a = a->next)
            if (a->start < candidate + len && candidate < a->end)
                blocker = a;
        if (!blocker)
            break;
        if (blocker->start < len + PAGE_SIZE)
            return -ENOMEM;
        candidate = blocker->start - len;
    }
    if (candidate < (1UL << 16))
        return -ENOMEM;
    *addr = candidate;
    return vm_map_fixed(candidate, len, prot);
}

int vm_protect(uintptr_t addr, size_t len, int prot)
{
    len = ALIGN_UP(len, PAGE_SIZE);
    if (!valid_range(addr, len))
        return -EINVAL;
    uintptr_t end = addr + len;
    /* Linux demands the whole range be mapped. */
    for (uintptr_t p = addr; p < end;) {
        uintptr_t s, e;
        int unused_prot;
        if (!vm_area_of(p, &s, &e, &unused_prot))
            return -ENOMEM;
        p = e;
    }
    if (split_at(addr) || split_at(end))
        return -ENOMEM;
    for (struct area *a = areas; a; a = a->next) {
        if (a->start < addr || a->end > end)
            continue;
        a->prot = prot;
        a->stored |= a->file && (prot & VM_WRITE);
        for (uintptr_t va = a->start; va < a->end; va += PAGE_SIZE)
            arch_protect_page(va, page_prot(a, va, false));
    }
    arch_tlb_sync();
    return 0;
}

static struct area *area_at(uintptr_t addr)
{
    for (struct area *a = areas; a; a = a->next)
        if (addr >= a->start && addr < a->end)
            return a;
    return NULL;
}

int vm_attach_file(uintptr_t addr, size_t len, struct inode *ip, uint64_t pgoff)
{
    struct area *a = area_at(addr);
    if (!a || a->start != addr || a->end != addr + ALIGN_UP(len, PAGE_SIZE) || a->file)
        return -EINVAL;
    a->file = ip;
    a->pgoff = pgoff;
    a->stored = a->prot & VM_WRITE;
    inode_get(ip);
    return 0;
}

int vm_name_file(uintptr_t addr, size_t len, const char *path, struct inode *ip, uint64_t pgoff)
{
    uintptr_t end = addr + ALIGN_UP(len, PAGE_SIZE);
    if (split_at(addr) || split_at(end))
        return -ENOMEM;
    struct vfs_stat st;
    vfs_stat_inode(ip, &st);
    struct vm_name *n = kmalloc(sizeof(*n) + strlen(path) + 1);
    if (!n)
        return -ENOMEM;
    *n = (struct vm_name){.refs = 1, .ip = ip, .dev = st.dev};
    memcpy(n->path, path, strlen(path) + 1);
    inode_get(ip);
    for (struct area *a = areas; a; a = a->next) {
        if (a->start < addr || a->end > end)
            continue;
        name_put(a->name);
        a->name = name_get(n);
        a->pgoff = pgoff + (a->start - addr) / PAGE_SIZE;
    }
    name_put(n); /* ours: freed here when no area took it */
    return 0;
}

void vm_copy_name(uintptr_t from, uintptr_t to)
{
    struct area *src = area_at(from), *dst = area_at(to);
    if (!src || !dst || !src->name || dst->name)
        return;
    dst->name = name_get(src->name);
    dst->pgoff = file_page_at(src, from);
}

struct inode *vm_file_of(uintptr_t addr, uint64_t *pgoff)
{
    struct area *a = area_at(addr);
    if (!a || !a->file)
        return NULL;
    *pgoff = file_page_at(a, addr);
    return a->file;
}

void vm_file_write_protect(struct inode *ip)
{
    for (struct area *a = areas; a; a = a->next) {
        if (a->file != ip || !(a->prot & VM_WRITE))
            continue;
        for (uintptr_t va = arch_next_mapped(a->start, a->end); va < a->end;
             va = arch_next_mapped(va + PAGE_SIZE, a->end))
            arch_protect_page(va, a->prot & ~VM_WRITE);
    }
    arch_tlb_sync();
}

void vm_file_shrunk(struct inode *ip, uint64_t size)
{
    uint64_t first_gone = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
    for (struct area *a = areas; a; a = a->next) {
        if (a->file != ip)
            continue;
        for (uintptr_t va = a->start; va < a->end; va += PAGE_SIZE)
            if (file_page_at(a, va) >= first_gone)
                arch_unmap_page(va);
    }
    arch_tlb_sync();
}

int vm_resize(uintptr_t addr, size_t old_len, size_t new_len)
{
    old_len = ALIGN_UP(old_len, PAGE_SIZE);
    new_len = ALIGN_UP(new_len, PAGE_SIZE);
    uintptr_t s, e;
    int prot;
    if (!vm_area_of(addr, &s, &e, &prot) || s > addr)
        return -EFAULT;
    if (new_len <= old_len)
        return new_len < old_len ? vm_unmap(addr + new_len, old_len - new_len) : 0;
    if (!valid_range(addr, new_len) || !range_free(addr + old_len, addr + new_len))
        return -ENOMEM;
    struct area *a = area_new(addr + old_len, addr + new_len, prot);
    if (!a)
        return -ENOMEM;
    struct area *last = area_at(addr + old_len - PAGE_SIZE);
    if (last && (last->file || last->name)) { /* the file mapping goes on */
        a->file = last->file;
        a->stored = last->stored;
        a->name = name_get(last->name);
        a->pgoff = last->pgoff + (addr + old_len - last->start) / PAGE_SIZE;
        if (a->file)
            inode_get(a->file);
    }
    insert_area(a);
    return 0;
}

void vm_move_pages(uintptr_t from, uintptr_t to, size_t len)
{
    uintptr_t s, e;
    int prot;
    if (!vm_area_of(to, &s, &e, &prot))
        return;
    for (size_t off = 0; off < ALIGN_UP(len, PAGE_SIZE); off += PAGE_SIZE) {
        uintptr_t pa = arch_unmap_page(from + off);
        struct area *a = area_at(to + off);
        if (pa && arch_map_page(to + off, pa, page_prot(a, to + off, false)) < 0 && !a->file) {
            arch_tlb_sync();
            page_free(pa, 1);
        }
    }
    arch_tlb_sync();
}

/* A shared file page is only unmapped: the next touch maps the file's page again. */
void vm_discard(uintptr_t addr, size_t len)
{
    uintptr_t start = ALIGN_DOWN(addr, PAGE_SIZE);
    if (start >= VM_USER_TOP)
        return;
    uintptr_t end = MIN(ALIGN_UP(addr + len, PAGE_SIZE), VM_USER_TOP);
    for (struct area *a = areas; a; a = a->next)
        if (a->start < end && start < a->end)
            release_pages(MAX(a->start, start), MIN(a->end, end), !a->file);
}

bool vm_area_of(uintptr_t addr, uintptr_t *start, uintptr_t *end, int *prot)
{
    for (struct area *a = areas; a; a = a->next) {
        if (addr >= a->start && addr < a->end) {
            *start = a->start;
            *end = a->end;
            *prot = a->prot;
            return true;
        }
    }
    return false;
}

void vm_for_each_area(int (*fn)(void *ctx, const struct vm_area_info *info), void *ctx)
{
    uintptr_t heap_end = ALIGN_UP(brk_end, PAGE_SIZE);
    for (struct area *a = areas; a; a = a->next) {
        bool heap = a->start >= brk_start && a->end <= heap_end;
        struct vm_area_info info = {.start = a->start,
                                    .end = a->end,
                                    .prot = a->prot | (heap ? VM_HEAP : 0),
                                    .shared = a->file != NULL};
        if (a->name) {
            info.path = a->name->path;
            info.deleted = a->name->ip->nlink == 0;
            info.dev = a->name->dev;
            info.ino = a->name->ip->ino;
            info.offset = a->pgoff * PAGE_SIZE;
        }
        if (fn(ctx, &info))
            return;
    }
}

/* A page past the file's end is a fault (Linux: SIGBUS). */
static bool map_file_page(struct area *a, uintptr_t va, bool store)
{
    uintptr_t pa;
    if (a->file->iops->map_page(a->file, file_page_at(a, va), &pa) < 0)
        return false;
    return arch_map_page(va, pa, page_prot(a, va, store)) == 0;
}

/* A store to a mapped page kept read-only until now: marked, made writable.
 * Another CPU may still hold the read-only entry: its store faults again
 * and finds the page marked, which costs nothing. */
static bool store_to_file_page(struct area *a, uintptr_t va)
{
    if (!tracks_stores(a))
        return false;
    arch_protect_page(va, page_prot(a, va, true));
    return true;
}

bool vm_past_file_end(uintptr_t addr)
{
    struct area *a = area_at(addr);
    if (!a || !a->file)
        return false;
    return file_page_at(a, addr) >= ALIGN_UP(a->file->size, PAGE_SIZE) / PAGE_SIZE;
}

/* Maps a file area's pages in [from, to) that are not mapped yet; for a
 * store (the kernel's, into a call's buffer), marks them as stored to. */
static bool fault_in_file(struct area *a, uintptr_t from, uintptr_t to, bool store)
{
    for (uintptr_t va = ALIGN_DOWN(from, PAGE_SIZE); va < to; va += PAGE_SIZE) {
        if (!arch_page_present(va)) {
            if (!map_file_page(a, va, store))
                return false;
        } else if (store) {
            store_to_file_page(a, va); /* nothing to mark where the file tracks no stores */
        }
    }
    return true;
}

/* Whether [addr, addr+len) lies in areas allowing access; with map_files,
 * the file pages there not mapped yet are mapped in the same walk. */
static bool walk_range(uintptr_t addr, size_t len, int access, bool map_files)
{
    if (len == 0)
        return true;
    if (addr >= VM_USER_TOP || len > VM_USER_TOP - addr)
        return false;
    uintptr_t end = addr + len;
    while (addr < end) {
        struct area *a = area_at(addr);
        if (!a || (a->prot & access) != access)
            return false;
        if (map_files && a->file && !fault_in_file(a, addr, MIN(a->end, end), access & VM_WRITE))
            return false;
        addr = a->end;
    }
    return true;
}

bool vm_range_ok(uintptr_t addr, size_t len, int access)
{
    return walk_range(addr, len, access, false);
}

bool vm_user_range(uintptr_t addr, size_t len, int access)
{
    return walk_range(addr, len, access, true);
}

bool vm_handle_fault(uintptr_t addr, int access)
{
    uintptr_t s, e;
    int prot;
    if (!vm_area_of(addr, &s, &e, &prot))
        return false;
    int needed = access == VM_READ ? VM_READ | VM_WRITE | VM_EXEC : access;
    if (!(prot & needed))
        return false;
    uintptr_t va = ALIGN_DOWN(addr, PAGE_SIZE);
    struct area *a = area_at(va);
    /* Present already: another CPU mapped it (or widened it) while this one
     * waited for the kernel lock, and the access can go again; or the first
     * store to a shared file page kept read-only to notice it; else a real
     * protection fault. */
    if (arch_page_present(va))
        return arch_page_allows(va, access) || (access == VM_WRITE && store_to_file_page(a, va));
    if (a->file)
        return map_file_page(a, va, access == VM_WRITE);
    uintptr_t pa = page_alloc(1);
    if (!pa)
        return false;
    if (arch_map_page(va, pa, prot) < 0) {
        page_free(pa, 1);
        return false;
    }
    return true;
}

bool vm_prefault(uintptr_t addr, size_t len, int access)
{
    if (!vm_range_ok(addr, len, access))
        return false;
    for (uintptr_t va = ALIGN_DOWN(addr, PAGE_SIZE); va < addr + len; va += PAGE_SIZE)
        if (!arch_page_present(va) && !vm_handle_fault(va, access))
            return false;
    return true;
}

void vm_brk_init(uintptr_t start)
{
    brk_start = brk_end = ALIGN_UP(start, PAGE_SIZE);
}

uintptr_t vm_brk(uintptr_t new_end)
{
    if (new_end < brk_start)
        return brk_end;
    uintptr_t old_top = ALIGN_UP(brk_end, PAGE_SIZE);
    uintptr_t new_top = ALIGN_UP(new_end, PAGE_SIZE);
    /* Like Linux's default overcommit heuristic: no heap larger than the machine. */
    if (new_end - brk_start > page_total() * PAGE_SIZE)
        return brk_end;
    if (new_top > old_top) {
        if (!range_free(old_top, new_top) ||
            vm_map_fixed(old_top, new_top - old_top, VM_READ | VM_WRITE) < 0)
            return brk_end;
    } else if (new_top < old_top) {
        vm_unmap(new_top, old_top - new_top);
    }
    brk_end = new_end;
    return brk_end;
}
