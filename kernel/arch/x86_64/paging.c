/*
 * Four-level page tables. The upper half belongs to the kernel: the
 * direct map of RAM at PHYS_OFFSET and the kernel image at KERNEL_VMA,
 * both set up by boot.S for the first GiB and extended here. The lower
 * half belongs to the program, mapped page by page on behalf of vm.c.
 */
#include "arch.h"
#include "lib.h"
#include "mm.h"
#include "vm.h"
#include "x86.h"

#define PTE_P    (1UL << 0)
#define PTE_W    (1UL << 1)
#define PTE_PWT  (1UL << 3)
#define PTE_PCD  (1UL << 4)
#define PTE_PS   (1UL << 7)
#define PTE_NX   (1UL << 63)
#define PTE_ADDR 0x000ffffffffff000UL
#define GIB      (1UL << 30)

extern uint64_t boot_pml4[512];
extern uint64_t boot_pdpt_low[512];

static uint64_t *table_at(uint64_t entry)
{
    return phys_to_virt(entry & PTE_ADDR);
}

/* Maps RAM above the first GiB into the direct map, a 2 MiB page at a time. */
static void direct_map_extend(uintptr_t ram_end)
{
    for (uintptr_t gib = GIB; gib < ram_end; gib += GIB) {
        size_t slot = gib / GIB;
        if (slot >= 512)
            panic("more than 512 GiB of RAM is not supported");
        uintptr_t pd_pa = page_alloc(1);
        if (!pd_pa)
            panic("out of memory mapping RAM");
        uint64_t *pd = phys_to_virt(pd_pa);
        for (size_t i = 0; i < 512; i++)
            pd[i] = (gib + i * (2UL << 20)) | PTE_P | PTE_W | PTE_PS | PTE_NX;
        boot_pdpt_low[slot] = pd_pa | PTE_P | PTE_W;
    }
}

/* Device pages live above RAM (the LAPIC, IOAPIC and virtio-mmio near
 * 4 GiB): they get uncached 2 MiB entries in the direct map. */
void arch_map_mmio(uintptr_t pa, size_t size)
{
    for (uintptr_t p = ALIGN_DOWN(pa, 2UL << 20); p < pa + size; p += 2UL << 20) {
        uint64_t *pdpte = &boot_pdpt_low[p / GIB];
        if (p / GIB >= 512)
            panic("device registers at %lx are out of reach", pa);
        if (!(*pdpte & PTE_P)) {
            uintptr_t pd_pa = page_alloc(1);
            if (!pd_pa)
                panic("out of memory mapping devices");
            memset(phys_to_virt(pd_pa), 0, PAGE_SIZE);
            *pdpte = pd_pa | PTE_P | PTE_W;
        }
        uint64_t *pd = table_at(*pdpte);
        pd[(p / (2UL << 20)) & 511] = p | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT | PTE_NX;
        __asm__ volatile("invlpg (%0)" ::"r"(phys_to_virt(p)) : "memory");
    }
}

void arch_paging_init(uintptr_t ram_end)
{
    direct_map_extend(ram_end);
    /* The identity map was only for the jump to long mode; the lower half
       is the program's from now on, and address 0 must fault. */
    boot_pml4[0] = 0;
    write_cr3(read_cr3());
}

/* Returns the PTE slot for va, creating intermediate tables when asked. */
static uint64_t *pte_slot(uintptr_t va, bool create)
{
    uint64_t *table = boot_pml4;
    for (int shift = 39; shift > 12; shift -= 9) {
        uint64_t *entry = &table[(va >> shift) & 511];
        if (!(*entry & PTE_P)) {
            if (!create)
                return NULL;
            uintptr_t pa = page_alloc(1);
            if (!pa)
                return NULL;
            *entry = pa | PTE_P | PTE_W;
        }
        table = table_at(*entry);
    }
    return &table[(va >> 12) & 511];
}

static uint64_t pte_flags(int prot)
{
    uint64_t f = PTE_P;
    if (prot & VM_WRITE)
        f |= PTE_W;
    if (!(prot & VM_EXEC))
        f |= PTE_NX;
    return f;
}

int arch_map_page(uintptr_t va, uintptr_t pa, int prot)
{
    uint64_t *pte = pte_slot(va, true);
    if (!pte)
        return -1;
    *pte = (pa & PTE_ADDR) | pte_flags(prot);
    invlpg(va);
    return 0;
}

uintptr_t arch_unmap_page(uintptr_t va)
{
    uint64_t *pte = pte_slot(va, false);
    if (!pte || !(*pte & PTE_P))
        return 0;
    uintptr_t pa = *pte & PTE_ADDR;
    *pte = 0;
    invlpg(va);
    return pa;
}

void arch_protect_page(uintptr_t va, int prot)
{
    uint64_t *pte = pte_slot(va, false);
    if (!pte || !(*pte & PTE_P))
        return;
    *pte = (*pte & PTE_ADDR) | pte_flags(prot);
    invlpg(va);
}

bool arch_page_present(uintptr_t va)
{
    uint64_t *pte = pte_slot(va, false);
    return pte && (*pte & PTE_P);
}

bool arch_page_allows(uintptr_t va, int access)
{
    uint64_t *pte = pte_slot(va, false);
    if (!pte || !(*pte & PTE_P))
        return false;
    return (!(access & VM_WRITE) || (*pte & PTE_W)) && (!(access & VM_EXEC) || !(*pte & PTE_NX));
}

uintptr_t arch_next_mapped(uintptr_t va, uintptr_t end)
{
    while (va < end) {
        uint64_t *table = boot_pml4;
        int shift;
        for (shift = 39; shift > 12; shift -= 9) {
            uint64_t entry = table[(va >> shift) & 511];
            if (!(entry & PTE_P))
                break;
            table = table_at(entry);
        }
        if (shift == 12)
            return va;
        /* Nothing below this entry: jump to the next one at this level. */
        uintptr_t next = ALIGN_DOWN(va, 1UL << shift) + (1UL << shift);
        if (next <= va)
            return end;
        va = next;
    }
    return end;
}
