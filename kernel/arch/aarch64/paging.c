/*
 * Four-level translation tables with 4 KiB pages. TTBR1 holds the
 * kernel's half (the direct map and the kernel image, from boot.S);
 * TTBR0 holds the program's, built page by page for vm.c.
 */
#include "a64.h"
#include "arch.h"
#include "lib.h"
#include "mm.h"
#include "vm.h"

#define DESC_VALID 1UL
#define DESC_ADDR  0x0000fffffffff000UL
#define GIB        (1UL << 30)
#define RAM_BASE   0x40000000UL

extern uint64_t boot_tables[5][512];

static uint64_t *ttbr0_l0;

static uint64_t *table_at(uint64_t desc)
{
    return phys_to_virt(desc & DESC_ADDR);
}

static void tlb_flush_all(void)
{
    __asm__ volatile("dsb ishst\n\ttlbi vmalle1is\n\tdsb ish\n\tisb" ::: "memory");
}

static void tlb_flush_page(uintptr_t va)
{
    __asm__ volatile("dsb ishst\n\ttlbi vaae1is, %0\n\tdsb ish\n\tisb" ::"r"(va >> 12) : "memory");
}

void arch_paging_init(uintptr_t ram_end)
{
    uint64_t *direct_l1 = boot_tables[3];
    for (uintptr_t pa = RAM_BASE + GIB; pa < ram_end; pa += GIB) {
        if (pa / GIB >= 512)
            panic("more than 512 GiB of physical address space is not supported");
        direct_l1[pa / GIB] = pa | DESC_BLOCK | DESC_ATTR(MAIR_NORMAL) | DESC_SH_INNER | DESC_AF |
                              DESC_PXN | DESC_UXN;
    }
    /* The identity map was only for turning the MMU on: the lower half is the program's. */
    ttbr0_l0 = boot_tables[0];
    memset(ttbr0_l0, 0, PAGE_SIZE);
    tlb_flush_all();
}

/* boot.S maps the first GiB, where virt puts every device, as Device memory. */
void arch_map_mmio(uintptr_t pa, size_t size)
{
    if (pa + size > RAM_BASE)
        panic("device registers at %lx are out of reach", pa);
}

static uint64_t *pte_slot(uintptr_t va, bool create)
{
    uint64_t *table = ttbr0_l0;
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t *desc = &table[(va >> shift) & 511];
        if (!(*desc & DESC_VALID)) {
            if (!create)
                return NULL;
            uintptr_t pa = page_alloc(1);
            if (!pa)
                return NULL;
            *desc = pa | DESC_TABLE;
        }
        table = table_at(*desc);
    }
    return &table[(va >> 12) & 511];
}

static uint64_t page_desc(uintptr_t pa, int prot)
{
    uint64_t d =
        (pa & DESC_ADDR) | DESC_PAGE | DESC_ATTR(MAIR_NORMAL) | DESC_SH_INNER | DESC_AF | DESC_UXN;
    if (!(prot & VM_WRITE))
        d |= DESC_AP_RO;
    /* The program runs at EL1: PXN, not UXN, decides whether it may execute. */
    if (!(prot & VM_EXEC))
        d |= DESC_PXN;
    return d;
}

int arch_map_page(uintptr_t va, uintptr_t pa, int prot)
{
    uint64_t *pte = pte_slot(va, true);
    if (!pte)
        return -1;
    *pte = page_desc(pa, prot);
    tlb_flush_page(va);
    return 0;
}

uintptr_t arch_unmap_page(uintptr_t va)
{
    uint64_t *pte = pte_slot(va, false);
    if (!pte || !(*pte & DESC_VALID))
        return 0;
    uintptr_t pa = *pte & DESC_ADDR;
    *pte = 0;
    tlb_flush_page(va);
    return pa;
}

void arch_protect_page(uintptr_t va, int prot)
{
    uint64_t *pte = pte_slot(va, false);
    if (!pte || !(*pte & DESC_VALID))
        return;
    *pte = page_desc(*pte & DESC_ADDR, prot);
    tlb_flush_page(va);
}

bool arch_page_present(uintptr_t va)
{
    uint64_t *pte = pte_slot(va, false);
    return pte && (*pte & DESC_VALID);
}

bool arch_page_allows(uintptr_t va, int access)
{
    uint64_t *pte = pte_slot(va, false);
    if (!pte || !(*pte & DESC_VALID))
        return false;
    return (!(access & VM_WRITE) || !(*pte & DESC_AP_RO)) &&
           (!(access & VM_EXEC) || !(*pte & DESC_PXN));
}

uintptr_t arch_next_mapped(uintptr_t va, uintptr_t end)
{
    while (va < end) {
        uint64_t *table = ttbr0_l0;
        int shift;
        for (shift = 39; shift > 12; shift -= 9) {
            uint64_t desc = table[(va >> shift) & 511];
            if (!(desc & DESC_VALID))
                break;
            table = table_at(desc);
        }
        if (shift == 12)
            return va;
        uintptr_t next = ALIGN_DOWN(va, 1UL << shift) + (1UL << shift);
        if (next <= va)
            return end;
        va = next;
    }
    return end;
}
